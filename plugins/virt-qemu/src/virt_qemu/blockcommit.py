"""One QMP ``block-commit`` run to its end: the data of the images from ``top`` down to just above
``base`` written into ``base``, which then replaces them in the chain.

Self-contained on purpose (any caller with a QMP ``execute`` may use it: external snapshot deletion
now, user-facing block jobs later). The job is kept after it ends (``auto-dismiss`` off) so that its
error can be read from ``query-jobs``; an active commit (``top`` is the disk's active layer) waits
for the job to be ready, then completes it so the guest writes to ``base`` from then on.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from virt.errors import ErrorNumber

from virt_qemu import errors

Execute = Callable[[str, "dict[str, Any] | None"], Any]

POLL = 0.05
"""How often the job's state is asked (a small disk commits in well under a second)."""
TIMEOUT = 3600.0
"""The longest a commit may take (a large overlay on a slow disk)."""


def _job(execute: Execute, job_id: str) -> dict[str, Any] | None:
    for job in execute("query-jobs", None) or []:
        if isinstance(job, dict) and job.get("id") == job_id:
            return job
    return None


def commit(execute: Execute, *, root: str, top: str, base: str, job_id: str, timeout: float = TIMEOUT) -> None:
    """Commit ``top`` (down to ``base``, exclusive) into ``base``, node names in the chain whose
    top node is ``root`` (``top == root``: an active commit); returns once QEMU dropped the images."""
    active = top == root
    arguments: dict[str, Any] = {"job-id": job_id, "device": root, "base-node": base, "auto-dismiss": False}
    if not active:
        arguments["top-node"] = top
    execute("block-commit", arguments)
    deadline = time.monotonic() + timeout
    completing = False
    while True:
        job = _job(execute, job_id)
        if job is None:
            raise errors.operation_failed(f"block commit job '{job_id}' vanished")
        status = job.get("status")
        if status == "ready" and active and not completing:
            execute("job-complete", {"id": job_id})
            completing = True
        elif status == "concluded":
            execute("job-dismiss", {"id": job_id})
            if job.get("error"):
                raise errors.operation_failed(f"block commit of '{top}' into '{base}' failed: {job['error']}")
            return
        if time.monotonic() > deadline:
            execute("job-cancel", {"id": job_id})
            raise errors.error(ErrorNumber.OPERATION_TIMEOUT, f"block commit job '{job_id}': no end after {timeout:g}s")
        time.sleep(POLL)

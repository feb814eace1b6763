"""Run a test in a private network namespace, so it never touches the host's links or firewall.

``@in_private_netns`` runs the test function in a forked child that first unshares its network
namespace (a fresh one: only ``lo``, brought up, and an empty nftables ruleset) and reports back
through a pipe: the child's failure fails the test with the child's traceback, its skip skips it.
Everything the test starts (dnsmasq, daemons) lives in that namespace; whatever it leaves there
vanishes with it once the last process in it is gone.
"""

from __future__ import annotations

import ctypes
import functools
import os
import shutil
import subprocess
import traceback
from collections.abc import Callable
from typing import Any, TypeVar

F = TypeVar("F", bound=Callable[..., Any])

CLONE_NEWNET = 0x40000000
_SKIP = b"SKIP:"


def need_netns() -> None:
    """Skip (``missing_dependency``) unless this process can make network namespaces and run ``ip``."""
    from virt.testing import missing_dependency

    if os.geteuid() != 0:
        missing_dependency("a private network namespace needs root")
    if shutil.which("ip") is None:
        missing_dependency("ip (iproute2) is not installed")


def enter_new_netns() -> None:
    """Move the calling (single-threaded, forked) process into a new network namespace with ``lo`` up."""
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.unshare(CLONE_NEWNET) != 0:
        errno = ctypes.get_errno()
        raise OSError(errno, f"unshare(CLONE_NEWNET): {os.strerror(errno)}")
    subprocess.run(["ip", "link", "set", "lo", "up"], check=True)


def in_private_netns(test: F) -> F:
    import pytest

    @functools.wraps(test)
    def run(*args: Any, **kwargs: Any) -> None:
        need_netns()
        read_end, write_end = os.pipe()
        pid = os.fork()
        if pid == 0:  # pragma: no cover - the child's coverage is not collected
            os.close(read_end)
            status, report = 0, b""
            try:
                enter_new_netns()
                test(*args, **kwargs)
            except pytest.skip.Exception as exc:
                status, report = 2, _SKIP + str(exc).encode()
            except BaseException:  # noqa: BLE001 - every failure goes back to the parent
                status, report = 1, traceback.format_exc().encode()
            with os.fdopen(write_end, "wb") as out:
                out.write(report)
            os._exit(status)
        os.close(write_end)
        with os.fdopen(read_end, "rb") as source:
            report = source.read()
        _, wait_status = os.waitpid(pid, 0)
        if report.startswith(_SKIP):
            pytest.skip(report[len(_SKIP) :].decode(errors="replace"))
        if wait_status != 0:
            pytest.fail(f"in the private network namespace:\n{report.decode(errors='replace')}", pytrace=False)

    return run  # type: ignore[return-value]

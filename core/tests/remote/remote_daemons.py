"""The daemons the remote client's suites run against, and python3-libvirt as a second client.

``DAEMONS`` names each kind; ``start_daemon(kind, ...)`` runs one serving ``test:///default``
for a ``with`` block and yields a :class:`Daemon` (socket paths, ports, URIs). Debian's libvirtd
is there when libvirt-daemon is installed (else its tests skip); virtd always.
"""

from __future__ import annotations

import contextlib
import json
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Protocol

from virt.testing import TestPKI, missing_dependency, start_libvirtd

LIBVIRT_PYTHON = "/usr/bin/python3"
DAEMONS = ["libvirtd", "virtd"]


class Daemon(Protocol):
    socket: str
    socket_ro: str
    tcp_port: int | None
    tls_port: int | None
    pid: int

    def uri(
        self, transport: str = "unix", *, driver: str = "test", path: str = "/default", readonly: bool = False
    ) -> str: ...


@contextlib.contextmanager
def start_daemon(kind: str, *, tcp: bool = False, tls: TestPKI | None = None) -> Iterator[Daemon]:
    if kind == "libvirtd":
        with start_libvirtd(tcp=tcp, tls=tls) as daemon:
            yield daemon
        return
    if kind == "virtd":
        from virt.daemon.testing import start_virtd

        with start_virtd(tcp=tcp, tls=tls) as virtd:
            yield virtd
        return
    raise ValueError(f"unknown daemon kind {kind!r}")


def libvirt_python(script: str, *args: str, timeout: float = 30) -> Any:
    """Run ``script`` under Debian's python3 with python3-libvirt (``libvirt`` imported, argv in
    ``args``); what it prints last, as JSON, is the result."""
    if not Path(LIBVIRT_PYTHON).exists():
        missing_dependency(f"{LIBVIRT_PYTHON} is not installed")
    prelude = (
        "import json, sys\nimport libvirt\nlibvirt.registerErrorHandler(lambda *_: None, None)\nargs = sys.argv[1:]\n"
    )
    result = subprocess.run(
        [LIBVIRT_PYTHON, "-c", prelude + script, *args], capture_output=True, text=True, timeout=timeout, check=False
    )
    if "No module named 'libvirt'" in result.stderr:
        missing_dependency("python3-libvirt is not installed")
    if result.returncode != 0:
        raise AssertionError(f"python3-libvirt script failed: {result.stderr.strip()}")
    lines = result.stdout.strip().splitlines()
    return json.loads(lines[-1]) if lines else None

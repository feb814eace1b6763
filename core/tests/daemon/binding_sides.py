"""What the tests comparing virt with libvirt 9.0 share: python3-libvirt sessions run by Debian's
/usr/bin/python3 (which has the binding), each printing one JSON line per call."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from virt.errors import VirtError
from virt.testing import VIRSH, missing_dependency

PYTHON = "/usr/bin/python3"


def need_binding() -> None:
    """Skip (a failure in CI) without python3-libvirt."""
    if not Path(PYTHON).exists() or subprocess.run([PYTHON, "-c", "import libvirt"], capture_output=True).returncode:
        missing_dependency(f"python3-libvirt is not installed for {PYTHON}")


def session(code: str, *args: str) -> list[Any]:
    """What the session ``code`` printed, one JSON value per line, run with ``args``."""
    done = subprocess.run([PYTHON, "-c", code, *args], capture_output=True, text=True, timeout=60, check=True)
    return [json.loads(line) for line in done.stdout.splitlines()]


_CALLS_START = r"""
import json, sys, libvirt
libvirt.registerErrorHandler(lambda *a: None, None)
uri, readonly, extra = sys.argv[1], sys.argv[2] == "ro", sys.argv[3:]
conn = (libvirt.openReadOnly if readonly else libvirt.open)(uri)
"""
_CALLS_END = r"""
for name, call in calls:
    try:
        print(json.dumps([name, "ok", call()]))
    except libvirt.libvirtError as exc:
        print(json.dumps([name, "error", exc.get_error_code(), exc.get_error_domain(), exc.get_error_message()]))
"""


def calls_session(calls: str, uri: str, readonly: bool = False, *extra: str) -> list[list[Any]]:
    """Run ``calls`` (code setting ``calls``, a list of (name, function) pairs, with ``conn`` open on
    ``uri`` and the ``extra`` arguments as the list ``extra``): one row a call, [name, "ok", result]
    or [name, "error", code, domain, message]."""
    return session(_CALLS_START + calls + _CALLS_END, uri, "ro" if readonly else "rw", *extra)


def same_through_daemons(daemons: tuple[Any, Any], calls: str, readonly: bool, *extra: str) -> list[list[Any]]:
    """The rows of ``calls`` through virtd, checked equal to those through libvirtd, which it returns."""
    ours, reference = daemons
    expected = calls_session(calls, reference.uri(readonly=readonly), readonly, *extra)
    assert calls_session(calls, ours.uri(readonly=readonly), readonly, *extra) == expected
    return expected


def cli_as_virsh(command: str, uri: str = "test:///default") -> tuple[object, object]:
    """(exit status, stdout, stderr) of virt's CLI and of stock virsh running ``command`` on ``uri``,
    a single shell-free word string as virsh takes it on its command line."""
    if shutil.which(VIRSH) is None:
        missing_dependency("virsh is not installed (apt-get install libvirt-clients)")

    def run(program: str) -> tuple[int, str, str]:
        done = subprocess.run([program, "-c", uri, command], capture_output=True, text=True, timeout=60)
        return done.returncode, done.stdout, done.stderr

    return run(str(Path(sys.executable).parent / "virt")), run(VIRSH)


def assert_same_errors(parse: Callable[[str], object], documents: list[str], rows: list[list[Any]]) -> None:
    """Each of ``documents`` refused by ``parse`` with the [code, domain, message] of its row, a
    libvirtd session's error row for that document (``calls_session``)."""
    assert len(rows) == len(documents)
    for document, row in zip(documents, rows, strict=True):
        assert row[1] == "error", row
        try:
            parse(document)
        except VirtError as exc:
            assert [int(exc.code), int(exc.domain), str(exc)] == row[2:], document
        else:
            raise AssertionError(f"virt accepted what libvirtd refused: {document}")


def nwfilter_driver_rows(calls: str) -> list[list[Any]]:
    """The rows of ``calls`` (as ``calls_session`` takes them) run against libvirtd 9.0's nwfilter
    driver (nwfilter:///system) in a private libvirtd."""
    from virt.testing import start_libvirtd

    need_binding()
    with start_libvirtd(drivers=("nwfilter",)) as daemon:
        return calls_session(calls, daemon.uri(driver="nwfilter", path="/system"))

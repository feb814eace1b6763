"""libvirt 9.0's own answers through its Python binding (python3-libvirt under /usr/bin/python3),
with the core's daemon-comparison helpers (``core/tests/daemon/binding_sides.py``: one JSON row a
call, the result or the error's code, domain and message)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

_CORE_DAEMON_TESTS = Path(__file__).resolve().parents[3] / "core" / "tests" / "daemon"
if str(_CORE_DAEMON_TESTS) not in sys.path:
    sys.path.append(str(_CORE_DAEMON_TESTS))

from binding_sides import calls_session, need_binding  # noqa: E402 - found through the path above

__all__ = ["calls_session", "from_native", "need_binding"]

_FROM_NATIVE = """
calls = [("from native", lambda: conn.domainXMLFromNative("vmware-vmx", open(extra[0]).read(), 0))]
"""


def from_native(uri: str, vmx: Path) -> str:
    """libvirt's domain XML for the .vmx file ``vmx``, on a connection to ``uri``."""
    need_binding()
    [row] = calls_session(_FROM_NATIVE, uri, False, str(vmx))
    assert row[1] == "ok", row
    result: Any = row[2]
    return str(result)

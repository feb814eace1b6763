"""What the tests comparing virt with libvirt 9.0 share: python3-libvirt sessions run by Debian's
/usr/bin/python3 (which has the binding), each printing one JSON line per call."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

from virt.testing import missing_dependency

PYTHON = "/usr/bin/python3"


def need_binding() -> None:
    """Skip (a failure in CI) without python3-libvirt."""
    if not Path(PYTHON).exists() or subprocess.run([PYTHON, "-c", "import libvirt"], capture_output=True).returncode:
        missing_dependency(f"python3-libvirt is not installed for {PYTHON}")


def session(code: str, *args: str) -> list[Any]:
    """What the session ``code`` printed, one JSON value per line, run with ``args``."""
    done = subprocess.run([PYTHON, "-c", code, *args], capture_output=True, text=True, timeout=60, check=True)
    return [json.loads(line) for line in done.stdout.splitlines()]

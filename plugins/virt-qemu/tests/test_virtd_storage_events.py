"""Storage pool events of the host storage service: python3-libvirt registered with virtd serving
``qemu:///system`` sees the events libvirtd 9.0's storage driver sends for the same steps (an
upload's refresh included), and so does virt's own API on ``qemu:///system`` in process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from storage_support import Side, sides
from virt.testing import missing_dependency

SCRIPT = Path(__file__).with_name("storage_events_script.py")
VIRT_SCRIPT = Path(__file__).with_name("storage_events_virt.py")


def _events(side: Side) -> list[list[object]]:
    done = subprocess.run(
        ["/usr/bin/python3", str(SCRIPT), side.uri, str(side.folder)],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    if "No module named 'libvirt'" in done.stderr:
        missing_dependency("python3-libvirt is not installed")
    assert done.returncode == 0, done.stderr
    return list(json.loads(done.stdout))


def test_python_libvirt_sees_the_same_pool_events() -> None:
    with sides() as found:
        reference, ours, in_process = found
        theirs = _events(reference)
        mine = _events(ours)
        done = subprocess.run(
            [sys.executable, str(VIRT_SCRIPT), str(in_process.folder)],
            capture_output=True, text=True, timeout=120, check=False, env={**os.environ, **in_process.env},
        )  # fmt: skip
    assert theirs == [
        ["all", "ev1", 4, 0], ["ev1", "ev1", 4, 0], ["all", "ev1", 2, 0],
        ["ev1", "ev1", 2, 0], ["all", "ev1", "refresh"], ["all", "ev1", "refresh"], ["all", "ev1", 3, 0],
        ["ev1", "ev1", 3, 0], ["all", "ev1", 5, 0], ["ev1", "ev1", 5, 0], ["all", "ev1", 1, 0],
        ["ev1", "ev1", 1, 0], ["all", "ev2", 2, 0], ["all", "ev2", 3, 0],
    ]  # fmt: skip
    assert mine == theirs
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == theirs

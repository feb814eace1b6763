"""The test driver's save files are libvirt's: libvirt 9.0's test:///default (python3-libvirt under
/usr/bin/python3) and ours write the same bytes for the default domain, and each restores the other's.
Skipped without python3-libvirt, or failing under VIRT_REQUIRE_INTEGRATION=1.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
import virt
from virt.states import DomainState, RunningReason
from virt.testing import missing_dependency

SYSTEM_PYTHON = "/usr/bin/python3"

LIBVIRT_SIDE = r"""
import sys
import libvirt
save_to, restore_from = sys.argv[1], sys.argv[2]
conn = libvirt.open("test:///default")
dom = conn.lookupByName("test")
dom.save(save_to)
conn.restore(restore_from)
print(*dom.state())
"""


@pytest.fixture
def libvirt_python() -> str:
    probe = subprocess.run([SYSTEM_PYTHON, "-c", "import libvirt"], capture_output=True, check=False)
    if probe.returncode != 0:
        missing_dependency("python3-libvirt is not installed for /usr/bin/python3")
    return SYSTEM_PYTHON


def test_the_same_bytes_and_each_restores_the_others(libvirt_python: str, tmp_path: Path) -> None:
    ours_file, theirs_file = tmp_path / "ours.save", tmp_path / "theirs.save"
    with virt.open("test:///default") as conn:
        dom = conn.lookup_domain("test")
        dom.save(str(ours_file))
        # libvirt saves its own default domain, then restores the file we wrote
        done = subprocess.run(
            [libvirt_python, "-c", LIBVIRT_SIDE, str(theirs_file), str(ours_file)],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        assert done.stdout.split() == [str(int(DomainState.RUNNING)), str(int(RunningReason.RESTORED))]
        assert ours_file.read_bytes() == theirs_file.read_bytes()
        conn.restore(str(theirs_file))
        assert dom.state() == (DomainState.RUNNING, RunningReason.RESTORED)
        assert conn.save_image_xml(str(theirs_file)) == dom.xml(inactive=True)

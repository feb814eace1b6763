"""python3-libvirt (libvirt's own C binding) through virtd's storage, side by side with libvirtd 9.0:
pools, volumes, lookups, streams both ways, clone, resize, wipe, and a read-only connection that
lists but may not change. The script prints the same lines against both daemons."""

from __future__ import annotations

import subprocess
from pathlib import Path

from storage_support import Side, normalise, sides
from virt.testing import missing_dependency

SCRIPT = Path(__file__).with_name("storage_client_script.py")


def run_script(side: Side, readonly_uri: str) -> str:
    done = subprocess.run(
        ["/usr/bin/python3", str(SCRIPT), side.uri, readonly_uri, str(side.folder)],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    if "No module named 'libvirt'" in done.stderr:
        missing_dependency("python3-libvirt is not installed")
    return normalise(f"{done.returncode}\n{done.stdout}{done.stderr}", side.folder)


def test_python_libvirt_sees_the_same_storage() -> None:
    with sides() as found:
        reference, ours = found[0], found[1]
        theirs = run_script(reference, reference.uri.replace("libvirt-sock", "libvirt-sock-ro"))
        mine = run_script(ours, ours.uri.replace("virtd-sock", "virtd-sock-ro"))
    assert theirs.startswith("0\n"), theirs
    assert mine == theirs

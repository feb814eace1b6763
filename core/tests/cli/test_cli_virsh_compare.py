"""``virt -c test:///default CMD`` prints what ``virsh -c test:///default CMD`` prints (libvirt 9.0).

Both run the test driver's built-in default state, in a fresh process each. Several commands in
one string (``'define f; start x; list --all'``) run in one process and so share one state.
Skipped without virsh, unless ``VIRT_REQUIRE_INTEGRATION=1`` (then it fails).
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from virt.testing import missing_dependency

VIRT = shutil.which("virt", path=str(Path(sys.executable).parent))
URI = "test:///default"
CPU_TIME = re.compile(r"^(CPU time: +)\d+\.\ds$", re.MULTILINE)


def _both(command: str) -> tuple[subprocess.CompletedProcess[str], subprocess.CompletedProcess[str]]:
    virsh = shutil.which("virsh")
    if virsh is None:
        missing_dependency("virsh (libvirt-clients) is not installed")
    if VIRT is None:
        pytest.fail("the virt console script is not installed: pip install -e core")
    results = []
    for program in (virsh, VIRT):
        assert program is not None
        results.append(subprocess.run([program, "-c", URI, command], capture_output=True, text=True, timeout=60))
    return results[0], results[1]


def _shape(text: str) -> str:
    """The text with the CPU time's digits hidden (it grows between runs)."""
    return CPU_TIME.sub(r"\1<n>.<n>s", text)


SAME = [
    "list --all",
    "list",
    "list --name --all",
    "list --uuid",
    "list --title",
    "domstate test --reason",
    "domstate test",
    "nodeinfo",
    "net-list --all",
    "net-list --name",
    "pool-list --all",
    "pool-list --details",
    "pool-list --name --uuid",
    "vol-list default-pool",
    "vol-list default-pool --details",
    "uri",
    "domid test",
    "domid 6695eb01-f6a4-8304-79aa-97f2502e193f",
    "domname 1",
    "domuuid test",
    "dumpxml test",
    "dumpxml --inactive test",
    "net-dumpxml default",
    "capabilities",
    "hostname",
    "suspend test; resume test; reboot test; reset test; domstate --reason test",
    "shutdown test; domid test; list --all; start test; destroy test; domstate test --reason; list --all",
    "autostart test; autostart --disable test; undefine test; list --all",
    "destroy test; suspend test; resume test; reboot test",
    "dominfo nope",
    "domname test",
    "start test",
    "list --bogus",
    "dominfo",
    "list --all extra",
    "bogus",
    "help bogus",
    "vol-list nope",
    "net-dumpxml nope",
    "domstate test --domain test",
    "net-list --name --uuid",
    "define /nonexistent/file.xml",
]


@pytest.mark.parametrize("command", SAME)
def test_same_output(command: str) -> None:
    virsh, ours = _both(command)
    assert (ours.returncode, ours.stdout, ours.stderr) == (virsh.returncode, virsh.stdout, virsh.stderr)


def test_hostname() -> None:
    virsh, ours = _both("hostname")
    assert ours.stdout == virsh.stdout


def test_dominfo_same_but_cpu_time() -> None:
    virsh, ours = _both("dominfo test")
    assert CPU_TIME.search(ours.stdout)
    assert _shape(ours.stdout) == _shape(virsh.stdout)


def test_define_start_suspend_new_domain(tmp_path: Path) -> None:
    from cli_helpers import NEW_DOMAIN_XML

    path = tmp_path / "newvm.xml"
    path.write_text(NEW_DOMAIN_XML)
    command = (
        f"define {path}; start newvm; suspend newvm; list --all; domstate newvm --reason; "
        "list --state-paused; list --inactive; list --persistent --name; dominfo newvm"
    )
    virsh, ours = _both(command)
    assert ours.returncode == virsh.returncode == 0
    assert _shape(ours.stdout) == _shape(virsh.stdout)


def test_pool_build_delete_refresh_and_volume_copies(tmp_path: Path) -> None:
    """libvirt's test driver checks a pool's state for build, delete and refresh and takes no build flag;
    a copied volume comes from the pool it goes to."""
    path = tmp_path / "copy.xml"
    path.write_text("<volume><name>copy</name><capacity>1024</capacity></volume>")
    command = (
        "vol-create-as default-pool v 1024; "
        f"vol-create-from default-pool {path} v --inputpool default-pool; vol-dumpxml copy --pool default-pool; "
        f"vol-create-from default-pool {path} v --inputpool default-pool; "
        "pool-refresh default-pool; pool-delete default-pool; pool-build default-pool; pool-destroy default-pool; "
        "pool-refresh default-pool; pool-delete default-pool; pool-build default-pool; "
        "pool-build default-pool --overwrite; pool-build default-pool --no-overwrite"
    )
    virsh, ours = _both(command)
    assert (ours.returncode, ours.stdout, ours.stderr) == (virsh.returncode, virsh.stdout, virsh.stderr)

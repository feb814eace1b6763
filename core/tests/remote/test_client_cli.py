"""``virt -c test+unix:///default?socket=... CMD`` prints what ``virsh`` prints against the same kind of
daemon: each program gets a fresh daemon of its own (so changes do not mix) and the same commands."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from remote_daemons import DAEMONS, start_daemon
from virt.testing import missing_dependency

VIRT = shutil.which("virt", path=str(Path(sys.executable).parent))
CPU_TIME = re.compile(r"^(CPU time: +)\d+\.\ds$", re.MULTILINE)

NEW_DOMAIN_XML = """\
<domain type='test'>
  <name>newvm</name>
  <uuid>11111111-2222-3333-4444-555555555555</uuid>
  <memory unit='KiB'>1048576</memory>
  <vcpu>1</vcpu>
  <os><type arch='x86_64'>hvm</type></os>
</domain>
"""

COMMANDS = [
    "list --all",
    "list --name --all",
    "list --uuid",
    "domstate test --reason",
    "dominfo test",
    "dominfo nope",
    "domid test",
    "domuuid test",
    "dumpxml test",
    "dumpxml --inactive test",
    "nodeinfo",
    "hostname",
    "uri",
    "capabilities",
    "net-list --all",
    "net-dumpxml default",
    "pool-list --all",
    "pool-list --details",
    "vol-list default-pool --details",
    "start test",
    "suspend test; resume test; reboot test; reset test; domstate --reason test",
    "shutdown test; list --all; start test; destroy test; domstate test --reason; list --all",
    "autostart test; list --all --autostart; autostart --disable test; undefine test; list --all",
    "define {xml}; start newvm; suspend newvm; list --all; list --state-paused; list --inactive; dominfo newvm",
]


def run(program: str, command: str, kind: str, xml: Path) -> tuple[int, str, str]:
    with start_daemon(kind) as daemon:
        uri = daemon.uri()
        result = subprocess.run(
            [program, "-c", uri, command.format(xml=xml)], capture_output=True, text=True, timeout=60, check=False
        )
    # the daemon's socket path differs between the two runs, and processor time grows
    shape = lambda text: CPU_TIME.sub(r"\1<n>", text.replace(daemon.socket, "<socket>"))  # noqa: E731
    return result.returncode, shape(result.stdout), shape(result.stderr)


@pytest.mark.parametrize("kind", DAEMONS)
@pytest.mark.parametrize("command", COMMANDS)
def test_virt_prints_what_virsh_prints(command: str, kind: str, tmp_path: Path) -> None:
    virsh = shutil.which("virsh")
    if virsh is None:
        missing_dependency("virsh (libvirt-clients) is not installed")
    if VIRT is None:
        pytest.fail("the virt console script is not installed: pip install -e core")
    xml = tmp_path / "newvm.xml"
    xml.write_text(NEW_DOMAIN_XML)
    theirs = run(virsh, command, kind, xml)
    ours = run(VIRT, command, kind, xml)
    assert ours == theirs


@pytest.mark.parametrize("kind", DAEMONS)
def test_virt_event_prints_what_virsh_event_prints(kind: str) -> None:
    import time

    import virt

    virsh = shutil.which("virsh")
    if virsh is None:
        missing_dependency("virsh (libvirt-clients) is not installed")
    if VIRT is None:
        pytest.fail("the virt console script is not installed: pip install -e core")
    with start_daemon(kind) as daemon:
        watchers = [
            subprocess.Popen(
                [program, "-c", daemon.uri(), "event", "--all", "--loop", "--timeout", "8"],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for program in (virsh, VIRT)
        ]
        time.sleep(4)  # both have registered their callbacks by now, even on a busy machine
        with virt.open(daemon.uri()) as conn:
            test = conn.lookup_domain_by_name("test")
            test.suspend()
            test.resume()
            test.destroy()
        theirs, ours = (watcher.communicate(timeout=30) for watcher in watchers)
    assert "events received: 3" in theirs[0]
    assert ours == theirs

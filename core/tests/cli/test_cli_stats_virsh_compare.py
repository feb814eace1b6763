"""``virt -c test:///default`` prints what ``virsh -c test:///default`` prints for the statistics verbs.

The test driver's counters grow with the wall clock, so numbers of six digits or more and the vCPU
time are hidden on both sides; everything else (fields, order, constants, errors) must be equal.
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
CLOCK_FIGURES = re.compile(r"\d{6,}")
CPU_TIME = re.compile(r"(CPU time:\s+)\S+")

GUEST = """<domain type='test'><name>m</name><memory>4000000</memory><currentMemory>3000000</currentMemory>
<vcpu placement='static' current='2' cpuset='1-3'>4</vcpu>
<cputune><vcpupin vcpu='1' cpuset='5'/><emulatorpin cpuset='2,4'/></cputune><os><type>hvm</type></os>
<devices><disk type='file' device='disk'><source file='/tmp/x.img'/><target dev='sda' bus='scsi'/></disk>
<disk type='file' device='cdrom'><target dev='hdc' bus='ide'/></disk>
<interface type='network'><source network='default'/><mac address='52:54:00:11:22:33'/></interface>
<memballoon model='virtio'/></devices></domain>
"""

COMMANDS = [
    "vcpuinfo test",
    "vcpuinfo test --pretty",
    "dommemstat test",
    "domblkstat test vda",
    "domblkstat test vda --human",
    "domblkstat test",
    "domblkstat test nope",
    "domifstat test testnet0",
    "domifstat test aa:bb:cc:dd:ee:ff",
    "domifstat test vnet0",
    "domblkinfo test vda",
    "domblkinfo test vda --human",
    "domblkinfo test --all",
    "domblkinfo test --all --human",
    "domblkinfo test nope",
    "domblkinfo test",
    "domstats",
    "domstats test",
    "domstats --vcpu",
    "domstats --vcpu --enforce",
    "domstats --list-inactive",
    "domstats --state --list-running",
    "domjobinfo test",
    "domjobinfo test --completed",
    "domtime test",
    "domtime test --pretty",
    "destroy test; vcpuinfo test; dommemstat test; domblkstat test vda; domtime test; domstats",
    "define GUEST; vcpuinfo m; vcpuinfo m --pretty; domblkinfo m --all; domstats; start m; vcpuinfo m; "
    "dommemstat m; domblkinfo m hdc; domblkstat m hdc --human; domifstat m 52:54:00:11:22:33; domstats m test",
    # the balloon's statistics period (virDomainSetMemoryStatsPeriod), kept in <memballoon><stats period>
    "dommemstat test --period 2; dumpxml test; dommemstat test; dommemstat test --period 0 --live; dumpxml test",
    "dommemstat test --period 5 --config; dumpxml test --inactive; dumpxml test",
    "dommemstat test --period 3 --current; dumpxml test",
    "dommemstat test --period 2 --live --config",
    "dommemstat test --period 2 --current --config",
    "dommemstat test --current --live",
    "dommemstat test --period -1",
    "dommemstat test --period abc",
    "dommemstat test --period 99999999999",
    "dommemstat test --period",
    "dommemstat nope --period 2",
    "dommemstat nope --period -1",
    "destroy test; dommemstat test --period 2 --live; dommemstat test --period 4; dumpxml test",
    "define GUEST; dommemstat m --period 6; dommemstat m --period 1 --live; undefine m",
    "define NOBALLOON; dommemstat m --period 6; start m; dommemstat m --period 6 --live; dommemstat m",
]


def _domains_in_any_order(text: str) -> str:
    """Each run of domstats' per-domain blocks sorted: libvirt lists all domains in its hash table's
    order, which follows their (here random) UUIDs."""
    blocks, out, run = text.split("\n\n"), [], []
    for block in blocks:
        if block.startswith("Domain: '"):
            run.append(block)
            continue
        out += [*sorted(run), block]
        run = []
    return "\n\n".join(out + sorted(run))


def _run(program: str, command: str) -> tuple[int, str, str]:
    done = subprocess.run([program, "-c", URI, command], capture_output=True, text=True, timeout=60, check=False)
    stdout = CLOCK_FIGURES.sub("N", CPU_TIME.sub(r"\1T", done.stdout))
    return done.returncode, _domains_in_any_order(stdout), done.stderr


@pytest.mark.parametrize("command", COMMANDS)
def test_the_statistics_verbs_print_what_virsh_prints(command: str, tmp_path: Path) -> None:
    virsh = shutil.which("virsh")
    if virsh is None:
        missing_dependency("virsh (libvirt-clients) is not installed")
    if VIRT is None:
        pytest.fail("the virt console script is not installed: pip install -e core")
    guest = tmp_path / "m.xml"
    guest.write_text(GUEST)
    command = command.replace("GUEST", str(guest))
    without_balloon = tmp_path / "n.xml"
    without_balloon.write_text(GUEST.replace("<memballoon model='virtio'/>", "<memballoon model='none'/>"))
    command = command.replace("NOBALLOON", str(without_balloon))
    assert _run(VIRT, command) == _run(virsh, command)

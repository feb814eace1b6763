"""``virt -c test:///default`` with the tunables commands prints what ``virsh -c test:///default`` prints
(libvirt 9.0): memtune, numatune, blkiotune, domiftune, blkdeviotune, perf; errors included.

Each case runs its commands in one process of each program (one state).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from test_cli_virsh_compare import _both

CASES = [
    "memtune test",
    "memtune test --config",
    "memtune test --hard-limit 1G --soft-limit 100M; memtune test; memtune test --config; dumpxml test",
    "memtune test --hard-limit x",
    "memtune test --hard-limit ''",
    "memtune test --hard-limit -1 --soft-limit 1M; memtune test",
    "memtune test --min-guarantee 5",
    "memtune test --swap-hard-limit 1",
    "memtune test --live --config",
    "memtune test --soft-limit 1 --current --config",
    "memtune test --hard-limit 1.5",
    "memtune test --hard-limit '1 k'",
    "memtune test --hard-limit 1kb; memtune test",
    "memtune test --hard-limit 99999999999999999999",
    "memtune test --hard-limit 8E",
    "memtune test --hard-limit 1e; memtune test --hard-limit ' 5'; memtune test --hard-limit -5k; memtune test",
    "memtune nope",
    "memtune test --swap-hard-limit 2G --config; memtune test --config; dumpxml test --inactive",
    "numatune test",
    "numatune test --mode 1",
    "numatune test --mode bogus",
    "numatune test --mode 7",
    "numatune test --mode ''",
    "numatune test --nodeset ''",
    "numatune test --nodeset x",
    "numatune test --nodeset '1,^1'",
    "numatune test --nodeset 0; numatune test --mode preferred; numatune test --mode strict --config",
    "numatune test --nodeset 3,1,5-7; numatune test; dumpxml test",
    "numatune test --live --config",
    "numatune test --mode restrictive --nodeset 1 --config; numatune test --config; dumpxml --inactive test",
    "numatune test --mode 0x1 --nodeset 2 --config; numatune test --config",
    "blkiotune test",
    "blkiotune test --weight 300 --device-weights /dev/sda,10; blkiotune test; dumpxml test",
    "blkiotune test --device-read-iops-sec /dev/sda,5,/dev/sdb,7 --device-write-bytes-sec /dev/sdb,9; blkiotune test",
    "blkiotune test --weight 0",
    "blkiotune test --weight x",
    "blkiotune test --weight -3",
    "blkiotune test --weight 2147483648",
    "blkiotune test --weight ' 7'; blkiotune test",
    "blkiotune test --device-weights /a",
    "blkiotune test --device-weights /a,x",
    "blkiotune test --device-weights ''",
    "blkiotune test --device-weights '/a, +5,/a,6,/c,0'; blkiotune test",
    "blkiotune test --live --config",
    "blkiotune test --device-weights /a,5,/b,6; blkiotune test --device-weights /a,0; blkiotune test; "
    "blkiotune test --device-weights /a,7; blkiotune test --device-read-iops-sec /c,0,/b,1; "
    "blkiotune test --device-write-iops-sec /c,4; blkiotune test; dumpxml test",
    "blkiotune test --weight 5 --current --live",
    "blkiotune test --weight 50 --config; blkiotune test --config; blkiotune test",
    "domiftune test testnet0",
    "domiftune test aa:bb:cc:dd:ee:ff --config",
    "domiftune test testnet0 --live --config",
    "domiftune test nope",
    "domiftune test nope --inbound 5",
    "domiftune test",
    "domiftune test testnet0 --inbound x",
    "domiftune test testnet0 --inbound 1k",
    "domiftune test testnet0 --inbound -1",
    "domiftune test testnet0 --inbound 1,2,3,4; domiftune test testnet0; dumpxml test",
    "domiftune test testnet0 --inbound 1,2,3,4,5",
    "domiftune test testnet0 --inbound ,2",
    "domiftune test testnet0 --inbound 0",
    "domiftune test testnet0 --outbound 1,2,3,4",
    "domiftune test testnet0 --outbound ,5",
    "domiftune test testnet0 --inbound 10,,30 --outbound 5,6,7; domiftune test testnet0; dumpxml test",
    "domiftune test testnet0 --inbound ''",
    "domiftune test testnet0 --inbound 5000000000",
    "domiftune test testnet0 --inbound 1,5000000000",
    "domiftune test testnet0 --inbound ' 5'; domiftune test testnet0",
    "domiftune test testnet0 --inbound '+5,x'",
    "domiftune test testnet0 --inbound 0,0,0,7; domiftune test testnet0",
    "domiftune test testnet0 --outbound 9 --config; domiftune test testnet0 --config; domiftune test testnet0",
    "blkdeviotune test vda",
    "blkdeviotune test /guest/diskimage1 --config",
    "blkdeviotune test",
    "blkdeviotune test vdz",
    "blkdeviotune test vdz --read-iops-sec 4",
    "blkdeviotune test vda --live --config",
    "blkdeviotune test vda --total-bytes-sec x",
    "blkdeviotune test vda --total-bytes-sec 1.5",
    "blkdeviotune test vda --total-bytes-sec 16E",
    "blkdeviotune test vda --total-iops-sec x",
    "blkdeviotune test vda --total-iops-sec -1",
    "blkdeviotune test vda --read-iops-sec 1e3",
    "blkdeviotune test vda --read-iops-sec 99999999999999999999",
    "blkdeviotune test vda --total-bytes-sec 1k",
    "blkdeviotune test vda --group-name ''",
    "blkdeviotune test vda --total-bytes-sec 10 --total-bytes-sec-max 20; blkdeviotune test vda; dumpxml test",
    "blkdeviotune test vda --read-bytes-sec ' +5k' --read-bytes-sec-max 1M; blkdeviotune test vda",
    "blkdeviotune test vda --read-iops-sec ' +5' --read-iops-sec-max 5 --group-name g --size-iops-sec 3; "
    "blkdeviotune test vda",
    "blkdeviotune test vda --total-iops-sec 1 --total-iops-sec-max 1 --write-iops-sec 1",
    "blkdeviotune test vda --write-bytes-sec 2000000000000000",
    "blkdeviotune test vda --total-iops-sec-max-length 5 --read-bytes-sec-max-length 6 --config; "
    "blkdeviotune test vda --config; dumpxml test --inactive",
    "perf test",
    "perf test --config",
    "perf test --enable cmt,cpu_cycles --disable mbmt; perf test; dumpxml test",
    "perf test --enable bogus",
    "perf test --enable cmt --disable cmt",
    "perf test --enable 'cmt,,mbmt'",
    "perf test --enable ''",
    "perf test --disable ,,",
    "perf test --live --config",
    "perf test --enable cmt --config; perf test --config",
    "perf nope",
    "destroy test; memtune test; numatune test --nodeset 1; blkiotune test --weight 9; perf test --enable cmt; "
    "domiftune test testnet0 --inbound 4; blkdeviotune test vda --read-iops-sec 1 --read-iops-sec-max 2; "
    "dumpxml test; memtune test --live",
    "help memtune",
    "help numatune",
    "help blkiotune",
    "help domiftune",
    "help blkdeviotune",
    "help perf",
]


@pytest.mark.parametrize("command", CASES)
def test_same_output(command: str) -> None:
    virsh, ours = _both(command)
    assert (ours.returncode, ours.stdout, ours.stderr) == (virsh.returncode, virsh.stdout, virsh.stderr)


AUTO_PLACED = "<domain type='test'><name>auto</name><memory>1024</memory><vcpu placement='auto'>1</vcpu>"
AUTO_PLACED += "<os><type>hvm</type></os></domain>"


def test_numatune_of_a_domain_placed_automatically(tmp_path: Path) -> None:
    """Without a nodeset the memory of a domain whose vCPUs are placed automatically is too; a nodeset
    makes its placement static."""
    xml = tmp_path / "auto.xml"
    xml.write_text(AUTO_PLACED)
    command = (
        f"define {xml}; numatune auto; numatune auto --mode interleave; numatune auto; dumpxml auto; "
        "numatune auto --nodeset 1; numatune auto; dumpxml auto; numatune auto --mode strict; dumpxml auto"
    )
    virsh, ours = _both(command)
    uuid = re.compile(r"<uuid>.*</uuid>")
    assert (ours.returncode, uuid.sub("", ours.stdout), ours.stderr) == (
        virsh.returncode,
        uuid.sub("", virsh.stdout),
        virsh.stderr,
    )
    assert "placement='auto'" in virsh.stdout

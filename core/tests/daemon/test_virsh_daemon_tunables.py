"""Debian's stock virsh with the tunables commands through virtd, side by side with libvirtd 9.0:
memtune, numatune, blkiotune, domiftune, blkdeviotune and perf print the same, errors included, and
the read-only socket refuses their changes alike.

Each case is one virsh run of several commands (one connection, so test:///default keeps its state
between them); one virtd and one private libvirtd serve the module.
"""

from __future__ import annotations

import pytest
from virsh_compare import Outcome, virsh
from virt.daemon.testing import Virtd
from virt.testing import Libvirtd

CASES = [
    "memtune test; memtune test --config",
    "memtune test --hard-limit 1G --soft-limit 100M; memtune test; memtune test --config; dumpxml test",
    "memtune test --min-guarantee 5",
    "memtune test --swap-hard-limit 1",
    "memtune test --live --config",
    "memtune test --swap-hard-limit 2G --config; memtune test --config; dumpxml --inactive test",
    "numatune test",
    "numatune test --mode 1",
    "numatune test --mode 7",
    "numatune test --nodeset x",
    "numatune test --nodeset 0; numatune test --mode preferred; numatune test --mode strict --config",
    "numatune test --nodeset 3,1,5-7; numatune test; dumpxml test",
    "numatune test --live --config",
    "numatune test --mode restrictive --nodeset 1 --config; numatune test --config; dumpxml --inactive test",
    "blkiotune test",
    "blkiotune test --weight 300 --device-weights /dev/sda,10; blkiotune test; dumpxml test",
    "blkiotune test --device-read-iops-sec /dev/sda,5,/dev/sdb,7 --device-write-bytes-sec /dev/sdb,9; blkiotune test",
    "blkiotune test --device-weights /a",
    "blkiotune test --device-weights /a,x --device-read-iops-sec /b,3; blkiotune test",
    "blkiotune test --live --config",
    "blkiotune test --device-weights /a,5,/b,6; blkiotune test --device-weights /a,0; blkiotune test; "
    "blkiotune test --device-weights /a,7; blkiotune test --device-read-iops-sec /c,0,/b,1; "
    "blkiotune test --device-write-iops-sec /c,4; blkiotune test; dumpxml test",
    "blkiotune test --weight 50 --config; blkiotune test --config; blkiotune test",
    "domiftune test testnet0",
    "domiftune test aa:bb:cc:dd:ee:ff --config",
    "domiftune test testnet0 --live --config",
    "domiftune test nope",
    "domiftune test nope --inbound 5",
    "domiftune test testnet0 --inbound 1,2,3,4; domiftune test testnet0; dumpxml test",
    "domiftune test testnet0 --inbound 10,,30 --outbound 5,6,7; domiftune test testnet0; dumpxml test",
    "domiftune test testnet0 --inbound 0,0,0,7; domiftune test testnet0",
    "domiftune test testnet0 --outbound 9 --config; domiftune test testnet0 --config; domiftune test testnet0",
    "blkdeviotune test vda",
    "blkdeviotune test /guest/diskimage1 --config",
    "blkdeviotune test vdz",
    "blkdeviotune test vdz --read-iops-sec 4",
    "blkdeviotune test vda --live --config",
    "blkdeviotune test vda --total-bytes-sec 1k",
    "blkdeviotune test vda --total-bytes-sec 10 --total-bytes-sec-max 20; blkdeviotune test vda; dumpxml test",
    "blkdeviotune test vda --read-iops-sec 5 --read-iops-sec-max 5 --group-name g --size-iops-sec 3; "
    "blkdeviotune test vda",
    "blkdeviotune test vda --write-bytes-sec 2000000000000000",
    "blkdeviotune test vda --total-iops-sec-max-length 5 --config; blkdeviotune test vda --config",
    "perf test; perf test --config",
    "perf test --enable cmt,cpu_cycles --disable mbmt; perf test; dumpxml test",
    "perf test --enable bogus",
    "perf test --enable cmt --disable cmt",
    "perf test --live --config",
    "destroy test; memtune test; numatune test --nodeset 1; blkiotune test --weight 9; perf test --enable cmt; "
    "domiftune test testnet0 --inbound 4; blkdeviotune test vda --read-iops-sec 1 --read-iops-sec-max 2; "
    "dumpxml test; memtune test --live",
]

READ_ONLY_CASES = [
    "memtune test; memtune test --hard-limit 1G",
    "numatune test; numatune test --nodeset 0",
    "blkiotune test; blkiotune test --weight 5",
    "domiftune test testnet0; domiftune test testnet0 --inbound 5",
    "blkdeviotune test vda; blkdeviotune test vda --read-iops-sec 1",
    "perf test; perf test --enable cmt",
]


def _same(ours: Outcome, theirs: Outcome, command: str) -> None:
    assert ours == theirs, f"virsh '{command}':\n virtd:    {ours}\n libvirtd: {theirs}"


@pytest.mark.parametrize("command", CASES)
def test_tunables_print_what_libvirtd_prints(virtd: Virtd, libvirtd: Libvirtd, command: str) -> None:
    _same(virsh(virtd.uri(), command), virsh(libvirtd.uri(), command), command)


@pytest.mark.parametrize("command", READ_ONLY_CASES)
def test_the_read_only_socket_as_libvirtd(virtd: Virtd, libvirtd: Libvirtd, command: str) -> None:
    _same(virsh(virtd.uri(readonly=True), command), virsh(libvirtd.uri(readonly=True), command), command)

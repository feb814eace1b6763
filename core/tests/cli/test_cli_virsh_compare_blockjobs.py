"""``virt -c test:///default`` block job commands print what ``virsh -c test:///default`` prints
(libvirt 9.0) wherever virsh itself decides: option checks, number parsing, the copy's destination
XML (--print-xml). libvirt's test driver has no block jobs; the QEMU driver's, against libvirtd,
are virt-qemu's tests."""

from __future__ import annotations

import pytest
from test_cli_virsh_compare import _both

SAME = [
    "blockcopy test vda",
    "blockcopy test vda --dest /tmp/x --xml /tmp/y",
    "blockcopy test vda --xml /tmp/y --format raw",
    "blockcopy test vda --xml /tmp/y --blockdev",
    "blockcopy test vda /tmp/x --pivot --finish",
    "blockcopy test vda /tmp/x --verbose",
    "blockcopy test vda /tmp/x --async",
    "blockcopy test vda /tmp/x --format qcow2 --print-xml",
    "blockcopy test vda /tmp/x --blockdev --print-xml",
    "blockcopy test vda /tmp/x --bandwidth 5 --bytes --print-xml",
    "blockcopy test vda /tmp/x --bandwidth 1x",
    "blockcopy test vda /tmp/x --granularity -1",
    "blockcopy test vda /tmp/x --buf-size abc",
    "blockcommit test vda --verbose",
    "blockcommit test vda --pivot --keep-overlay",
    "blockcommit test vda --timeout abc",
    "blockcommit test vda --timeout 0",
    "blockpull test vda --async",
    "blockpull test vda --verbose",
    "blockpull test vda --timeout 5 --verbose",
    "blockjob test vda --abort --info",
    "blockjob test vda --raw --abort",
    "blockjob test vda --raw --bandwidth 1",
    "blockjob test vda --bandwidth 5 --info",
    "blockjob test vda --async --info",
    "blockjob test vda --pivot --info",
    "blockjob test vda --raw --pivot",
    "blockjob test vda --bytes --abort",
    "blockjob test vda --bandwidth 1x",
    "blockjob test vda --bandwidth abc",
    "blockresize test vda 10Q",
    "blockresize test vda abc",
    "blockresize test vda -5",
    "blockresize nosuch vda 5",
]


@pytest.mark.parametrize("command", SAME)
def test_same_output(command: str) -> None:
    virsh, ours = _both(command)
    assert (ours.returncode, ours.stdout, ours.stderr) == (virsh.returncode, virsh.stdout, virsh.stderr)

"""``virt -c test:///default`` device commands print what ``virsh -c test:///default`` prints
(libvirt 9.0): the XML attach-disk and attach-interface write (--print-xml), the device detach-disk,
detach-interface and change-media find in the domain's XML, and their errors. libvirt 9.0's test
driver has no device hotplug: the calls themselves are refused (by both; the words of that refusal
are the drivers' generic ones, compared elsewhere), so a case here stops before the call or checks
the refusal's first line only.
"""

from __future__ import annotations

import pytest
from test_cli_virsh_compare import _both

CASES = [
    "attach-disk test /tmp/y.img vdc --print-xml",
    "attach-disk test /tmp/y.img vdc --print-xml --targetbus virtio --driver qemu --subdriver qcow2 --cache none --type cdrom --mode readonly --serial abc",
    "attach-interface test network default --print-xml",
    "attach-interface test bridge br0 --mac 52:54:00:11:22:33 --model virtio --target vnet9 --print-xml --alias ua-x",
    "detach-interface test network --print-xml",
    "detach-interface test bridge",
    "detach-disk test vda --print-xml",
    "detach-disk test /guest/diskimage1 --print-xml",
    "change-media test vda /tmp/a.iso --print-xml",
    "attach-interface test bogus x",
    "attach-disk test /tmp/y.img vdc --mode bogus",
    "detach-interface test network --mac 11",
    "attach-disk test /tmp/y.img vdc --current --live",
    "attach-disk test /tmp/y.img vdc --address scsi:0.0.1 --print-xml",
    "attach-disk test /tmp/y.img vdc --address pci:0000.00.05.0 --print-xml",
    "attach-disk test /tmp/y.img vdc --address pci:0000.00.05.0 --print-xml --multifunction",
    "attach-disk test /tmp/y.img vdc --address ccw:00.0.0005 --print-xml",
    "attach-disk test /tmp/y.img sdc --address scsi:0.0.1 --print-xml",
    "attach-disk test /tmp/y.img sdc --address sata:0.0.1 --print-xml",
    "attach-disk test /tmp/y.img sdc --address usb:1.2 --print-xml",
    "attach-disk test /tmp/y.img hdc --address ide:0.1.0 --print-xml",
    "attach-disk test /tmp/y.img hdc --address pci:0.0.5.0 --print-xml",
    "attach-disk test /tmp/y.img xdc --address pci:0.0.5.0 --print-xml",
    "attach-disk test /tmp/y.img vdc --address pci:zz --print-xml",
    "attach-disk test /tmp/y.img vdc --print-xml --sourcetype bogus",
    "attach-disk test /tmp/y.img vdc --print-xml --sourcetype block",
    "attach-disk test /dev/null vdc --print-xml",
    "attach-interface test user x --print-xml",
    "attach-interface test direct eth0 --source-mode bridge --print-xml",
    "attach-interface test ethernet x --print-xml --script /bin/true",
    "attach-disk test /tmp/y.img vdc --print-xml --rawio --wwn 0x5000c50015ea71ac --iothread 2 --io native --alias ua-d",
    "attach-disk test /tmp/y.img vdc --print-xml --mode shareable --serial S --wwn 0x5000c50015ea71ac --alias A --driver qemu --subdriver raw --iothread 2 --cache none --io native --type disk --targetbus virtio --address pci:0.0.5.0",
    "attach-disk test /tmp/y.img vdc --print-xml --wwn W",
    "attach-interface test direct eth0 --print-xml",
    "attach-interface test hostdev 0000:00:05.0 --print-xml --managed",
    "attach-interface test vhostuser /tmp/s --source-mode server --print-xml",
    "attach-interface test vhostuser /tmp/s --print-xml",
    "attach-interface test mcast x --print-xml",
    "attach-interface test network default --script /bin/x --inbound 100 --print-xml",
    "attach-interface test network default --inbound 100,200,300 --outbound 5 --print-xml",
    "attach-interface test network default --mac zz --print-xml",
    "detach-interface test network --mac AA:BB:CC:DD:EE:FF --print-xml",
    "change-media test hdc --insert",
    "change-media test hdc /x --eject --insert",
    "attach-disk test /tmp/y.img vdc --print-xml --mode readonly --mode shareable",
    "attach-device test /tmp/nofile.xml",
    "detach-disk test vdz",
    "detach-device-alias test x --live --current",
]


@pytest.mark.parametrize("command", CASES)
def test_same_output(command: str) -> None:
    virsh, ours = _both(command)
    assert (ours.returncode, ours.stdout, ours.stderr) == (virsh.returncode, virsh.stdout, virsh.stderr)


@pytest.mark.parametrize(
    "command",
    [
        "attach-disk test /tmp/y.img vdc",
        "detach-disk test vda",
        "attach-interface test network default",
        "detach-interface test network",
        "attach-device test /dev/null",
    ],
)
def test_the_refused_call_fails_as_virsh_says(command: str) -> None:
    virsh, ours = _both(command)
    assert ours.returncode == virsh.returncode == 1
    assert ours.stderr.splitlines()[0] == virsh.stderr.splitlines()[0]

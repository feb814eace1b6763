"""What the guest agent's answers become (``virt_qemu.guestcalls``): qemu-ga's replies as it sends them,
turned into libvirt's records, and the errors of malformed ones. The agent's wire is test_agent.py's."""

from __future__ import annotations

from typing import Any

import pytest
from virt.domainchanges import DomainInterface, FilesystemInfo, IPAddress, IPAddressType
from virt.errors import VirtError
from virt.xml import Domain
from virt_qemu.guestcalls import filesystems_from_agent, interfaces_from_agent, interfaces_from_arp

GUEST = Domain.from_xml(
    """<domain type='kvm'><name>g</name><memory>65536</memory>
  <devices>
    <disk type='file' device='disk'><source file='/a.img'/><target dev='vda' bus='virtio'/>
      <address type='pci' domain='0x0000' bus='0x00' slot='0x04' function='0x0'/></disk>
    <disk type='file' device='disk'><source file='/b.img'/><target dev='sda' bus='scsi'/>
      <address type='drive' controller='0' bus='0' target='0' unit='1'/></disk>
    <controller type='scsi' index='0' model='virtio-scsi'>
      <address type='pci' domain='0x0000' bus='0x00' slot='0x05' function='0x0'/></controller>
    <interface type='ethernet'><mac address='52:54:00:aa:bb:01'/><target dev='tap7'/></interface>
    <interface type='ethernet'><mac address='52:54:00:aa:bb:02'/></interface>
  </devices></domain>"""
)


def _pci(slot: int) -> dict[str, int]:
    return {"domain": 0, "bus": 0, "slot": slot, "function": 0}


def test_interfaces_merge_aliases_and_keep_the_agents_order() -> None:
    answer = [
        {
            "name": "lo",
            "hardware-address": "00:00:00:00:00:00",
            "ip-addresses": [{"ip-address-type": "ipv4", "ip-address": "127.0.0.1", "prefix": 8}],
        },
        {
            "name": "eth0",
            "hardware-address": "52:54:00:aa:bb:01",
            "ip-addresses": [
                {"ip-address-type": "ipv4", "ip-address": "10.0.0.5", "prefix": 24},
                {"ip-address-type": "ipv6", "ip-address": "fe80::1", "prefix": 64},
            ],
        },
        {"name": "eth0:1", "ip-addresses": [{"ip-address-type": "ipv4", "ip-address": "10.0.0.6", "prefix": 24}]},
        {"name": "dummy0"},
    ]
    assert interfaces_from_agent(answer) == [
        DomainInterface("lo", "00:00:00:00:00:00", (IPAddress(IPAddressType.IPV4, "127.0.0.1", 8),)),
        DomainInterface(
            "eth0",
            "52:54:00:aa:bb:01",
            (
                IPAddress(IPAddressType.IPV4, "10.0.0.5", 24),
                IPAddress(IPAddressType.IPV6, "fe80::1", 64),
                IPAddress(IPAddressType.IPV4, "10.0.0.6", 24),
            ),
        ),
        DomainInterface("dummy0", None, ()),
    ]


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        ({"name": "eth0"}, "was not an array"),
        ([{"hardware-address": "x"}], "an interface without a name"),
        ([{"name": "e", "ip-addresses": [{"ip-address-type": "ipx", "ip-address": "1", "prefix": 1}]}], "'ipx'"),
        ([{"name": "e", "ip-addresses": [{"ip-address-type": "ipv4", "ip-address": "1"}]}], "'prefix'"),
    ],
)
def test_malformed_interface_answers_are_errors(answer: Any, message: str) -> None:
    with pytest.raises(VirtError, match=message):
        interfaces_from_agent(answer)


def test_filesystems_name_the_domains_disks_by_address() -> None:
    answer = [
        {
            "name": "vda1",
            "mountpoint": "/",
            "type": "ext4",
            "disk": [{"bus-type": "virtio", "bus": 0, "unit": 0, "target": 0, "pci-controller": _pci(4)}],
        },
        {
            "name": "sdb1",
            "mountpoint": "/srv",
            "type": "xfs",
            "disk": [{"bus-type": "scsi", "bus": 0, "unit": 1, "target": 0, "pci-controller": _pci(5)}],
        },
        {
            "name": "sdc1",
            "mountpoint": "/mnt",
            "type": "vfat",
            "disk": [{"bus-type": "scsi", "bus": 0, "unit": 3, "target": 0, "pci-controller": _pci(5)}],
        },
        {"name": "tmpfs", "mountpoint": "/tmp", "type": "tmpfs", "disk": []},
    ]
    assert filesystems_from_agent(answer, GUEST) == [
        FilesystemInfo("/", "vda1", "ext4", ("vda",)),
        FilesystemInfo("/srv", "sdb1", "xfs", ("sda",)),
        FilesystemInfo("/mnt", "sdc1", "vfat", ()),  # a disk the domain does not have at that address
        FilesystemInfo("/tmp", "tmpfs", "tmpfs", ()),
    ]


def test_a_filesystem_without_its_mountpoint_is_an_error() -> None:
    with pytest.raises(VirtError, match="'mountpoint' missing in reply of guest-get-fsinfo"):
        filesystems_from_agent([{"name": "vda1", "type": "ext4"}], GUEST)


def test_arp_entries_of_the_domains_macs() -> None:
    table = [("192.168.1.7", "52:54:00:aa:bb:01"), ("192.168.1.8", "52:54:00:aa:bb:99")]
    assert interfaces_from_arp(GUEST, table) == [
        DomainInterface("tap7", "52:54:00:aa:bb:01", (IPAddress(IPAddressType.IPV4, "192.168.1.7", 0),))
    ]

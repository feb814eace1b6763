"""Domain XML -> bhyve command lines: libvirt's refusals and choices outside the corpus."""

from __future__ import annotations

import attrs
import pytest
from virt.errors import ErrorNumber, VirtError
from virt.xml import Domain
from virt_bhyve.argv import DRY_RUN, build_commands, to_native

GUEST = """<domain type='bhyve'>
  <name>guest</name>
  <uuid>6f1a4b0e-0c4a-4c53-9f43-2b3c3c0e1f00</uuid>
  <memory unit='MiB'>512</memory>
  <vcpu>{vcpus}</vcpu>
  {head}
  <os><type>hvm</type>{os}</os>
  {clock}
  <devices>
    {devices}
  </devices>
</domain>"""
DISK = "<disk type='file' device='disk'><source file='/vm/guest.img'/><target dev='vda' bus='virtio'/></disk>"


def guest(devices: str = DISK, *, head: str = "", os: str = "", clock: str = "", vcpus: int = 2) -> Domain:
    return Domain.from_xml(GUEST.format(devices=devices, head=head, os=os, clock=clock, vcpus=vcpus))


def refused(domain: Domain, words: str) -> None:
    with pytest.raises(VirtError) as raised:
        build_commands(domain, DRY_RUN)
    assert words in raised.value.message
    assert raised.value.code in (ErrorNumber.CONFIG_UNSUPPORTED, ErrorNumber.XML_ERROR, ErrorNumber.INTERNAL_ERROR)


def test_a_plain_guest() -> None:
    commands = build_commands(guest(), DRY_RUN)
    assert commands.loader == ["/usr/sbin/bhyveload", "-m", "512", "-d", "/vm/guest.img", "guest"]
    # slot 1 stays free for the LPC bridge: the disk gets slot 2
    assert commands.bhyve == [
        "/usr/sbin/bhyve", "-c", "2", "-m", "512", "-u", "-H", "-P",
        "-s", "0:0,hostbridge", "-s", "2:0,virtio-blk,/vm/guest.img", "guest",
    ]  # fmt: skip
    assert commands.device_map is None


def test_the_driver_environment() -> None:
    """What the driver passes: its tools, the tap it made for each interface, a VNC port."""
    nic = "<interface type='bridge'><mac address='52:54:00:12:34:56'/><source bridge='bridge0'/><model type='virtio'/></interface>"
    vnc = "<graphics type='vnc' autoport='yes'><listen type='address' address='0.0.0.0'/></graphics>"
    env = attrs.evolve(DRY_RUN, bhyve="bhyve", tap=lambda interface, n: f"tap{n + 7}", vnc_port=lambda: 5911)
    domain = guest(DISK + nic + nic.replace("34:56", "34:57") + vnc, os="<loader>/fw/BHYVE_UEFI.fd</loader>")
    commands = build_commands(domain, env)
    assert commands.loader is None  # UEFI: no loader runs
    # libvirt's order: controllers, interfaces, virtio disks, then the GOP video made for the display
    assert "2:0,virtio-net,tap7,mac=52:54:00:12:34:56" in commands.bhyve
    assert "3:0,virtio-net,tap8,mac=52:54:00:12:34:57" in commands.bhyve
    assert "4:0,virtio-blk,/vm/guest.img" in commands.bhyve
    assert "5:0,fbuf,tcp=0.0.0.0:5911" in commands.bhyve
    assert commands.bhyve[:1] == ["bhyve"] and "1:0,lpc" in commands.bhyve


def test_grub_with_a_boot_order_maps_only_that_disk() -> None:
    cd = "<disk type='file' device='cdrom'><source file='/iso/x.iso'/><target dev='hdc' bus='sata'/></disk>"
    boot = DISK.replace("</disk>", "<boot order='1'/></disk>")
    commands = build_commands(guest(boot + cd, head="<bootloader>/usr/local/sbin/grub-bhyve</bootloader>"), DRY_RUN)
    assert commands.loader is not None and commands.loader[1:3] == ["--root", "hd0,msdos1"]
    assert commands.device_map == "(hd0) /vm/guest.img\n"
    commands = build_commands(guest(DISK + cd, head="<bootloader>/usr/local/sbin/grub-bhyve</bootloader>"), DRY_RUN)
    assert commands.loader is not None and commands.loader[1:3] == ["--root", "cd"]
    assert commands.device_map == "(hd0) /vm/guest.img\n(cd) /iso/x.iso\n"


def test_output_is_quoted_for_a_shell() -> None:
    out = to_native(guest(DISK.replace("/vm/guest.img", "/vm/my guest.img")))
    assert "'2:0,virtio-blk,/vm/my guest.img'" in out


@pytest.mark.parametrize(
    ("kwargs", "words"),
    [
        ({"devices": ""}, "Domain should have at least one disk defined"),
        ({"os": "<boot dev='hd'/><boot dev='cdrom'/>"}, "Only one boot device is supported"),
        ({"os": "<boot dev='network'/>"}, "Cannot boot from device network"),
        ({"os": "<boot dev='cdrom'/>"}, "Cannot find boot device of requested type cdrom"),
        ({"head": "<bootloader>/opt/loader</bootloader>"}, "Custom loader requires explicit bootloader_args"),
        ({"clock": "<clock offset='variable'/>"}, "unsupported clock offset 'variable'"),
        (
            {"head": "<cpu><topology sockets='1' cores='4' threads='1'/></cpu>"},
            "total number of vCPUs must equal the product of sockets, cores, and threads",
        ),
        (
            {"head": "<cpu><topology sockets='1' dies='2' cores='1' threads='1'/></cpu>"},
            "Only 1 die per socket is supported",
        ),
        (
            {
                "devices": DISK
                + "<interface type='network'><source network='default'/><model type='virtio'/></interface>"
            },
            "Network type 'network' is not supported",
        ),
        (
            {"devices": DISK + "<interface type='bridge'><source bridge='b'/><model type='rtl8139'/></interface>"},
            "NIC model is not supported",
        ),
        (
            {"devices": DISK + "<disk type='file' device='cdrom'><target dev='hdc' bus='sata'/></disk>"},
            "cdrom device without source path not supported",
        ),
        ({"devices": DISK.replace("virtio'", "scsi'").replace("vda", "sda")}, "unsupported disk device"),
        ({"devices": DISK + "<serial type='pty'/>"}, "only nmdm console types are supported"),
        (
            {
                "devices": DISK
                + "<serial type='nmdm'><source master='/dev/nmdm1A' slave='/dev/nmdm1B'/><target port='3'/></serial>"
            },
            "only two serial ports are supported",
        ),
        (
            {"devices": DISK + "<graphics type='vnc' port='5900'><listen type='address'/></graphics>"},
            "Graphics are only supported when booting using UEFI",
        ),
        (
            {
                "devices": DISK + "<graphics type='vnc' port='5900' passwd='a,b'><listen type='address'/></graphics>",
                "os": "<loader>/fw/x.fd</loader>",
            },
            "Password may not contain ',' character",
        ),
        (
            {
                "devices": DISK + "<graphics type='vnc' port='80'><listen type='address'/></graphics>",
                "os": "<loader>/f</loader>",
            },
            "vnc port must be in range [5900,65535]",
        ),
        ({"devices": DISK + "<controller type='isa' index='1'/>"}, "Bhyve ISA controller can only have index '0'"),
        ({"devices": DISK + "<controller type='usb' model='nec-xhci'/>"}, "only single input device is supported"),
        ({"devices": DISK + "<sound model='es1370'/>"}, "Sound device model is not supported"),
        (
            {
                "devices": DISK
                + "<filesystem type='mount' accessmode='mapped'><source dir='/s'/><target dir='t'/></filesystem>"
            },
            "unsupported filesystem accessmode 'mapped'",
        ),
        (
            {"devices": DISK.replace("<target dev='vda' bus='virtio'/>", "<target dev='xyz' bus='sata'/>")},
            "Unknown disk name 'xyz' and no address specified",
        ),
        (
            {
                "devices": DISK
                + DISK.replace("vda", "vdb").replace("<target", "<address type='pci' slot='0x05'/><target")
                + DISK.replace("vda", "vdc").replace("<target", "<address type='pci' slot='0x05'/><target")
            },
            "Attempted double use of PCI Address 0000:00:05.0",
        ),
    ],
)
def test_refusals(kwargs: dict[str, str], words: str) -> None:
    refused(guest(**kwargs), words)


def test_pci_slots_run_out() -> None:
    """Slots 2 to 31 (1 is the LPC bridge's): a 31st virtio disk has none left."""
    names = [f"vd{chr(ord('a') + n)}" for n in range(26)] + [f"vda{chr(ord('a') + n)}" for n in range(5)]
    domain = guest("".join(DISK.replace("vda", name) for name in names))
    with pytest.raises(VirtError, match="No more available PCI slots"):
        build_commands(domain, DRY_RUN)


def test_domxml_to_native_wants_a_read_only_pflash_loader() -> None:
    with pytest.raises(VirtError, match="Only read-only pflash is supported"):
        to_native(guest(os="<loader>/fw/BHYVE_UEFI.fd</loader>"))
    out = to_native(guest(os="<loader readonly='yes' type='pflash'>/fw/BHYVE_UEFI.fd</loader>"))
    assert out.count("\n") == 1 and "bootrom,/fw/BHYVE_UEFI.fd" in out.split()
    no_rom = attrs.evolve(DRY_RUN, caps=DRY_RUN.caps.without("lpc_bootrom"))
    with pytest.raises(VirtError, match="Installed bhyve binary does not support bootrom"):
        to_native(guest(os="<loader readonly='yes' type='pflash'>/fw/BHYVE_UEFI.fd</loader>"), env=no_rom)


def test_a_virtual_network_when_the_driver_knows_its_bridge() -> None:
    nic = "<interface type='network'><mac address='52:54:00:00:00:09'/><source network='default'/><model type='e1000'/></interface>"
    asked: list[str] = []
    env = attrs.evolve(DRY_RUN, network_bridge=lambda name: asked.append(name) or "virbr0")
    assert "2:0,e1000,tap0,mac=52:54:00:00:00:09" in build_commands(guest(DISK + nic), env).bhyve
    assert asked == ["default"]

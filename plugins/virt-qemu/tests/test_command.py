"""Unit tests of the QEMU command builder: argv pieces per device kind and refusals with paths."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import attrs
import pytest
from virt.errors import ErrorDomain, ErrorNumber
from virt.xml import Domain
from virt_qemu.command import RuntimeFiles, UnsupportedConfig, build_command
from virt_qemu.command import _argv_text as argv_text


@attrs.frozen
class FakeMachine:
    name: str
    alias: str | None = None
    is_default: bool = False
    max_cpus: int = 255


@attrs.frozen
class FakeCaps:
    binary: str = "/usr/bin/qemu-system-x86_64"
    arch: str = "x86_64"
    kvm: bool = True
    machines: tuple[FakeMachine, ...] = (
        FakeMachine("pc-i440fx-7.2", "pc", True),
        FakeMachine("pc-q35-7.2", "q35", max_cpus=288),
    )
    cpu_models: tuple[str, ...] = ("qemu64", "Skylake-Client", "max")
    device_types: frozenset[str] = frozenset()

    def has_device(self, name: str) -> bool:
        return True


FILES = RuntimeFiles(monitor_socket=Path("/run/t/qmp.sock"), run_dir=Path("/run/t"))


def domain(
    devices: str = "", *, type_: str = "kvm", machine: str = "pc", extra: str = "", os_extra: str = ""
) -> Domain:
    return Domain.from_xml(f"""<domain type='{type_}'>
  <name>t</name>
  <uuid>c7a5fdbd-edaf-9455-926a-d65c16db1809</uuid>
  <memory unit='MiB'>256</memory>
  <vcpu>2</vcpu>
  <os><type arch='x86_64' machine='{machine}'>hvm</type>{os_extra}</os>
  {extra}
  <devices>
{devices}
  </devices>
</domain>""")


def argv(dom: Domain, caps: Any = None) -> list[str]:
    return build_command(dom, caps or FakeCaps(), FILES)


def values(args: list[str], option: str) -> list[str]:
    return [args[n + 1] for n, a in enumerate(args) if a == option]


def devices_of(args: list[str]) -> list[dict[str, Any]]:
    return [json.loads(v) for v in values(args, "-device")]


def device(args: list[str], driver: str) -> dict[str, Any]:
    return next(d for d in devices_of(args) if d["driver"] == driver)


def refusal(dom: Domain, caps: Any = None) -> UnsupportedConfig:
    with pytest.raises(UnsupportedConfig) as info:
        argv(dom, caps)
    assert info.value.code == ErrorNumber.CONFIG_UNSUPPORTED
    assert info.value.domain == ErrorDomain.QEMU
    return info.value


def test_base_options() -> None:
    args = argv(domain())
    assert args[0] == "/usr/bin/qemu-system-x86_64"
    assert values(args, "-name") == ["guest=t,debug-threads=on"]
    assert "-S" in args and "-nodefaults" in args and "-no-user-config" in args and "-no-shutdown" in args
    assert values(args, "-machine") == ["pc,accel=kvm,usb=off,dump-guest-core=off,acpi=off"]
    assert values(args, "-m") == ["size=262144k"]
    assert values(args, "-smp") == ["2,sockets=2,cores=1,threads=1"]
    assert values(args, "-uuid") == ["c7a5fdbd-edaf-9455-926a-d65c16db1809"]
    assert values(args, "-chardev")[0] == "socket,id=charmonitor,path=/run/t/qmp.sock,server=on,wait=off"
    assert values(args, "-mon") == ["chardev=charmonitor,id=monitor,mode=control"]
    assert values(args, "-rtc") == ["base=utc"]
    assert values(args, "-display") == ["none"]
    assert device(args, "piix3-usb-uhci")["addr"] == "0x1.0x2"  # libvirt's implicit USB controller


def test_tcg_acpi_q35_and_names_with_commas() -> None:
    dom = domain(type_="qemu", machine="q35", extra="<features><acpi/></features>")
    dom.name = "a,b"
    args = argv(dom)
    assert values(args, "-machine") == ["q35,accel=tcg,usb=off,dump-guest-core=off"]
    assert values(args, "-name") == ["guest=a,,b,debug-threads=on"]
    assert device(args, "qemu-xhci")["bus"] == "pcie.0"


def test_kvm_without_kvm_is_refused() -> None:
    error = refusal(domain(), FakeCaps(kvm=False))
    assert error.message.startswith("/domain/@type: KVM is not available")


def test_unknown_machine_is_refused() -> None:
    assert "/domain/os/type/@machine" in refusal(domain(machine="nope")).message


def test_cpu_modes() -> None:
    cpu = "<cpu mode='custom'><model>Skylake-Client</model><topology sockets='1' cores='2' threads='1'/>"
    cpu += "<feature policy='require' name='vmx'/><feature policy='disable' name='pclmuldq'/></cpu>"
    args = argv(domain(extra=cpu))
    assert values(args, "-cpu") == ["Skylake-Client,vmx=on,pclmulqdq=off"]
    assert values(args, "-smp") == ["2,sockets=1,cores=2,threads=1"]
    assert values(argv(domain(extra="<cpu mode='host-model'/>", type_="qemu")), "-cpu") == ["max"]
    assert values(argv(domain(extra="<cpu mode='host-passthrough'/>")), "-cpu") == ["host"]
    migratable = "<cpu mode='host-passthrough' migratable='on'/>"
    assert values(argv(domain(extra=migratable)), "-cpu") == ["host,migratable=on"]
    error = refusal(domain(extra="<cpu mode='host-passthrough'/>", type_="qemu"))
    assert error.message.startswith("/domain/cpu/@mode: host-passthrough needs KVM")
    assert "CPU model 'Nope'" in refusal(domain(extra="<cpu><model>Nope</model></cpu>")).message


def test_disks_buses_cache_and_boot_order() -> None:
    disks = """
    <disk type='file' device='disk'><driver name='qemu' type='qcow2' cache='none' discard='unmap'/>
      <source file='/i/a.qcow2'/><target dev='vda' bus='virtio'/><serial>S1</serial>
      <address type='pci' domain='0x0000' bus='0x00' slot='0x07' function='0x0'/></disk>
    <disk type='block' device='disk'><source dev='/dev/sdz'/><target dev='hda' bus='ide'/></disk>
    <disk type='file' device='cdrom'><target dev='hdc' bus='ide'/><readonly/></disk>
    <disk type='file' device='disk'><driver name='qemu' cache='unsafe'/><source file='/i/s.img'/>
      <target dev='sda' bus='scsi'/></disk>"""
    args = argv(domain(disks, os_extra="<boot dev='cdrom'/><boot dev='hd'/>"))
    blockdevs = [json.loads(v) for v in values(args, "-blockdev")]
    assert blockdevs[0] == {
        "driver": "file", "filename": "/i/a.qcow2", "node-name": "disk0-storage",
        "cache": {"direct": True, "no-flush": False}, "auto-read-only": True, "discard": "unmap",
    }  # fmt: skip
    assert blockdevs[1]["driver"] == "qcow2" and blockdevs[1]["discard"] == "unmap"
    assert blockdevs[2]["driver"] == "host_device"
    virtio = device(args, "virtio-blk-pci")
    assert virtio["bus"] == "pci.0" and virtio["addr"] == "0x7" and virtio["serial"] == "S1"
    assert virtio["bootindex"] == 2 and virtio["write-cache"] == "on" and virtio["id"] == "virtio-disk0"
    ide_cd = device(args, "ide-cd")
    assert ide_cd == {"driver": "ide-cd", "bus": "ide.1", "unit": 0, "id": "ide0-1-0", "bootindex": 1}
    assert device(args, "ide-hd")["bus"] == "ide.0"
    scsi = device(args, "scsi-hd")
    assert scsi["bus"] == "scsi0.0" and scsi["lun"] == 0
    assert device(args, "virtio-scsi-pci")["id"] == "scsi0"  # the implicit SCSI controller
    assert blockdevs[-1]["cache"] == {"direct": False, "no-flush": True}


def test_per_device_boot_order_and_sata() -> None:
    disks = """<disk type='file'><source file='/i/a'/><target dev='sda' bus='sata'/><boot order='2'/></disk>
    <interface type='user'><mac address='52:54:00:00:00:01'/><model type='virtio'/><boot order='1'/></interface>"""
    args = argv(domain(disks, machine="q35"))
    assert device(args, "ide-hd")["bus"] == "ide.0" and device(args, "ide-hd")["bootindex"] == 2
    assert device(args, "virtio-net-pci")["bootindex"] == 1


def test_interfaces() -> None:
    nics = """<interface type='user'><mac address='52:54:00:00:00:01'/><model type='e1000'/></interface>
    <interface type='bridge'><mac address='52:54:00:00:00:02'/><source bridge='br0'/></interface>
    <interface type='network'><mac address='52:54:00:00:00:03'/><source network='default'/></interface>
    <interface type='ethernet'><mac address='52:54:00:00:00:04'/><target dev='tap7' managed='no'/></interface>"""
    args = argv(domain(nics))
    netdevs = [json.loads(v) for v in values(args, "-netdev")]
    assert netdevs == [
        {"type": "user", "id": "hostnet0"},
        {"type": "bridge", "br": "br0", "id": "hostnet1"},
        {"type": "bridge", "br": "virbr0", "id": "hostnet2"},
        {"type": "tap", "ifname": "tap7", "script": "no", "downscript": "no", "id": "hostnet3"},
    ]
    e1000 = device(args, "e1000")
    assert e1000["mac"] == "52:54:00:00:00:01" and e1000["netdev"] == "hostnet0" and e1000["id"] == "net0"
    assert device(args, "rtl8139")["id"] == "net1"  # libvirt's default model
    bad = domain("<interface type='network'><mac address='52:54:00:00:00:03'/><source network='lab'/></interface>")
    assert "/domain/devices/interface[1]/source/@network" in refusal(bad).message
    no_mac = domain("<interface type='user'/>")
    assert "no MAC address" in refusal(no_mac).message


def test_serial_console_and_agent_channel() -> None:
    chars = """<serial type='pty'><target port='0'/></serial>
    <console type='pty'><target type='serial' port='0'/></console>
    <serial type='file'><source path='/l/x,y.log'/><target port='1'/></serial>
    <channel type='unix'><target type='virtio' name='org.qemu.guest_agent.0'/></channel>"""
    args = argv(domain(chars))
    chardevs = values(args, "-chardev")
    assert "pty,id=charserial0" in chardevs
    assert "file,id=charserial1,path=/l/x,,y.log" in chardevs
    assert "socket,id=charchannel0,path=/run/t/org.qemu.guest_agent.0,server=on,wait=off" in chardevs
    assert [d["index"] for d in devices_of(args) if d["driver"] == "isa-serial"] == [0, 1]
    port = device(args, "virtserialport")
    assert port["bus"] == "virtio-serial0.0" and port["name"] == "org.qemu.guest_agent.0"
    assert device(args, "virtio-serial-pci")["id"] == "virtio-serial0"
    stdio = refusal(domain("<serial type='stdio'/>"))
    assert stdio.message.startswith("/domain/devices/serial[1]/@type: stdio")
    # the name is the socket's file name in the run folder: it must stay there
    escape = refusal(domain("<channel type='unix'><target type='virtio' name='../../etc/x'/></channel>"))
    assert escape.message.startswith("/domain/devices/channel[1]/target/@name: a channel name cannot contain '/'")


def test_graphics_video_input_balloon_rng_watchdog() -> None:
    devs = """<graphics type='vnc' port='5905' listen='0.0.0.0'/>
    <video><model type='qxl' ram='65536' vram='65536' vgamem='16384' heads='1'/></video>
    <input type='tablet' bus='usb'/><input type='keyboard' bus='virtio'/><input type='mouse' bus='ps2'/>
    <memballoon model='virtio'/>
    <rng model='virtio'><backend model='random'>/dev/urandom</backend></rng>
    <watchdog model='i6300esb' action='poweroff'/>"""
    args = argv(domain(devs))
    assert values(args, "-vnc") == ["0.0.0.0:5"]
    assert "-display" not in args
    qxl = device(args, "qxl-vga")
    assert qxl["addr"] == "0x2" and qxl["vgamem_mb"] == 16 and qxl["ram_size"] == 64 * 1024 * 1024
    assert device(args, "usb-tablet")["bus"] == "usb.0"
    assert device(args, "virtio-keyboard-pci")["bus"] == "pci.0"
    assert device(args, "virtio-balloon-pci")["id"] == "balloon0"
    assert json.loads(values(args, "-object")[0]) == {
        "qom-type": "rng-random",
        "id": "objrng0",
        "filename": "/dev/urandom",
    }
    assert device(args, "virtio-rng-pci")["rng"] == "objrng0"
    assert values(args, "-action") == ["watchdog=poweroff"]
    auto = argv(domain("<graphics type='vnc' autoport='yes'/>"))
    assert values(auto, "-vnc") == ["127.0.0.1:0,to=99"]


def test_pci_addresses_do_not_collide() -> None:
    devs = """<memballoon model='virtio'/>
    <rng model='virtio'><backend model='random'/>
      <address type='pci' domain='0x0000' bus='0x00' slot='0x03' function='0x0'/></rng>"""
    args = argv(domain(devs))
    assert device(args, "virtio-rng-pci")["addr"] == "0x3"
    assert device(args, "virtio-balloon-pci")["addr"] == "0x2"
    twice = devs.replace(
        "<memballoon model='virtio'/>", "<memballoon model='virtio'><address type='pci' slot='3'/></memballoon>"
    )
    assert "used by two devices" in refusal(domain(twice)).message


def test_uefi_and_kernel_boot() -> None:
    os_extra = """<loader readonly='yes' type='pflash'>/fw/CODE.fd</loader><nvram>/v/VARS.fd</nvram>
    <kernel>/b/vmlinuz</kernel><initrd>/b/initrd</initrd><cmdline>console=ttyS0</cmdline>"""
    args = argv(domain(os_extra=os_extra, machine="q35"))
    assert values(args, "-machine")[0].endswith("pflash0=pflash0-format,pflash1=pflash1-format")
    nodes = [json.loads(v) for v in values(args, "-blockdev")]
    assert nodes[0]["filename"] == "/fw/CODE.fd" and nodes[1]["read-only"] is True
    assert nodes[2]["filename"] == "/v/VARS.fd" and nodes[3]["read-only"] is False
    assert values(args, "-kernel") == ["/b/vmlinuz"] and values(args, "-append") == ["console=ttyS0"]
    auto = refusal(
        domain(os_extra="", extra="").__class__.from_xml(
            "<domain type='kvm'><name>t</name><memory>1024</memory><os firmware='efi'><type>hvm</type></os></domain>"
        )
    )
    assert "/domain/os/@firmware" in auto.message


def test_clock_and_lifecycle() -> None:
    clock = """<clock offset='localtime'><timer name='rtc' tickpolicy='catchup'/><timer name='pit' tickpolicy='delay'/>
      <timer name='hpet' present='no'/></clock><on_reboot>destroy</on_reboot>"""
    args = argv(domain(extra=clock))
    assert values(args, "-rtc") == ["base=localtime,driftfix=slew"]
    assert "kvm-pit.lost_tick_policy=delay" in values(args, "-global")
    assert "hpet=off" in values(args, "-machine")[0]
    assert "-no-reboot" in args


def test_unsupported_things_are_named_with_path_and_line() -> None:
    dom = domain("<disk type='file'><source file='/a'/><target dev='vda'/></disk>\n<sound model='ich9'/>")
    error = refusal(dom)
    assert error.message == "/domain/devices/sound[1]: sound devices are not supported by virt-qemu yet (line 10)"
    numa = refusal(domain(extra="<numatune><memory mode='strict' nodeset='0'/></numatune>"))
    assert numa.message.startswith("/domain/numatune: <numatune> is not supported")
    iotune = "<disk type='file'><source file='/a'/><target dev='vda'/><iotune><total_iops_sec>5</total_iops_sec></iotune></disk>"
    assert refusal(domain(iotune)).message.startswith("/domain/devices/disk[1]/iotune:")
    unknown = refusal(domain("<interface type='user'><mac address='52:54:00:00:00:01'/><mtu size='9000'/></interface>"))
    assert unknown.message.startswith("/domain/devices/interface[1]/mtu:")
    attr = refusal(
        domain("<disk type='file'><driver name='qemu' copy_on_read='on'/><source file='/a'/><target dev='vda'/></disk>")
    )
    assert attr.message.startswith("/domain/devices/disk[1]/driver/@copy_on_read:")
    hostdev = refusal(domain("<hostdev mode='subsystem' type='pci'/>"))
    assert hostdev.message.startswith("/domain/devices/hostdev[1]: host device assignment")


def test_usb_controller_ports() -> None:
    xhci = device(
        argv(domain("<controller type='usb' index='0' model='qemu-xhci' ports='15'/>", machine="q35")), "qemu-xhci"
    )
    assert (xhci["p2"], xhci["p3"]) == (15, 15)
    uhci = refusal(domain("<controller type='usb' index='0' model='piix3-uhci' ports='4'/>"))
    assert uhci.message == (
        "/domain/devices/controller[1]/@ports: usb controller type piix3-uhci doesn't support 'ports'"
        " with this QEMU binary (line 9)"
    )
    too_many = refusal(domain("<controller type='usb' index='0' model='nec-xhci' ports='16'/>"))
    assert "a USB controller has 1 to 15 ports, not 16" in too_many.message


def test_qemu_commandline_passthrough() -> None:
    dom = Domain.from_xml(
        "<domain type='kvm' xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'><name>t</name><memory>1024</memory>"
        "<os><type>hvm</type></os><qemu:commandline><qemu:arg value='-trace'/><qemu:arg value='x'/></qemu:commandline></domain>"
    )
    assert argv(dom)[-2:] == ["-trace", "x"]


def test_argv_text_format() -> None:
    text = argv_text(["/usr/bin/qemu", "-name", "guest=a b", "-S", "-device", '{"driver":"x"}'])
    assert text == "/usr/bin/qemu \\\n-name 'guest=a b' \\\n-S \\\n-device '{\"driver\":\"x\"}'\n"


def test_a_disk_with_a_backing_chain() -> None:
    """An external snapshot's overlay: QEMU opens the chain its header names (a -blockdev for the top
    only); a chain of anything but files is refused."""
    chain = (
        "<backingStore type='file'><format type='qcow2'/><source file='/v/base.qcow2'/></backingStore>"
        "<target dev='vda' bus='virtio'/></disk>"
    )
    top = "<disk type='file' device='disk'><driver name='qemu' type='qcow2'/><source file='/v/disk.s1'/>"
    blockdevs = [json.loads(v) for v in values(argv(domain(top + chain)), "-blockdev")]
    assert [b.get("filename") for b in blockdevs if b["driver"] == "file"] == ["/v/disk.s1"]
    assert "backing" not in next(b for b in blockdevs if b["driver"] == "qcow2")
    network = chain.replace("backingStore type='file'", "backingStore type='network'")
    assert "backing images of type 'network' are" in refusal(domain(top + network)).message

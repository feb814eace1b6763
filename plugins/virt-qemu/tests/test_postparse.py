"""Define-time completion (``virt_qemu.postparse``) on small documents: each rule as libvirt 9.0's
QEMU driver applies it (the whole corpus is compared with a real libvirtd in
``test_postparse_libvirtd.py``; these pin the rules down, and the error paths)."""

from __future__ import annotations

from pathlib import Path

import pytest
import virt
from driver_support import conn_fixture, qemu_root_fixture  # noqa: F401 - fixtures
from lxml import etree
from virt.errors import VirtError
from virt.xml import Domain
from virt_qemu.postparse import complete


def completed(devices: str = "", body: str = "", kind: str = "qemu", machine: str = "pc") -> Domain:
    xml = (
        f"<domain type='{kind}'><name>pp</name><memory unit='KiB'>1048576</memory>{body}"
        f"<os><type arch='x86_64' machine='{machine}'>hvm</type></os><devices>{devices}</devices></domain>"
    )
    return complete(Domain.from_xml(xml), lambda _name: True)


def element(domain: Domain) -> etree._Element:
    return etree.fromstring(domain.to_xml().encode())


# -- memory --------------------------------------------------------------------------------------------
NUMA = (
    "<vcpu>2</vcpu><cpu><numa><cell id='0' cpus='0' memory='512' unit='MiB'/>"
    "<cell id='1' cpus='1' memory='256' unit='MiB'/></numa></cpu>"
)
DIMM = "<memory model='dimm'><target><size unit='MiB'>128</size><node>0</node></target></memory>"


def test_memory_is_the_numa_cells_plus_the_memory_devices() -> None:
    dom = completed(DIMM, body=NUMA.replace("<vcpu>", "<maxMemory slots='4' unit='GiB'>4</maxMemory><vcpu>"))
    assert dom.memory == (512 + 256 + 128) * 1024
    assert dom.current_memory == dom.memory


def test_memory_without_numa_cells_must_hold_the_devices_and_hotplug_needs_cells() -> None:
    with pytest.raises(VirtError, match="Total size of memory devices exceeds the total memory size"):
        completed(DIMM.replace("128", "2048"), body="<maxMemory slots='4' unit='GiB'>4</maxMemory>")
    # as libvirtd 9.0 refuses them at define
    with pytest.raises(VirtError, match=r"^unsupported configuration: At least one numa node has to be configured"):
        completed(DIMM, body="<maxMemory slots='4' unit='GiB'>4</maxMemory>")
    with pytest.raises(VirtError, match=r"^unsupported configuration: cannot use/hotplug a memory device when"):
        completed(DIMM, body=NUMA)


HOTPLUG = NUMA.replace("<vcpu>", "<maxMemory slots='2' unit='GiB'>4</maxMemory><vcpu>")


def _slot(n: int) -> str:
    return DIMM.replace("</target>", f"</target><address type='dimm' slot='{n}'/>")


def test_dimms_get_the_lowest_free_slots_after_the_given_ones() -> None:
    dom = completed(_slot(1) + DIMM, body=HOTPLUG)
    slots = [m.address.slot for m in dom.devices.memories if m.address is not None] if dom.devices else []
    assert slots == ["1", "0"]
    assert "<size unit='KiB'>131072</size>" in dom.to_xml()  # written in KiB, as libvirt writes sizes


@pytest.mark.parametrize(
    ("devices", "body", "error"),
    [
        (DIMM * 3, HOTPLUG, r"^internal error: failed to find an empty memory slot$"),
        (_slot(2), HOTPLUG, r"memory device slot '2' exceeds slots count '2'$"),
        (_slot(1) * 2, HOTPLUG, r"memory device slot '1' is already being used by another memory device$"),
        (DIMM.replace("<node>0</node>", ""), HOTPLUG, r"target NUMA node needs to be specified for memory device$"),
        (DIMM.replace("<node>0", "<node>5"), HOTPLUG, r"^can't add memory backend for guest node '5' as the guest"),
        (DIMM, HOTPLUG.replace("'GiB'>4<", "'MiB'>800<"), r"^XML error: maximum memory size must be equal or greater"),
    ],
)
def test_the_hotplug_rules_in_libvirts_words(devices: str, body: str, error: str) -> None:
    with pytest.raises(VirtError, match=error):
        completed(devices, body=body)


# -- CPU check -----------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("kind", "cpu", "check"),
    [
        ("kvm", "<cpu mode='host-model'/>", "partial"),
        ("kvm", "<cpu mode='host-passthrough'/>", "none"),
        ("kvm", "<cpu mode='custom'><model>Haswell</model></cpu>", "partial"),
        ("qemu", "<cpu mode='custom'><model>Haswell</model></cpu>", "none"),
        ("kvm", "<cpu mode='host-model' check='full'/>", "full"),
    ],
)
def test_cpu_check_defaults(kind: str, cpu: str, check: str) -> None:
    dom = completed(body=cpu, kind=kind)
    assert dom.cpu is not None and dom.cpu.check == check


def test_a_cpu_with_only_a_topology_gets_the_default_model_unchecked() -> None:
    dom = completed(body="<vcpu>2</vcpu><cpu><topology sockets='1' dies='1' cores='2' threads='1'/></cpu>", kind="kvm")
    cpu = dom.cpu
    assert cpu is not None and cpu.model is not None and cpu.topology is not None
    assert (cpu.mode, cpu.match, cpu.check, cpu.model.name, cpu.model.fallback) == (
        "custom",
        "exact",
        "none",
        "qemu64",
        "forbid",
    )


@pytest.mark.parametrize(
    ("cpu", "migratable"),
    [
        ("<cpu mode='host-passthrough'/>", "on"),
        ("<cpu mode='host-passthrough' migratable='off'/>", "off"),
        ("<cpu mode='maximum'/>", None),
        ("<cpu mode='host-model'/>", None),
    ],
)
def test_a_host_passthrough_cpu_is_recorded_migratable(cpu: str, migratable: str | None) -> None:
    dom = completed(body=cpu, kind="kvm")
    assert dom.cpu is not None and dom.cpu.migratable == migratable


# -- devices ---------------------------------------------------------------------------------------------
def test_empty_removable_drives_get_the_raw_format() -> None:
    dom = completed(
        "<disk type='file' device='cdrom'><target dev='hdc' bus='ide'/></disk>"
        "<disk type='block' device='cdrom'><driver name='qemu'/><target dev='hdd' bus='ide'/></disk>"
        "<disk type='file' device='floppy'><target dev='fda' bus='fdc'/></disk>"
    )
    assert [(d.get("name"), d.get("type")) for d in element(dom).iter("driver")] == [("qemu", "raw")] * 3


def test_encrypted_images_are_opened_by_qemu() -> None:
    dom = completed(
        "<disk type='file' device='disk'><driver name='qemu' type='qcow2'/><source file='/a.qcow2'>"
        "<encryption format='luks'><secret type='passphrase' usage='a'/></encryption></source>"
        "<target dev='vda' bus='virtio'/></disk>"
        "<disk type='file' device='disk'><source file='/b.img'/><target dev='vdb' bus='virtio'/>"
        "<encryption format='luks' engine='librbd'><secret type='passphrase' usage='b'/></encryption></disk>"
    )
    engines = [e.get("engine") for e in element(dom).iter("encryption")]
    assert engines == ["qemu", "librbd"]


def test_a_mediated_device_display_is_off_unless_asked_for() -> None:
    mdev = "<hostdev mode='subsystem' type='mdev' model='vfio-pci'{}><source><address uuid='{}'/></source></hostdev>"
    dom = completed(
        mdev.format("", "53764d0e-85a0-42b4-af5c-2046b460b1dc")
        + mdev.format(" display='on'", "53764d0e-85a0-42b4-af5c-2046b460b1dd")
    )
    hostdevs = element(dom).findall("devices/hostdev")
    assert [(h.get("display"), h.get("managed")) for h in hostdevs] == [("off", "no"), ("on", "no")]


def test_a_channel_socket_libvirt_generated_is_dropped() -> None:
    generated = "/var/lib/libvirt/qemu/channel/target/pp.org.qemu.guest_agent.0"
    chosen = "/srv/agent.sock"
    dom = completed(
        f"<channel type='unix'><source mode='bind' path='{generated}'/>"
        "<target type='virtio' name='org.qemu.guest_agent.0'/></channel>"
        f"<channel type='unix'><source mode='bind' path='{chosen}'/>"
        "<target type='virtio' name='org.qemu.guest_agent.1'/></channel>"
    )
    assert dom.devices is not None
    assert [[s.path for s in c.sources] for c in dom.devices.channels] == [[], [chosen]]


def test_a_console_alias_shares_the_serial_ports_log() -> None:
    dom = completed(
        "<serial type='file'><source path='/tmp/s'/><log file='/tmp/s.log' append='off'/><target port='0'/></serial>"
        "<console type='file'><source path='/tmp/s'/><target type='serial' port='0'/></console>"
    )
    assert dom.devices is not None and dom.devices.consoles[0].log is not None
    assert dom.devices.consoles[0].log.get("file") == "/tmp/s.log"


def test_smartcards_get_ccid_slots_and_their_controller() -> None:
    dom = completed(
        "<smartcard mode='host'/><smartcard mode='host'><address type='ccid' controller='0' slot='0'/></smartcard>"
    )
    assert dom.devices is not None
    slots = [(c.address.controller, c.address.slot) for c in dom.devices.smartcards if c.address is not None]
    assert slots == [("0", "1"), ("0", "0")]
    ccid = [c for c in dom.devices.controllers if c.type == "ccid"]
    assert len(ccid) == 1 and ccid[0].address is not None and ccid[0].address.type == "usb"


def test_vio_devices_get_spapr_vio_registers() -> None:
    dom = completed(
        "<controller type='scsi' index='0' model='ibmvscsi'/><controller type='scsi' index='1' model='ibmvscsi'/>"
    )
    out = element(dom)
    assert [a.get("reg") for a in out.iterfind("devices/controller/address[@type='spapr-vio']")] == [
        "0x00002000",
        "0x00003000",
    ]


def test_backing_chain_indexes_are_forgotten() -> None:
    dom = completed(
        "<disk type='file' device='disk'><driver name='qemu' type='qcow2'/><source file='/top' index='2'/>"
        "<backingStore type='file' index='1'><format type='raw'/><source file='/base'/></backingStore>"
        "<target dev='vda' bus='virtio'/></disk>"
    )
    disk = element(dom).find("devices/disk")
    assert disk is not None
    assert [el.get("index") for el in disk.iter("source", "backingStore")] == [None, None, None]


USB2 = "<controller type='usb' model='ich9-ehci1'/><controller type='usb' model='ich9-uhci1'/>"


@pytest.mark.parametrize(
    ("devices", "indexes"),
    [
        # an EHCI and its companions form one USB 2 bus: one index for the group (virt-install writes none)
        (USB2 + USB2, [("ich9-ehci1", "0"), ("ich9-uhci1", "0"), ("ich9-ehci1", "1"), ("ich9-uhci1", "1")]),
        # a USB controller of another kind before breaks the group
        (USB2.replace("ich9-ehci1", "piix3-uhci"), [("piix3-uhci", "0"), ("ich9-uhci1", "1")]),
        # other controllers in between do not; an explicit index is followed
        (
            USB2.replace("usb'", "usb' index='2'", 1).replace("/><", "/><controller type='sata'/><", 1)
            + "<controller type='usb' model='ich9-uhci2'/>",
            [("ich9-ehci1", "2"), ("ich9-uhci1", "2"), ("ich9-uhci2", "2"), ("piix3-uhci", "0")],
        ),
    ],
)
def test_usb2_controllers_without_an_index_share_the_index_of_their_group(
    devices: str, indexes: list[tuple[str, str]]
) -> None:
    usb = element(completed(devices)).findall("devices/controller[@type='usb']")
    assert [(c.get("model"), c.get("index")) for c in usb] == indexes


# -- through the driver --------------------------------------------------------------------------------------
def test_graphics_passwords_only_in_secure_xml(conn: virt.Connection, qemu_root: Path) -> None:
    xml = (
        "<domain type='qemu'><name>pw</name><memory unit='MiB'>64</memory>"
        "<os><type arch='x86_64' machine='pc'>hvm</type></os>"
        "<devices><graphics type='vnc' passwd='s3cret'/></devices></domain>"
    )
    dom = conn.define_domain(xml)
    try:
        assert "s3cret" not in dom.xml(inactive=True) and "s3cret" not in dom.xml()
        assert "passwd='s3cret'" in dom.xml(inactive=True, secure=True)
    finally:
        dom.undefine()

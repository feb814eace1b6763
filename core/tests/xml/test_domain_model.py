"""The domain model's normalisation: what libvirt 9.0's parser fills in and rewrites (formatdomain)."""

from __future__ import annotations

import pytest
import virt.xml
import virt.xml.domain
from corpus_support import xml2xml_score
from lxml import etree
from virt.errors import XMLError
from virt.xml import Domain
from virt.xml.convert import CPUSET


@pytest.fixture(autouse=True)
def x86_64_host(monkeypatch: pytest.MonkeyPatch) -> None:
    # libvirt's tests run with the host architecture mocked to x86_64; so do these
    monkeypatch.setattr(virt.xml.domain, "host_arch", lambda: "x86_64")


def parse(text: str) -> Domain:
    dom = Domain.from_xml(text)
    out = dom.to_xml()
    assert Domain.from_xml(out).to_xml() == out  # idempotent: the output is already canonical
    return dom


def domain(body: str = "", devices: str = "", kind: str = "qemu", os: str = "<type>hvm</type>") -> str:
    return (
        f"<domain type='{kind}'><name>d</name><memory unit='KiB'>1024</memory>"
        f"{body}<os>{os}</os><devices>{devices}</devices></domain>"
    )


def test_domain_xml2xml_generic_scores_at_least_90_percent() -> None:
    passed, total = xml2xml_score("domain-xml2xml-generic")
    assert passed / total >= 0.9, f"{passed}/{total}"


# -- top-level defaults ----------------------------------------------------------------------


def test_defaults_of_a_minimal_domain() -> None:
    dom = parse(domain())
    assert dom.current_memory == 1024
    assert dom.vcpu is not None and (dom.vcpu.placement, dom.vcpu.count) == ("static", 1)
    assert dom.os is not None and dom.os.type is not None and dom.os.type.arch == "x86_64"
    assert [b.dev for b in dom.os.boot] == ["hd"]
    assert dom.clock is not None and dom.clock.offset == "utc"
    assert (dom.on_poweroff, dom.on_reboot, dom.on_crash) == ("destroy", "restart", "destroy")


def test_current_memory_above_memory_is_capped() -> None:
    dom = parse(domain("<currentMemory unit='KiB'>4096</currentMemory>"))
    assert dom.current_memory == 1024


def test_current_memory_below_memory_is_kept() -> None:
    dom = parse(domain("<currentMemory unit='KiB'>512</currentMemory>"))
    assert dom.current_memory == 512


def test_vcpu_placement_follows_numatune() -> None:
    dom = parse(domain("<vcpu>2</vcpu><numatune><memory placement='auto'/></numatune>"))
    assert dom.vcpu is not None and dom.vcpu.placement == "auto"


@pytest.mark.parametrize(
    ("kind", "arch"), [("kvm", "x86_64"), ("hyperv", "x86_64"), ("test", "i686"), ("vmware", "i686")]
)
def test_arch_defaults_per_driver(kind: str, arch: str) -> None:
    dom = parse(domain(kind=kind))
    assert dom.os is not None and dom.os.type is not None and dom.os.type.arch == arch


def test_given_arch_is_kept() -> None:
    dom = parse(domain(os="<type arch='aarch64'>hvm</type>"))
    assert dom.os is not None and dom.os.type is not None and dom.os.type.arch == "aarch64"


def test_no_default_boot_with_a_device_boot_order() -> None:
    dom = parse(domain(devices="<disk type='file' device='disk'><target dev='vda'/><boot order='1'/></disk>"))
    assert dom.os is not None and dom.os.boot == []


def test_no_default_boot_with_a_bootloader() -> None:
    dom = parse(domain("<bootloader>/usr/bin/grub-bhyve</bootloader>"))
    assert dom.os is not None and dom.os.boot == []


def test_no_default_boot_for_containers() -> None:
    dom = parse(domain(kind="lxc", os="<type>exe</type><init>/sbin/init</init>"))
    assert dom.os is not None and dom.os.boot == []


def test_clock_without_offset_is_utc() -> None:
    dom = parse(domain("<clock><timer name='rtc'/></clock>"))
    assert dom.clock is not None and dom.clock.offset == "utc"


# -- cputune ---------------------------------------------------------------------------------


def test_cpuset_converter() -> None:
    assert CPUSET.parse("1-3,^1") == (2, 3)
    assert CPUSET.parse("0,2-4,8") == (0, 2, 3, 4, 8)
    assert CPUSET.format((0, 1, 3, 5, 6, 7)) == "0-1,3,5-7"
    with pytest.raises(ValueError):
        CPUSET.parse("3-1")


def test_vcpusched_is_written_one_per_vcpu_in_order() -> None:
    dom = parse(
        domain(
            "<vcpu>4</vcpu><cputune><vcpusched vcpus='1-3,^1' scheduler='idle'/>"
            "<vcpusched vcpus='0-1' scheduler='fifo' priority='1'/></cputune>"
        )
    )
    assert dom.cputune is not None
    assert [(s.vcpus, s.scheduler, s.priority) for s in dom.cputune.vcpuscheds] == [
        ((0,), "fifo", 1),
        ((1,), "fifo", 1),
        ((2,), "idle", None),
        ((3,), "idle", None),
    ]
    assert "<vcpusched vcpus='2' scheduler='idle'/>" in dom.to_xml()


def test_iothreadsched_follows_iothreadids_order() -> None:
    dom = parse(
        domain(
            "<iothreads>3</iothreads><iothreadids><iothread id='3'/><iothread id='1'/><iothread id='2'/></iothreadids>"
            "<cputune><iothreadsched iothreads='1-3' scheduler='batch'/></cputune>"
        )
    )
    assert dom.cputune is not None
    assert [s.iothreads for s in dom.cputune.iothreadscheds] == [(3,), (1,), (2,)]


def test_overlapping_schedulers_are_refused() -> None:
    with pytest.raises(XMLError):
        Domain.from_xml(
            domain(
                "<cputune><vcpusched vcpus='0-1' scheduler='fifo' priority='1'/>"
                "<vcpusched vcpus='1' scheduler='idle'/></cputune>"
            )
        )


def test_memorytune_nodes_come_before_monitors() -> None:
    dom = parse(
        domain(
            "<cputune><memorytune vcpus='0-1'><monitor vcpus='0'/><node id='0' bandwidth='20'/></memorytune></cputune>"
        )
    )
    out = dom.to_xml()
    assert out.index("<node id='0'") < out.index("<monitor vcpus='0'/>")


# -- devices ---------------------------------------------------------------------------------


def graphics(xml: str) -> virt.xml.Graphics:
    dom = parse(domain(devices=xml))
    assert dom.devices is not None
    return dom.devices.graphics[0]


def listens(g: virt.xml.Graphics) -> list[tuple[str | None, str | None, str | None]]:
    return [(x.type, x.address, x.socket) for x in g.listens]


def test_vnc_minimal_gets_autoport_and_an_address_listen() -> None:
    g = graphics("<graphics type='vnc'/>")
    assert (g.port, g.autoport, g.listen) == (-1, True, None)
    assert listens(g) == [("address", None, None)]


def test_vnc_autoport_overrides_a_port() -> None:
    g = graphics("<graphics type='vnc' port='5900' autoport='yes'/>")
    assert (g.port, g.autoport) == (-1, True)


def test_vnc_manual_port_is_kept() -> None:
    g = graphics("<graphics type='vnc' port='5901'/>")
    assert (g.port, g.autoport) == (5901, False)


def test_listen_attribute_becomes_a_listen_element() -> None:
    g = graphics("<graphics type='vnc' listen='192.168.1.1'/>")
    assert listens(g) == [("address", "192.168.1.1", None)]
    assert g.listen == "192.168.1.1"


def test_listen_element_address_is_mirrored_in_the_attribute() -> None:
    g = graphics("<graphics type='vnc'><listen type='address' address='127.0.0.1'/></graphics>")
    assert g.listen == "127.0.0.1"


def test_mismatched_listen_attribute_is_refused() -> None:
    with pytest.raises(XMLError):
        Domain.from_xml(
            domain(
                devices="<graphics type='vnc' listen='1.2.3.4'><listen type='address' address='5.6.7.8'/></graphics>"
            )
        )


@pytest.mark.parametrize(
    "xml",
    [
        "<graphics type='vnc' socket='/tmp/s'/>",
        "<graphics type='vnc' socket='/tmp/s'><listen type='address' address='0.0.0.0'/></graphics>",
        "<graphics type='vnc' socket='/tmp/s'><listen type='socket'/></graphics>",
    ],
)
def test_vnc_socket_attribute_is_a_socket_listen(xml: str) -> None:
    g = graphics(xml)
    assert listens(g) == [("socket", None, "/tmp/s")]
    assert (g.socket, g.port, g.autoport, g.listen) == ("/tmp/s", None, None, None)


def test_graphics_without_listeners_are_untouched() -> None:
    g = graphics("<graphics type='sdl' display=':0'/>")
    assert g.listens == [] and g.listen is None


def test_first_video_is_primary() -> None:
    dom = parse(domain(devices="<video><model type='vga'/></video><video><model type='qxl'/></video>"))
    assert dom.devices is not None
    assert [v.model.primary for v in dom.devices.videos if v.model] == [True, None]


def test_primary_video_moves_first() -> None:
    dom = parse(domain(devices="<video><model type='qxl'/></video><video><model type='vga' primary='yes'/></video>"))
    assert dom.devices is not None
    assert [v.model.type for v in dom.devices.videos if v.model] == ["vga", "qxl"]


def test_video_none_is_not_primary() -> None:
    dom = parse(domain(devices="<video><model type='none'/></video>"))
    assert dom.devices is not None and dom.devices.videos[0].model is not None
    assert dom.devices.videos[0].model.primary is None


# -- what libvirt's parser rewrites in devices and features (each checked with libvirt 9.0's test:///default)
def devices_xml(devices: str, body: str = "") -> str:
    out = parse(domain(body=body, devices=devices)).to_xml()
    return out[out.index("<devices>") : out.index("</devices>")]


def test_spice_without_ports_listens_nowhere() -> None:
    for xml in (
        "<graphics type='spice'/>",
        "<graphics type='spice' autoport='no'/>",
        "<graphics type='spice' port='0' tlsPort='0' listen='1.2.3.4'/>",
        "<graphics type='spice'><listen type='address' address='1.2.3.4'/></graphics>",
        "<graphics type='spice' port='5900' autoport='no'><listen type='none'/></graphics>",
    ):
        g = graphics(xml)
        assert listens(g) == [("none", None, None)], xml
        assert (g.port, g.autoport, g.listen) == (None, None, None), xml
        assert "tlsPort" not in devices_xml(xml)


@pytest.mark.parametrize(
    "xml",
    [
        "<graphics type='spice' autoport='yes'/>",
        "<graphics type='spice' port='-1'/>",
        "<graphics type='spice' tlsPort='5901'/>",
    ],
)
def test_spice_with_a_port_to_listen_on_keeps_its_address_listen(xml: str) -> None:
    assert listens(graphics(xml)) == [("address", None, None)]


def test_vnc_listening_nowhere_has_no_ports() -> None:
    g = graphics("<graphics type='vnc' port='5901' websocket='5700'><listen type='none'/></graphics>")
    assert (g.port, g.autoport, g.websocket) == (None, None, None)


def test_only_the_primary_video_says_so() -> None:
    out = devices_xml(
        "<video><model type='virtio' primary='no'/></video><video><model type='vga' primary='yes'/></video>"
    )
    assert "primary='no'" not in out and out.count("primary='yes'") == 1


def test_disk_defaults_cdrom_tray_snapshot_and_iscsi_lun() -> None:
    out = devices_xml(
        "<disk type='file' device='cdrom' snapshot='no'><source file='/a.iso'/><target dev='hdc' tray='closed'/></disk>"
        "<disk type='file' device='floppy'><source file='/f'/><target dev='fda' tray='open'/></disk>"
        "<disk type='file' device='disk' snapshot='no'><source file='/b'/><target dev='hda'/></disk>"
        "<disk type='network' device='disk'><source protocol='iscsi' name='iqn.1992-01.com.example'/>"
        "<target dev='vda'/></disk>"
        "<disk type='network' device='disk'><source protocol='iscsi' name='iqn.1992-01.com.example/3'/>"
        "<target dev='vdb'/></disk>"
        "<disk type='vhostuser' device='disk'><source type='unix' path='/tmp/v.sock'/><target dev='vdc'/></disk>"
    )
    assert "<disk type='vhostuser' device='disk' snapshot='no'>" in out
    assert "<disk type='file' device='cdrom'>" in out and "<readonly/>" in out and "tray='closed'" not in out
    assert "tray='open'" in out and "<disk type='file' device='disk' snapshot='no'>" in out
    assert "name='iqn.1992-01.com.example/0'" in out and "name='iqn.1992-01.com.example/3'" in out


def test_filesystem_modes_are_octal_with_a_leading_zero() -> None:
    out = devices_xml(
        "<filesystem accessmode='mapped' fmode='644' dmode='0755'><source dir='/a'/><target dir='b'/></filesystem>"
    )
    assert "fmode='0644' dmode='0755'" in out
    with pytest.raises(XMLError, match="fmode"):
        Domain.from_xml(domain(devices="<filesystem fmode='999'><source dir='/a'/><target dir='b'/></filesystem>"))


def test_chardev_protocol_is_kept_over_tcp_only() -> None:
    out = devices_xml(
        "<serial type='tcp'><source mode='bind' host='127.0.0.1' service='9999'/><protocol type='raw'/></serial>"
        "<parallel type='unix'><source mode='bind' path='/tmp/p'/><protocol type='raw'/></parallel>"
        "<serial type='pty'><protocol type='telnet'/></serial>"
        "<rng model='virtio'><backend model='egd' type='unix'><source mode='connect' path='/tmp/egd'/>"
        "<protocol type='raw'/></backend></rng>"
    )
    assert out.count("<protocol") == 1 and "<protocol type='raw'/>" in out


def test_device_children_in_libvirts_order() -> None:
    out = devices_xml(
        "<input type='passthrough' bus='virtio'><source evdev='/dev/input/event1'/><driver iommu='on'/></input>"
        "<memballoon model='virtio'><driver iommu='on'/><address type='pci' bus='0' slot='12'/>"
        "<alias name='ua-b'/><stats period='10'/></memballoon>"
        "<rng model='virtio'><driver iommu='on'/><address type='pci' bus='0' slot='13'/><alias name='ua-r'/>"
        "<backend model='random'>/dev/random</backend><rate bytes='123'/></rng>"
    )
    tags = [el.tag for el in etree.fromstring(out + "</devices>").iter()]
    assert tags == [
        *["devices", "input", "driver", "source"],
        *["memballoon", "stats", "alias", "address", "driver"],
        *["rng", "rate", "backend", "driver", "alias", "address"],
    ]


def test_subsystem_hostdevs_say_whether_they_are_managed() -> None:
    out = devices_xml(
        "<hostdev type='pci'><source><address domain='0' bus='6' slot='7' function='0'/></source></hostdev>"
        "<hostdev mode='subsystem' type='scsi'><source protocol='iscsi' name='iqn.1992-01.com.example'>"
        "<host name='example.org'/></source></hostdev>"
        "<hostdev mode='subsystem' type='usb' managed='yes'><source><vendor id='0x1'/><product id='0x2'/></source>"
        "</hostdev>"
    )
    assert out.count("mode='subsystem' type='pci' managed='no'") == 1
    assert "type='scsi' managed='no'" in out and "name='iqn.1992-01.com.example/0'" in out
    assert "type='usb' managed='yes'" in out


def test_hyperv_mode_and_tseg_unit() -> None:
    def features(inner: str) -> str:
        out = parse(domain(body=f"<features>{inner}</features>")).to_xml()
        return out[out.index("<features>") : out.index("</features>")]

    assert "<hyperv mode='custom'>" in features("<hyperv><relaxed state='on'/></hyperv>")
    assert "<hyperv mode='passthrough'" in features("<hyperv mode='passthrough'/>")
    assert "<tseg unit='MiB'>48</tseg>" in features("<smm state='on'><tseg>48</tseg></smm>")
    assert "<tseg unit='MiB'>48</tseg>" in features("<smm state='on'><tseg unit='KiB'>49152</tseg></smm>")
    assert "<tseg unit='KiB'>1000</tseg>" in features("<smm state='on'><tseg unit='KiB'>1000</tseg></smm>")
    assert "<tseg unit='GiB'>1</tseg>" in features("<smm state='on'><tseg unit='GiB'>1</tseg></smm>")
    with pytest.raises(XMLError, match="tseg"):
        Domain.from_xml(domain(body="<features><smm state='on'><tseg>many</tseg></smm></features>"))


def cpu_xml(inner: str) -> str:
    out = parse(domain(body=inner)).to_xml()
    return (
        out[out.index("<cpu") : out.index("</cpu>") + 6] if "</cpu>" in out else out[out.index("<cpu") :].split("\n")[0]
    )


def test_cpu_model_defaults() -> None:
    assert cpu_xml("<cpu mode='host-model'><model fallback='forbid'/></cpu>").startswith("<cpu mode='host-model'/>")
    assert "<model fallback='allow'>Haswell</model>" in cpu_xml("<cpu mode='host-model'><model>Haswell</model></cpu>")
    custom = cpu_xml("<cpu mode='custom'><model>Haswell</model></cpu>")
    assert "<cpu mode='custom' match='exact'>" in custom and "<model fallback='allow'>Haswell</model>" in custom
    assert "<model vendor_id='Libvirt QEMU'/>" in cpu_xml(
        "<cpu mode='host-model'><model vendor_id='Libvirt QEMU'/></cpu>"
    )


def test_enrolled_keys_imply_secure_boot() -> None:
    def firmware(features: str) -> list[tuple[str | None, str | None]]:
        xml = domain(os=f"<type>hvm</type><firmware>{features}</firmware>").replace("<os>", "<os firmware='efi'>")
        out = etree.fromstring(parse(xml).to_xml())
        return [(f.get("name"), f.get("enabled")) for f in out.iterfind("os/firmware/feature")]

    assert firmware("<feature enabled='yes' name='enrolled-keys'/>") == [
        ("enrolled-keys", "yes"),
        ("secure-boot", "yes"),
    ]
    assert firmware("<feature enabled='no' name='secure-boot'/><feature enabled='yes' name='enrolled-keys'/>") == [
        ("enrolled-keys", "yes"),
        ("secure-boot", "no"),
    ]
    assert firmware("<feature enabled='no' name='enrolled-keys'/>") == [("enrolled-keys", "no")]


def test_backing_chain_layers_in_libvirts_order() -> None:
    out = devices_xml(
        "<disk type='file' device='disk'><driver name='qemu' type='qcow2'/><source file='/top.qcow2'/>"
        "<backingStore type='file'><source file='/mid.qcow2'>\n  </source><backingStore type='file'>"
        "<backingStore/><source file='/base.raw'/><format type='raw'/></backingStore>"
        "<format type='qcow2'/></backingStore><target dev='vda' bus='virtio'/></disk>"
    )
    layers = etree.fromstring(out + "</devices>").findall(".//backingStore[@type]")
    assert [[c.tag for c in layer] for layer in layers] == [
        ["format", "source", "backingStore"],
        ["format", "source", "backingStore"],
    ]
    assert "<source file='/mid.qcow2'/>" in out


def test_chardev_source_options_and_log_in_libvirts_order() -> None:
    out = devices_xml(
        "<channel type='qemu-vdagent'><source><mouse mode='client'/><clipboard copypaste='yes'/></source>"
        "<target type='virtio' name='com.redhat.spice.0'/></channel>"
        "<serial type='file'><log file='/tmp/s.log' append='off'/><source path='/tmp/s'/><target port='0'/></serial>"
    )
    tags = [el.tag for el in etree.fromstring(out + "</devices>").iter()]
    assert tags[:6] == ["devices", "serial", "source", "log", "target", "channel"]
    assert tags[6:9] == ["source", "clipboard", "mouse"]


# what python3-libvirt 9.0's test:///default gives back for each (its drive addresses aside)
@pytest.mark.parametrize(
    ("disk", "written"),
    [
        ("<disk type='block' device='cdrom'>", "<disk type='file' device='cdrom'>"),
        ("<disk type='network' device='cdrom'>", "<disk type='file' device='cdrom'>"),
        ("<disk device='cdrom'>", "<disk type='file' device='cdrom'>"),
        ("<disk type='file' device='cdrom'><source file=''/>", "<disk type='file' device='cdrom'>"),
        ("<disk type='block' device='cdrom'><source dev=''/>", "<disk type='block' device='cdrom'>"),
        (
            "<disk type='file' device='cdrom'><source file='' startupPolicy='optional'/>",
            "<disk type='file' device='cdrom'><source startupPolicy='optional'/>",
        ),
    ],
)
def test_an_empty_drive_is_a_file_without_source(disk: str, written: str) -> None:
    # not parse(): libvirt's own output is not a fixed point here (a block CD-ROM whose empty path was
    # dropped comes back as a file the next time), and virt follows it
    text = Domain.from_xml(domain(devices=f"{disk}<target dev='hdc' bus='ide'/></disk>")).to_xml()
    found = text[text.index("<disk ") : text.index("</disk>")]
    assert "".join(found.split()).startswith("".join(written.split()) + "<targetdev='hdc'")

"""The domain model's normalisation: what libvirt 9.0's parser fills in and rewrites (formatdomain)."""

from __future__ import annotations

import pytest
import virt.xml
import virt.xml.domain
from corpus_support import xml2xml_score
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

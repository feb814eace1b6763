"""virt.xml.implicit, virt.xml.inactive and virt.xml.liveview rule by rule (libvirt 9.0's test driver
is the reference for all of them: see tests/drivers/test/test_test_driver_defaults.py)."""

from __future__ import annotations

import pytest
from lxml import etree
from virt.errors import XMLError
from virt.xml import Domain, implicit, inactive, liveview


def _domain(devices: str, os_type: str = "hvm", extra: str = "") -> Domain:
    return Domain.from_xml(
        f"<domain type='kvm'><name>d</name><memory>1024</memory><os><type>{os_type}</type></os>{extra}"
        f"<devices>{devices}</devices></domain>"
    )


def _completed(devices: str, os_type: str = "hvm") -> etree._Element:
    domain = _domain(devices, os_type)
    implicit.apply_device_defaults(domain)
    implicit.add_implicit_devices(domain)
    return etree.fromstring(domain.to_xml().encode())


def _controllers(root: etree._Element) -> list[tuple[str | None, str | None]]:
    return [(c.get("type"), c.get("index")) for c in root.iterfind("devices/controller")]


@pytest.mark.parametrize(
    ("name", "index"), [("hda", 0), ("hdc", 2), ("vdb", 1), ("sdz", 25), ("sdaa", 26), ("xvdb3", 1), ("nope", None)]
)
def test_disk_index_reads_the_letters_base_26(name: str, index: int | None) -> None:
    assert implicit.disk_index(name) == index


def test_disks_get_their_bus_drive_address_and_controller() -> None:
    root = _completed(
        "<disk type='file'><target dev='hdc'/></disk><disk type='file' device='floppy'><target dev='fdb'/></disk>"
    )
    addresses = [dict(d.find("address").attrib) for d in root.iterfind("devices/disk")]
    assert [d.find("target").get("bus") for d in root.iterfind("devices/disk")] == ["ide", "fdc"]
    assert addresses[0] == {"type": "drive", "controller": "0", "bus": "1", "target": "0", "unit": "0"}
    assert addresses[1]["unit"] == "1"
    assert _controllers(root) == [("fdc", "0"), ("ide", "0")]


def test_a_disk_name_that_means_no_index_is_refused_without_an_address() -> None:
    with pytest.raises(XMLError, match="Unknown disk name 'hdx1x'"):
        _completed("<disk type='file'><target dev='hdx1x' bus='ide'/></disk>")


def test_controllers_are_stored_as_libvirt_inserts_them_and_numbered() -> None:
    root = _completed(
        "<controller type='usb' index='0'/><controller type='pci' index='0'/><controller type='virtio-serial'/>"
        "<controller type='pci' index='2'/><controller type='pci' index='1'/>"
    )
    assert _controllers(root) == [("usb", "0"), ("pci", "0"), ("pci", "1"), ("pci", "2"), ("virtio-serial", "0")]


def test_a_usb2_master_goes_before_its_companions() -> None:
    root = _completed(
        "<controller type='usb' index='0' model='ich9-uhci1'><master startport='0'/></controller>"
        "<controller type='usb' index='0' model='ich9-ehci1'/>"
    )
    assert [c.get("model") for c in root.iterfind("devices/controller")] == ["ich9-ehci1", "ich9-uhci1"]


def test_a_serial_console_of_an_hvm_guest_is_its_first_serial_port() -> None:
    root = _completed("<console type='pty'/>")
    assert root.find("devices/serial/target").attrib == {"port": "0"}
    assert root.find("devices/console/target").attrib == {"type": "serial", "port": "0"}


def test_a_console_of_a_guest_without_serial_ports_is_a_serial_console() -> None:
    root = _completed("<console type='pty'/>", os_type="linux")
    assert root.find("devices/serial") is None
    assert root.find("devices/console/target").attrib == {"type": "serial", "port": "0"}


def test_virtio_channels_get_their_virtio_serial_controller() -> None:
    root = _completed("<channel type='pty'><target type='virtio' name='x'/></channel>")
    assert _controllers(root) == [("virtio-serial", "0")]


def test_tcp_character_devices_connect_over_raw_tcp_and_unix_ones_without_path_say_nothing() -> None:
    root = _completed(
        "<serial type='tcp'><source host='h' service='1'/></serial>"
        "<channel type='unix'><source mode='bind'/><target type='virtio'/></channel>"
    )
    assert root.find("devices/serial/source").get("mode") == "connect"
    assert root.find("devices/serial/protocol").get("type") == "raw"
    assert root.find("devices/channel/source") is None


def test_video_cards_get_memory_and_one_head() -> None:
    root = _completed("<video><model type='qxl'/></video><video><model type='virtio'/></video>")
    qxl, virtio = root.iterfind("devices/video/model")
    assert (qxl.get("vram"), qxl.get("ram"), qxl.get("heads")) == ("65536", "65536", "1")
    assert (virtio.get("vram"), virtio.get("heads")) == (None, "1")


def test_addresses_are_written_as_libvirt_writes_them() -> None:
    root = _completed(
        "<disk type='file'><target dev='sda' bus='scsi'/><address type='drive' controller='0' unit='1'/></disk>"
        "<watchdog model='i6300esb'><address type='pci' domain='0' bus='0' slot='10' function='0'/></watchdog>"
    )
    assert root.find("devices/disk/address").attrib == {
        "type": "drive", "controller": "0", "bus": "0", "target": "0", "unit": "1"
    }  # fmt: skip
    watchdog = root.find("devices/watchdog")
    assert watchdog.get("action") == "reset"
    assert watchdog.find("address").get("slot") == "0x0a"


def test_network_disk_hosts_get_their_protocols_port() -> None:
    root = _completed(
        "<disk type='network'><source protocol='gluster' name='v/i'><host name='g'/></source>"
        "<target dev='vda' bus='virtio'/></disk>"
    )
    assert root.find("devices/disk/source/host").get("port") == "24007"


def test_smartcards_get_a_ccid_slot_and_controller() -> None:
    root = _completed("<smartcard mode='host'/><smartcard mode='host'/>")
    assert [s.find("address").get("slot") for s in root.iterfind("devices/smartcard")] == ["0", "1"]
    assert _controllers(root) == [("ccid", "0")]


def test_graphics_get_the_drivers_video_card_and_interfaces_a_mac() -> None:
    domain = _domain("<graphics type='vnc'/><interface type='user'/>")
    assert domain.devices is not None
    implicit.add_video_for_graphics(domain.devices, implicit.default_video_type(domain))
    implicit.generate_macs(domain.devices)
    root = etree.fromstring(domain.to_xml().encode())
    assert root.find("devices/video/model").attrib == {
        "type": "cirrus",
        "vram": "16384",
        "heads": "1",
        "primary": "yes",
    }
    assert root.find("devices/interface/mac").get("address", "").startswith("52:54:00:")


def test_every_rule_is_idempotent() -> None:
    devices = (
        "<disk type='file'><target dev='hda'/></disk><console type='pty'/><smartcard mode='host'/>"
        "<channel type='pty'><target type='virtio'/></channel><video><model type='vga'/></video>"
    )
    once = _completed(devices)
    domain = Domain.from_xml(etree.tostring(once).decode())
    implicit.apply_device_defaults(domain)
    implicit.add_implicit_devices(domain)
    assert domain.to_xml() == Domain.from_xml(etree.tostring(once).decode()).to_xml()


def test_a_definition_keeps_no_status_only_parts() -> None:
    domain = _domain(
        "<disk type='file'><source file='/a' index='2'/><backingStore type='file' index='1'><source file='/b'/>"
        "</backingStore><mirror type='file' file='/c' job='copy'/><target dev='vda'/></disk>"
        "<channel type='unix'><target type='virtio' name='n' state='connected'/></channel>",
    )
    inactive.strip_status(domain)
    text = domain.to_xml()
    assert "index=" not in text and "<mirror" not in text and "state=" not in text


def test_a_running_domain_shows_its_allocation_ids() -> None:
    domain = _domain(
        "",
        extra="<cputune><cachetune vcpus='0-1'><cache id='0' level='3' type='both' size='3' unit='MiB'/></cachetune></cputune>",
    )
    liveview.add_live_state(domain)
    assert "<cachetune vcpus='0-1' id='vcpus_0-1'>" in domain.to_xml()


def test_a_skipped_device_label_is_left_out_of_the_inactive_view_only() -> None:
    domain = _domain(
        "<disk type='file'><source file='/a'><seclabel model='selinux' labelskip='yes'/></source>"
        "<target dev='vda'/></disk>"
    )
    inactive.strip_status(domain)
    assert "<seclabel model='selinux' relabel='yes'/>" in domain.to_xml()
    assert inactive.has_unwritten_labels(domain)
    inactive.hide_unset_labels(domain)
    assert "seclabel" not in domain.to_xml()

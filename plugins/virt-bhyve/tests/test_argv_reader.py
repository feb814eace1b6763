"""bhyve command lines -> domain XML beyond the corpus: sizes, serial ports, UUIDs, devices."""

from __future__ import annotations

import uuid

import pytest
import virt.native
from argv_corpus import cases
from lxml import etree
from virt.errors import VirtError
from virt_bhyve.argv import from_native

BASE = "/usr/sbin/bhyve -c 2 -m {memory} -H -P -s 0:0,hostbridge {extra} guest\n"


def read(extra: str = "", memory: str = "512") -> etree._Element:
    return etree.fromstring(from_native(BASE.format(memory=memory, extra=extra)).to_xml().encode())


@pytest.mark.parametrize(
    ("memory", "kib"),
    [("512", 524288), ("1G", 1048576), ("256m", 262144), ("2097152", 2048), ("1048576K", 1048576)],
)
def test_memory_sizes(memory: str, kib: int) -> None:
    """A number below 1 MiB is in MiB, a larger one in bytes, a suffix says its unit."""
    assert read(memory=memory).findtext("memory") == str(kib)


def test_serial_port_on_nmdm() -> None:
    serial = read("-l com2,/dev/nmdm3B").find("devices/serial")
    assert serial is not None and serial.get("type") == "nmdm"
    assert serial.find("source").attrib == {"master": "/dev/nmdm3B", "slave": "/dev/nmdm3A"}
    assert serial.find("target").get("port") == "1"
    # other -l devices (the boot ROM) are not read
    assert read("-l bootrom,/fw/BHYVE_UEFI.fd").find("devices/serial") is None


def test_uuid_and_devices() -> None:
    given = "8b1e0a52-8f6a-4d6e-9d43-0b9e7c2f7a10"
    doc = read(
        f"-U {given} -s 3,ahci-cd,/iso/a.iso -s 4:0,virtio-blk,/dev/zvol/tank/g -s 5,e1000,tap3,mac=02:00:00:00:00:01"
    )
    assert uuid.UUID(doc.findtext("uuid")) == uuid.UUID(given)
    cd, disk = doc.findall("devices/disk")
    assert (cd.get("device"), cd.find("target").get("dev"), cd.find("source").get("file")) == (
        "cdrom",
        "sda",
        "/iso/a.iso",
    )
    assert (disk.get("type"), disk.find("source").get("dev")) == ("block", "/dev/zvol/tank/g")
    nic = doc.find("devices/interface")
    assert nic.find("mac").get("address") == "02:00:00:00:00:01" and nic.find("target").get("dev") == "tap3"
    assert nic.find("address").get("slot") == "0x05"


def test_registered_as_a_native_format() -> None:
    xml = virt.native.from_native("bhyve-argv", BASE.format(memory="512", extra=""))
    assert "<name>guest</name>" in xml
    out = virt.native.to_native(
        "bhyve-argv",
        xml.replace(
            "<devices>", "<devices><disk type='file'><source file='/a.img'/><target dev='vda' bus='virtio'/></disk>"
        ),
    )
    assert out.splitlines()[0] == "/usr/sbin/bhyveload -m 512 -d /a.img guest"


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("", "the text is empty"),
        ("/usr/sbin/bhyve -c 0 -m 1 x\n", "Failed to parse number of vCPUs: '-c 0'"),
        ("/usr/sbin/bhyve -m 1Q x\n", "'-m 1Q' is not a size"),
        ("/usr/sbin/bhyve -s 1:2:3:4,virtio-net,tap0 x\n", "Failed to parse PCI slot '1:2:3:4'"),
        ("/usr/sbin/bhyve -l com1 x\n", "'-l com1': expected DEVICE,CONFIG"),
        ("/usr/sbin/bhyve -c 1 stray x\n", "unexpected 'stray'"),
        ("/usr/sbin/bhyveload -m 1 -d /a stray x\n/usr/sbin/bhyve -m 1 x\n", "bhyveload command: unexpected 'stray'"),
    ],
)
def test_refusals(text: str, words: str) -> None:
    with pytest.raises(VirtError) as raised:
        from_native(text)
    assert words in raised.value.message


# bhyveargv2xmltest.c's DO_TEST_WARN cases: converted, with libvirt's error reported on the way
WARNED = {
    "virtio-net2": "Only tap devices supported",
    "virtio-net4": "unable to parse mac address 'garbage'",
    "disk-toomany": "too many disks",
}


@pytest.mark.parametrize("case_id", sorted(WARNED))
def test_what_libvirt_reports_but_converts_is_a_warning(case_id: str, caplog: pytest.LogCaptureFixture) -> None:
    case = next(c for c in cases("bhyve-argv-to-xml") if c["id"] == case_id)
    with caplog.at_level("WARNING", logger="virt_bhyve.argv.reader"):
        from_native((case["folder"] / case["input"]).read_text())
    assert any(WARNED[case_id] in record.getMessage() for record in caplog.records)

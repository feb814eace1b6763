"""virDomainGetControlInfo, virDomainInjectNMI, virDomainSetTime, virDomainRename,
virDomainGetSecurityLabel, virDomainGetDiskErrors, virDomainMemoryPeek and virDomainBlockPeek on a real QEMU guest through virtd, against libvirt 9.0's QEMU driver in a
private libvirtd running the same guest: the same answers and refusals through python3-libvirt,
and the same events for a rename."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from daemon_support import private_virtd, qemu_uri, reference_libvirtd
from driver_support import firmware_xml
from virt.daemon.testing import Virtd
from virt.testing import Libvirtd, missing_dependency

PYTHON = "/usr/bin/python3"
NAME = "vctl"
UUID = "6a2b7c3d-1e4f-4a5b-8c6d-7e8f9a0b1c2d"
SESSION = r"""
import json, sys, threading, libvirt
libvirt.registerErrorHandler(lambda *a: None, None)
libvirt.virEventRegisterDefaultImpl()
conn = libvirt.open(sys.argv[1])
events = []
conn.domainEventRegisterAny(None, libvirt.VIR_DOMAIN_EVENT_ID_LIFECYCLE,
                            lambda c, d, e, detail, o: events.append([d.name(), e, detail]), None)
threading.Thread(target=lambda: [libvirt.virEventRunDefaultImpl() for _ in iter(int, 1)], daemon=True).start()
dom = conn.defineXML(sys.argv[2])
calls = [
    ("control inactive", lambda: dom.controlInfo()),
    ("nmi inactive", lambda: dom.injectNMI()),
    ("time inactive", lambda: dom.setTime({"seconds": 5})),
    ("label inactive", lambda: dom.securityLabel()),
    ("disk errors inactive", lambda: dom.diskErrors()),
    ("peek inactive", lambda: dom.memoryPeek(0, 16, libvirt.VIR_MEMORY_PHYSICAL)),
    ("block peek inactive", lambda: list(dom.blockPeek("vda", 512, 16))),
    ("block peek by path", lambda: list(dom.blockPeek("/var/tmp/virt-test-control-disk.img", 508, 8))),
    ("block peek unknown", lambda: list(dom.blockPeek("vdz", 0, 16))),
    ("block peek beyond", lambda: list(dom.blockPeek("vda", 16 * 1024 * 1024 - 8, 16))),
    ("block peek flags", lambda: list(dom.blockPeek("vda", 0, 16, 1))),
    ("block peek no format", lambda: list(dom.blockPeek("hdc", 0, 16))),
    ("rename itself", lambda: dom.rename(dom.name())),
    ("rename slash", lambda: dom.rename("a/b")),
    ("rename flags", lambda: dom.rename("x", 1)),
    ("rename", lambda: dom.rename("vctl-renamed")),
    ("new name", lambda: conn.lookupByName("vctl-renamed").UUIDString()),
    ("old name", lambda: conn.lookupByName("vctl").name()),
    ("rename back", lambda: conn.lookupByName("vctl-renamed").rename("vctl")),
    ("start", lambda: conn.lookupByName("vctl").create()),
    ("control", lambda: conn.lookupByName("vctl").controlInfo()),
    ("control flags", lambda: conn.lookupByName("vctl").controlInfo(1)),
    # the firmware's last 64 bytes where the ROM is mapped below 4 GiB (the reset vector): SeaBIOS, the same
    # image on both sides, whatever the guest has done meanwhile (its copy below 1 MiB comes and goes at boot)
    ("peek physical", lambda: list(conn.lookupByName("vctl").memoryPeek(0xFFFFFFC0, 64, libvirt.VIR_MEMORY_PHYSICAL))),
    ("peek length", lambda: len(conn.lookupByName("vctl").memoryPeek(0, 4096, libvirt.VIR_MEMORY_VIRTUAL))),
    ("peek both", lambda: conn.lookupByName("vctl").memoryPeek(0, 16, 3)),
    ("peek none", lambda: conn.lookupByName("vctl").memoryPeek(0, 16, 0)),
    ("block peek", lambda: list(conn.lookupByName("vctl").blockPeek("vda", 512, 16))),
    ("block peek empty", lambda: list(conn.lookupByName("vctl").blockPeek("vda", 0, 0))),
    ("block peek cdrom", lambda: list(conn.lookupByName("vctl").blockPeek("hdc", 0, 16))),
    ("nmi", lambda: conn.lookupByName("vctl").injectNMI()),
    ("nmi flags", lambda: conn.lookupByName("vctl").injectNMI(1)),
    ("time flags", lambda: conn.lookupByName("vctl").setTime({"seconds": 5}, 2)),
    ("time no agent", lambda: conn.lookupByName("vctl").setTime({"seconds": 5})),
    ("label", lambda: conn.lookupByName("vctl").securityLabel()),
    ("model", lambda: conn.getSecurityModel()),
    ("rename active", lambda: conn.lookupByName("vctl").rename("x")),
    ("disk errors", lambda: conn.lookupByName("vctl").diskErrors()),
    ("disk errors flags", lambda: conn.lookupByName("vctl").diskErrors(1)),
    ("destroy", lambda: conn.lookupByName("vctl").destroy()),
    ("undefine", lambda: conn.lookupByName("vctl").undefine()),
]
for name, call in calls:
    try:
        print(json.dumps([name, "ok", call()]))
    except libvirt.libvirtError as exc:
        print(json.dumps([name, "error", exc.get_error_code(), exc.get_error_domain(), exc.get_error_message()]))
import time
time.sleep(1)
print(json.dumps(["events", "ok", events]))
"""


DISK = "/var/tmp/virt-test-control-disk.img"


@pytest.fixture(scope="module")
def daemons() -> Iterator[tuple[Virtd, Libvirtd]]:
    if not Path(PYTHON).exists():
        missing_dependency(f"python3-libvirt is not installed for {PYTHON}")
    with open(DISK, "wb") as image:
        image.truncate(16 * 1024 * 1024)
        image.seek(512)
        image.write(b"virt-block-peek!")  # what virDomainBlockPeek reads back
    try:
        with private_virtd("ct") as ours, reference_libvirtd([UUID]) as reference:
            yield ours, reference
    finally:
        Path(DISK).unlink(missing_ok=True)


def _session(uri: str) -> list[list[object]]:
    disk = (
        f"<disk type='file' device='disk'><driver name='qemu' type='raw'/><source file='{DISK}'/>"
        "<target dev='vda' bus='virtio'/></disk>"
        "<disk type='file' device='cdrom'><target dev='hdc' bus='ide'/><readonly/></disk>"
    )
    xml = firmware_xml(NAME, uuid=UUID, extra_devices=disk)
    done = subprocess.run([PYTHON, "-c", SESSION, uri, xml], capture_output=True, text=True, timeout=180, check=True)
    return [json.loads(line) for line in done.stdout.splitlines()]


def test_python3_libvirt_through_virtd_as_through_libvirtd(daemons: tuple[Virtd, Libvirtd]) -> None:
    ours, reference = daemons
    theirs = _session(qemu_uri(reference))
    assert _session(qemu_uri(ours)) == theirs
    rows = {row[0]: row[1:] for row in theirs}
    assert rows["nmi"] == ["ok", 0] and rows["rename"] == ["ok", 0]
    assert rows["control"] == ["ok", [0, 0, 0]]
    assert rows["peek physical"][0] == "ok" and any(rows["peek physical"][1])  # type: ignore[arg-type]
    assert bytes(rows["block peek"][1]) == bytes(rows["block peek inactive"][1]) == b"virt-block-peek!"  # type: ignore[arg-type]
    # UNDEFINED then DEFINED, both RENAMED
    assert ["vctl", 1, 1] in rows["events"][1] and ["vctl-renamed", 0, 2] in rows["events"][1]  # type: ignore[operator]

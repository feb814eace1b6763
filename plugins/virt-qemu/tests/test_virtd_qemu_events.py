"""Domain events of every id through virtd's QEMU driver as through libvirtd 9.0's, on the same
firmware-only KVM guest (the guest agent's channel with no agent behind it, a virtio balloon).

python3-libvirt registers for every event id, as virt-manager does, then drives the guest through
a start, metadata changes, a reset, pinnings, a pause, a balloon target and a destroy; each step's events
(every id's, in the order they came) must be the same on both daemons.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from daemon_support import private_virtd, qemu_uri, reference_libvirtd
from virsh_support import kill_processes_mentioning
from virt.testing import missing_dependency, need_virsh, not_applicable

NAME = "vqe1"
UUID = "5e1f0c3a-7d2b-4c69-9a41-0f6b2d8e3ce1"
GUEST = f"""<domain type='kvm'>
  <name>{NAME}</name>
  <uuid>{UUID}</uuid>
  <memory unit='MiB'>128</memory>
  <currentMemory unit='MiB'>128</currentMemory>
  <vcpu>1</vcpu>
  <os><type arch='x86_64' machine='pc'>hvm</type></os>
  <features><acpi/></features>
  <devices>
    <channel type='unix'><target type='virtio' name='org.qemu.guest_agent.0'/></channel>
    <memballoon model='virtio'/>
  </devices>
</domain>
"""

_SESSION = r"""
import json, sys, threading, time, libvirt
libvirt.registerErrorHandler(lambda *a: None, None)
libvirt.virEventRegisterDefaultImpl()
threading.Thread(target=lambda: [libvirt.virEventRunDefaultImpl() for _ in iter(int, 1)], daemon=True).start()
conn = libvirt.open(sys.argv[1])
got = []

def recorder(event_id):
    def record(c, dom, *args):
        got.append([event_id, dom.name(), list(args[:-1])])
    return record

ids = sorted(getattr(libvirt, n) for n in dir(libvirt) if n.startswith("VIR_DOMAIN_EVENT_ID_"))
handles = [conn.domainEventRegisterAny(None, i, recorder(i), None) for i in ids]
M = libvirt
dom = None

def define():
    global dom
    dom = conn.defineXML(sys.argv[2])

steps = [
    ("define", define),
    ("start", lambda: dom.create()),
    ("title", lambda: dom.setMetadata(M.VIR_DOMAIN_METADATA_TITLE, "T", None, None, M.VIR_DOMAIN_AFFECT_LIVE)),
    ("element", lambda: dom.setMetadata(M.VIR_DOMAIN_METADATA_ELEMENT, "<a/>", "k", "http://e/",
                                        M.VIR_DOMAIN_AFFECT_CONFIG)),
    ("reset", lambda: dom.reset(0)),
    ("vcpupin", lambda: dom.pinVcpuFlags(0, (True,), M.VIR_DOMAIN_AFFECT_LIVE)),
    ("emulatorpin", lambda: dom.pinEmulator((True,), M.VIR_DOMAIN_AFFECT_LIVE)),
    ("vcpupin config", lambda: dom.pinVcpuFlags(0, (True,), M.VIR_DOMAIN_AFFECT_CONFIG)),
    ("suspend", lambda: dom.suspend()),
    ("resume", lambda: dom.resume()),
    ("balloon", lambda: dom.setMemoryFlags(96 * 1024, M.VIR_DOMAIN_AFFECT_LIVE)),
    ("destroy", lambda: dom.destroy()),
    ("undefine", lambda: dom.undefine()),
]
for name, step in steps:
    got.clear()
    try:
        step()
        result = "ok"
    except libvirt.libvirtError as exc:
        result = exc.get_error_message()
    time.sleep(1.5)
    print(json.dumps([name, result, list(got)]))
for handle in handles:
    conn.domainEventDeregisterAny(handle)
"""


def _events(uri: str) -> list[Any]:
    done = subprocess.run(
        ["/usr/bin/python3", "-c", _SESSION, uri, GUEST], capture_output=True, text=True, timeout=120, check=True
    )
    return [json.loads(line) for line in done.stdout.splitlines()]


@pytest.fixture(scope="module")
def uris() -> Iterator[tuple[str, str]]:
    need_virsh()
    if os.geteuid() != 0:
        not_applicable("libvirtd's QEMU driver and virtd's qemu:///system run guests as root")
    if not os.access("/dev/kvm", os.R_OK | os.W_OK):
        missing_dependency("/dev/kvm is not usable: the comparison runs the same KVM guest on both daemons")
    if not Path("/usr/bin/python3").exists():
        missing_dependency("Debian's /usr/bin/python3 with python3-libvirt")
    try:
        with private_virtd() as ours, reference_libvirtd([UUID]) as theirs:
            yield qemu_uri(ours), qemu_uri(theirs)
    finally:
        kill_processes_mentioning(UUID)


def test_every_event_id_as_libvirtds_qemu_driver_sends_it(uris: tuple[str, str]) -> None:
    ours, theirs = uris
    expected = _events(theirs)
    assert _events(ours) == expected
    steps = {name: events for name, _, events in expected}
    assert [1, NAME, []] in steps["reset"]  # VIR_DOMAIN_EVENT_ID_REBOOT
    # the agent's port as QEMU has it at the start: disconnected, "domain started"
    assert steps["start"][0] == [18, NAME, [2, 1]]
    assert steps["vcpupin"] == [[17, NAME, [{"cputune.vcpupin0": "0"}]]]  # VIR_DOMAIN_EVENT_ID_TUNABLE
    assert [23, NAME, [2, "http://e/"]] in steps["element"]  # VIR_DOMAIN_EVENT_ID_METADATA_CHANGE

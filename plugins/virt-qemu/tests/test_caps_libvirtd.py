"""Host and domain capabilities side by side with libvirtd 9.0's QEMU driver on the same host.

Clients take decisions from these documents: virt-install, given no ``--machine``, takes the first
``<machine>`` of the guest's architecture, and reads ``domcapabilities`` of the machine it picked. So
the ``<guest>`` elements are compared exactly, machine types in their order, and the top-level fields
of ``domcapabilities`` (path, domain type, canonical machine, arch, vCPU limit) for every machine type
libvirt lists, each alias, and none given; the device enums are not compared: virt-qemu offers only
what its command builder builds (``test_driver_domcaps.py`` starts every offer).

libvirtd is asked through python3-libvirt (one process for every question), virt-qemu through the
Python API: the documents are the strings virtd would send.
"""

from __future__ import annotations

import json
import os
import subprocess
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from typing import Any

import pytest
import virt
from driver_support import conn_fixture, qemu_root_fixture  # noqa: F401 - fixtures
from virsh_support import virsh_ok
from virt.errors import VirtError
from virt.testing import Libvirtd, missing_dependency, need_virsh, start_libvirtd

LIBVIRT_PYTHON = "/usr/bin/python3"

REFUSED_MACHINES = {
    "x-remote": "machine type 'x-remote' cannot run a guest: it is the device server of multi-process QEMU",
    "none": "machine type 'none' cannot run a guest: it is QEMU's empty board",
}
"""The differences: the machine types virt-qemu refuses with this error (as it refuses to define a guest
on them). libvirt describes ``x-remote`` as any other; ``none`` it refuses too (it hides it from its
list: "the machine 'none' is not supported by emulator"), in other words: :data:`LIBVIRT_REFUSES`."""
LIBVIRT_REFUSES = {"none"}

# asks libvirtd every (arch, machine, virttype) of stdin's JSON list; prints one answer per question
_DOMCAPS_CLIENT = """
import json, sys, libvirt
from xml.etree import ElementTree as ET
libvirt.registerErrorHandler(lambda *args: None, None)
conn = libvirt.open(sys.argv[1])
answers = []
for arch, machine, virttype in json.load(sys.stdin):
    try:
        doc = ET.fromstring(conn.getDomainCapabilities(None, arch, machine, virttype, 0))
    except libvirt.libvirtError as exc:
        answers.append({"error": exc.get_error_message()})
        continue
    answers.append({key: doc.findtext(key) for key in ("path", "domain", "machine", "arch")}
                   | {"vcpu": doc.find("vcpu").get("max")})
print(json.dumps(answers))
"""


@pytest.fixture(scope="module")
def libvirtd() -> Iterator[Libvirtd]:
    need_virsh()
    with start_libvirtd(drivers=("qemu",)) as daemon:
        yield daemon


def _uri(daemon: Libvirtd) -> str:
    return daemon.uri(driver="qemu", path="/system")


def guests(capabilities: ET.Element) -> list[dict[str, Any]]:
    """Each <guest>, in order, with its machine types in order."""
    found = []
    for guest in capabilities.iterfind("guest"):
        arch = guest.find("arch")
        assert arch is not None
        found.append(
            {
                "os_type": guest.findtext("os_type"),
                "arch": arch.get("name"),
                "wordsize": arch.findtext("wordsize"),
                "emulator": arch.findtext("emulator"),
                "machines": [
                    (m.text, m.get("canonical"), m.get("maxCpus"), m.get("deprecated"))
                    for m in arch.iterfind("machine")
                ],
                "domains": [d.get("type") for d in arch.iterfind("domain")],
                "features": [ET.tostring(f).decode().strip() for f in guest.iterfind("features/*")],
            }
        )
    return found


def _virt_types() -> list[str]:
    return ["kvm", "qemu"] if os.access("/dev/kvm", os.R_OK | os.W_OK) else ["qemu"]


def test_guests_are_libvirts_machine_types_in_order(conn: virt.Connection, libvirtd: Libvirtd) -> None:
    """The <guest> elements exactly: architectures and machine types in libvirt's order (the default
    first, each canonical name before the alias naming it, then QEMU's order), canonical names, vCPU
    limits, deprecation, domain types and features. No difference is expected."""
    ours = guests(ET.fromstring(conn.capabilities()))
    theirs = guests(ET.fromstring(virsh_ok(_uri(libvirtd), "capabilities")))
    assert [g["arch"] for g in ours] == [g["arch"] for g in theirs]
    for mine, libvirts in zip(ours, theirs, strict=True):
        assert mine["machines"] == libvirts["machines"], mine["arch"]
        assert mine == libvirts
    # what virt-install takes when given no --machine: the default, not isapc
    x86_64 = next(g for g in ours if g["arch"] == "x86_64")
    assert x86_64["machines"][:2] == [("pc-i440fx-7.2", None, "255", None), ("pc", "pc-i440fx-7.2", "255", None)]
    print(f"\n{sum(len(g['machines']) for g in ours)} <machine> elements in {len(ours)} guests, as libvirt's")


def _libvirtd_domcaps(daemon: Libvirtd, questions: list[tuple[str, str | None, str]]) -> list[dict[str, str]]:
    found = subprocess.run([LIBVIRT_PYTHON, "-c", "import libvirt"], capture_output=True, check=False)
    if found.returncode != 0:
        missing_dependency(f"python3-libvirt is not installed for {LIBVIRT_PYTHON}")
    done = subprocess.run(
        [LIBVIRT_PYTHON, "-c", _DOMCAPS_CLIENT, _uri(daemon)],
        input=json.dumps(questions),
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    answers: list[dict[str, str]] = json.loads(done.stdout)
    return answers


def _our_domcaps(conn: virt.Connection, arch: str, machine: str | None, virt_type: str) -> dict[str, str]:
    try:
        text = conn.domain_capabilities(arch=arch, machine=machine, virt_type=virt_type)
    except VirtError as exc:
        return {"error": exc.message}
    doc = ET.fromstring(text)
    vcpu = doc.find("vcpu")
    assert vcpu is not None
    return {key: doc.findtext(key, "") for key in ("path", "domain", "machine", "arch")} | {"vcpu": vcpu.get("max", "")}


def test_domain_capabilities_top_level_is_libvirts_for_every_machine(conn: virt.Connection, libvirtd: Libvirtd) -> None:
    """For every architecture, every machine type libvirt lists (aliases included), ``none``, and no
    machine at all (the default), with each domain type: path, domain, canonical machine, arch and the
    vCPU limit are libvirt's, but for the machine types of :data:`REFUSED_MACHINES`."""
    listed = guests(ET.fromstring(virsh_ok(_uri(libvirtd), "capabilities")))
    questions: list[tuple[str, str | None, str]] = []
    for guest in listed:
        names: list[str | None] = [None, *(m[0] for m in guest["machines"]), "none"]
        questions += [(guest["arch"], name, virt_type) for name in names for virt_type in _virt_types()]
    theirs = _libvirtd_domcaps(libvirtd, questions)
    same = 0
    problems = []
    refused: dict[str, dict[str, str]] = {}
    for (arch, machine, virt_type), their in zip(questions, theirs, strict=True):
        mine = _our_domcaps(conn, arch, machine, virt_type)
        if machine in REFUSED_MACHINES:
            refused[f"{arch} {machine} {virt_type}"] = their
            if REFUSED_MACHINES[machine] not in mine.get("error", ""):
                problems.append(f"{arch} {machine} {virt_type}: expected our refusal, got {mine}")
            if ("error" in their) != (machine in LIBVIRT_REFUSES):
                problems.append(f"{arch} {machine} {virt_type}: libvirt's answer changed: {their}")
            continue
        if mine != their:
            problems.append(f"{arch} {machine} {virt_type}: ours {mine}, libvirt's {their}")
        else:
            same += 1
    print(f"\n{same} of {len(questions)} domcapabilities identical at the top; refused here, libvirt said: {refused}")
    assert not problems, "\n".join(problems)
    assert same == len(questions) - sum(1 for q in questions if q[1] in REFUSED_MACHINES)

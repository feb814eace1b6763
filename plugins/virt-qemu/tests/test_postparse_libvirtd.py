"""Define-time completion compared with libvirt 9.0's QEMU driver (a private libvirtd).

The same documents are defined in both, dumped back ``--inactive`` and compared canonically
(whitespace-only text dropped, attributes in any order; a MAC address or UUID that neither the
input nor the other side chose is masked). The xml-to-qemu-argv inputs of libvirt's corpus: each
case's outcome must be the one ``postparse_cases`` records (identical, differs in the elements
named, refused by one side); a change in either direction fails until the list is updated, and the
agreement rate is printed. virt-install-like guests on pc and q35 must be identical to libvirt's,
keep every address when their dump is defined again, and start (paused) for real.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import virt
from driver_support import QEMU, kill_leftovers
from lxml import etree
from postparse_cases import DIFFERS, IDENTICAL, REFUSED_BY_LIBVIRT, REFUSED_BY_US
from qemu_start import start_paused
from virt.errors import VirtError
from virt.testing import Libvirtd, missing_dependency, require_corpus, start_libvirtd

LIBVIRT_PYTHON = "/usr/bin/python3"
HELPER = Path(__file__).with_name("libvirt_define.py")
SUITE = ("xml-to-qemu-argv",)
MAC = "52:54:00:6a:1c:0e"


# -- both sides -----------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def libvirtd() -> Iterator[Libvirtd]:
    if not Path(LIBVIRT_PYTHON).exists() or subprocess.run([LIBVIRT_PYTHON, "-c", "import libvirt"]).returncode:
        missing_dependency("python3-libvirt for /usr/bin/python3 is needed for the reference side")
    with start_libvirtd(drivers=("qemu",)) as daemon:
        yield daemon


@pytest.fixture(scope="module")
def ours() -> Iterator[virt.Connection]:
    """Our QEMU driver in this process, with its state in a private root."""
    if shutil.which(QEMU) is None:
        missing_dependency(f"{QEMU} is not installed (apt-get install qemu-system-x86)")
    root = Path(tempfile.mkdtemp(prefix="vpp", dir="/tmp"))
    cache = Path(tempfile.gettempdir()) / "virt-qemu-test-caps"
    cache.mkdir(exist_ok=True)
    for mode in ("system", "session"):
        (root / mode).mkdir()
        (root / mode / "cache").symlink_to(cache)
    with pytest.MonkeyPatch.context() as env:
        env.setenv("VIRT_QEMU_ROOT", str(root))
        conn = virt.open("qemu:///system")
        try:
            yield conn
        finally:
            conn.close()
            from virt_qemu import driver

            for paths, (instance, _) in list(driver._instances.items()):
                if str(paths.run_dir).startswith(str(root)):
                    driver._instances.pop(paths, None)
                    instance.close()
            kill_leftovers(root)
            shutil.rmtree(root, ignore_errors=True)


def libvirt_side(daemon: Libvirtd, cases: dict[str, str]) -> dict[str, dict[str, str]]:
    payload = json.dumps([{"id": k, "xml": v} for k, v in cases.items()])
    run = subprocess.run(
        [LIBVIRT_PYTHON, str(HELPER), daemon.uri(driver="qemu", path="/system")],
        input=payload, capture_output=True, text=True, check=True, timeout=300,
    )  # fmt: skip
    result: dict[str, dict[str, str]] = json.loads(run.stdout)
    return result


def our_side(conn: virt.Connection, cases: dict[str, str]) -> dict[str, dict[str, str]]:
    results: dict[str, dict[str, str]] = {}
    for name, xml in cases.items():
        try:
            dom = conn.define_domain(xml)
            first = dom.xml(inactive=True)
            again = conn.define_domain(first).xml(inactive=True)
            dom.undefine()
            results[name] = {"xml": first, "again": again}
        except VirtError as e:
            results[name] = {"error": str(e)}
    return results


# -- canonical comparison -------------------------------------------------------------------------------------
def canonical(xml: str, given: str) -> etree._Element:
    """``xml`` parsed without whitespace-only text; generated MAC addresses and UUID masked."""
    root = etree.fromstring(xml.encode(), etree.XMLParser(remove_blank_text=True))
    source = etree.fromstring(given.encode(), etree.XMLParser(remove_blank_text=True))
    chosen = {m.get("address", "").lower() for m in source.iter("mac")}
    for mac in root.iter("mac"):
        parent = mac.getparent()
        if parent is not None and parent.tag == "interface" and mac.get("address", "").lower() not in chosen:
            mac.set("address", "generated")
    uuid = root.find("uuid")
    if uuid is not None and source.find("uuid") is None:
        uuid.text = "generated"
    return root


def differences(a: etree._Element, b: etree._Element, path: str = "") -> list[str]:
    """The element paths (without positions) where ``a`` and ``b`` differ, first difference of each branch."""
    here = f"{path}/{a.tag}"
    if a.tag != b.tag or dict(a.attrib) != dict(b.attrib) or (a.text or "").strip() != (b.text or "").strip():
        return [here]
    ka = [c for c in a if isinstance(c.tag, str)]
    kb = [c for c in b if isinstance(c.tag, str)]
    if [c.tag for c in ka] != [c.tag for c in kb]:
        return [f"{here}/{tag}" for tag in sorted({c.tag for c in ka} ^ {c.tag for c in kb})] or [f"{here}/*"]
    found: list[str] = []
    for x, y in zip(ka, kb, strict=True):
        found += differences(x, y, here)
    return found


def devices_of(xml: str) -> list[bytes]:
    """Every device of a definition, canonical, in sorted order."""
    root = etree.fromstring(xml.encode(), etree.XMLParser(remove_blank_text=True))
    devices = root.find("devices")
    return sorted(etree.tostring(el, method="c14n") for el in (devices if devices is not None else []))


def compare(given: str, theirs: dict[str, str], mine: dict[str, str]) -> tuple[str, str]:
    """("identical", ""), ("differs", element paths), ("refused-by-libvirt"|"refused-by-us"|"refused-by-both", why)."""
    if "error" in theirs or "error" in mine:
        if "error" in theirs and "error" in mine:
            return "refused-by-both", f"{theirs['error']} / {mine['error']}"
        return ("refused-by-libvirt", theirs["error"]) if "error" in theirs else ("refused-by-us", mine["error"])
    found = differences(canonical(theirs["xml"], given), canonical(mine["xml"], given))
    if not found:
        return "identical", ""
    return "differs", " ".join(sorted(set(found)))


def expected(name: str) -> tuple[str, str]:
    if name in IDENTICAL:
        return "identical", ""
    if name in DIFFERS:
        return "differs", DIFFERS[name][0]
    if name in REFUSED_BY_LIBVIRT:
        return "refused-by-libvirt", REFUSED_BY_LIBVIRT[name]
    if name in REFUSED_BY_US:
        return "refused-by-us", REFUSED_BY_US[name]
    return "unlisted", ""


# -- the corpus -----------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def corpus_results(libvirtd: Libvirtd, ours: virt.Connection) -> dict[str, tuple[str, str]]:
    folder = require_corpus(*SUITE)
    cases = {}
    for line in (folder / "MANIFEST.jsonl").read_text().splitlines():
        case = json.loads(line)
        cases[case["id"]] = (folder / case["input"]).read_text()
    theirs, mine = libvirt_side(libvirtd, cases), our_side(ours, cases)
    return {name: compare(xml, theirs[name], mine[name]) for name, xml in cases.items()}


@pytest.mark.corpus
def test_every_corpus_case_is_listed_once(corpus_results: dict[str, tuple[str, str]]) -> None:
    lists = [IDENTICAL, set(DIFFERS), set(REFUSED_BY_LIBVIRT), set(REFUSED_BY_US)]
    assert sum(len(x) for x in lists) == len(set().union(*lists)), "a case is in two lists"
    assert set().union(*lists) == set(corpus_results), "postparse_cases must list every case, and only them"


@pytest.mark.corpus
def test_corpus_outcomes_are_the_recorded_ones(corpus_results: dict[str, tuple[str, str]]) -> None:
    changed = {}
    for name, (kind, detail) in sorted(corpus_results.items()):
        want_kind, want_detail = expected(name)
        if kind != want_kind or (kind in ("differs",) and detail != want_detail):
            changed[name] = f"now {kind} {detail!r}, recorded {want_kind} {want_detail!r}"
        elif kind.startswith("refused") and want_detail not in detail:
            changed[name] = f"refused for another reason: {detail!r} (recorded {want_detail!r})"
    both = [k for k, _ in corpus_results.values() if k in ("identical", "differs")]
    rate = both.count("identical") / len(both)
    print(f"\nagreement with libvirt 9.0 after define: {both.count('identical')}/{len(both)} identical ({rate:.1%})")
    assert not changed, "\n".join(f"{k}: {v}" for k, v in changed.items())


# -- virt-install-like guests ---------------------------------------------------------------------------------
def virt_install_xml(name: str, machine: str, disk: Path) -> str:
    """What virt-install 4.1 writes for a Linux guest, less its host-specific parts."""
    return f"""<domain type='{"kvm" if os.access("/dev/kvm", os.R_OK | os.W_OK) else "qemu"}'>
  <name>{name}</name>
  <memory unit='KiB'>131072</memory>
  <currentMemory unit='KiB'>131072</currentMemory>
  <vcpu>1</vcpu>
  <os><type arch='x86_64' machine='{machine}'>hvm</type><boot dev='hd'/></os>
  <features><acpi/><apic/></features>
  <clock offset='utc'/>
  <devices>
    <emulator>/usr/bin/qemu-system-x86_64</emulator>
    <disk type='file' device='disk'>
      <driver name='qemu' type='qcow2'/>
      <source file='{disk}'/>
      <target dev='vda' bus='virtio'/>
    </disk>
    <interface type='user'>
      <mac address='{MAC}'/>
      <model type='virtio'/>
    </interface>
    <console type='pty'/>
    <channel type='unix'>
      <source mode='bind'/>
      <target type='virtio' name='org.qemu.guest_agent.0'/>
    </channel>
    <graphics type='vnc' port='-1'/>
  </devices>
</domain>
"""


@pytest.mark.parametrize("machine", ["pc", "q35"])
def test_a_virt_install_guest_is_defined_as_libvirt_defines_it_and_starts(
    machine: str, libvirtd: Libvirtd, ours: virt.Connection, tmp_path: Path
) -> None:
    if shutil.which("qemu-img") is None:
        missing_dependency("qemu-img is needed for the guest's disk")
    disk = tmp_path / "disk.qcow2"
    subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", str(disk), "64M"], check=True)
    name = f"vi-{machine}"
    xml = virt_install_xml(name, machine, disk)
    theirs = libvirt_side(libvirtd, {name: xml})[name]
    mine = our_side(ours, {name: xml})[name]
    assert compare(xml, theirs, mine) == ("identical", "")
    # the dump defined again keeps every device and address (the parser groups controllers by type,
    # as libvirt's does: the order may change), and is again what libvirt makes of it
    assert devices_of(mine["again"]) == devices_of(mine["xml"])
    assert differences(canonical(theirs["again"], xml), canonical(mine["again"], xml)) == []
    controllers = etree.fromstring(mine["xml"].encode()).findall("devices/controller")
    if machine == "q35":
        assert any(c.get("model") == "pcie-root-port" for c in controllers)
    argv = _starts_paused(mine["xml"], tmp_path)
    if machine == "q35":
        assert any('"driver":"pcie-root-port"' in arg for arg in argv)


def _starts_paused(xml: str, work: Path) -> list[str]:
    """The stored definition's command starts QEMU (paused, as the driver starts it)."""
    from virt.xml import Domain
    from virt_qemu.caps import CapsCache, find_binary
    from virt_qemu.command import RuntimeFiles, build_command

    domain = Domain.from_xml(xml)
    caps: Any = CapsCache(Path(tempfile.gettempdir()) / "virt-qemu-test-caps").get(find_binary(arch="x86_64"))
    files = RuntimeFiles(monitor_socket=work / "qmp.sock", run_dir=work)
    argv = build_command(domain, caps, files)
    assert start_paused(argv, files) == "prelaunch", " ".join(argv)
    return argv

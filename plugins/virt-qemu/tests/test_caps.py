"""Probing QEMU binaries, the capabilities cache, and the capabilities XML built from them."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import threading
import time
from pathlib import Path
from typing import Any

import attrs
import pytest
import virt_qemu
from lxml import etree
from virt.errors import ErrorNumber, VirtError
from virt.testing import missing_dependency
from virt.xml.schema import schema_dir
from virt_qemu import caps as caps_module
from virt_qemu.caps import CapsCache, Machine, QemuCaps, find_binary, probe
from virt_qemu.capsxml import domain_capabilities, host_capabilities

QEMU = "qemu-system-x86_64"


def _kvm_works() -> bool:
    try:
        os.close(os.open("/dev/kvm", os.O_RDWR))
    except OSError:
        return False
    return True


@pytest.fixture(scope="module")
def qemu_binary() -> str:
    found = shutil.which(QEMU)
    if found is None:
        missing_dependency(f"{QEMU} is not installed")
    return found


@pytest.fixture(scope="module")
def real_caps(qemu_binary: str) -> QemuCaps:
    return probe(qemu_binary)


def _schema(name: str) -> etree.RelaxNG:
    folder = schema_dir()
    if folder is None:
        missing_dependency("libvirt's RelaxNG schemas are not installed (Debian package libvirt0)")
    return etree.RelaxNG(etree.parse(str(folder / name)))


def _wrapper(folder: Path, qemu_binary: str) -> str:
    """A binary of our own to touch: a script that becomes the real QEMU (exec keeps the pid)."""
    script = folder / "qemu-wrapper"
    script.write_text(f'#!/bin/sh\nexec {qemu_binary} "$@"\n')
    script.chmod(0o755)
    return str(script)


# -- probe ---------------------------------------------------------------------------------------


def test_probe_sane(real_caps: QemuCaps, qemu_binary: str) -> None:
    c = real_caps
    assert c.binary == qemu_binary
    assert c.arch == "x86_64"
    assert c.version >= (2, 0, 0)
    out = subprocess.run([qemu_binary, "--version"], capture_output=True, text=True, check=True).stdout
    assert ".".join(map(str, c.version)) in out
    names = {m.name for m in c.machines}
    aliases = {m.alias for m in c.machines if m.alias}
    assert {"pc", "q35"} <= aliases
    assert c.resolve_machine("pc").startswith("pc-i440fx-") and c.resolve_machine("pc") in names
    assert c.resolve_machine("q35").startswith("pc-q35-")
    assert c.resolve_machine("pc-q35-2.12") == "pc-q35-2.12"
    assert c.resolve_machine(None) == c.default_machine() == c.resolve_machine("pc")
    assert c.machine("q35").max_cpus >= 255
    assert c.kvm is _kvm_works()
    assert c.has_device("virtio-blk-pci") and c.has_device("e1000") and not c.has_device("no-such-device")
    assert not c.has_device("memory-backend-file") and "memory-backend-file" in c.object_types
    assert {"qmp_capabilities", "query-status", "blockdev-add"} <= c.commands
    assert "qemu64" in c.cpu_models and "max" in c.usable_cpu_models  # qemu64 lacks host features on some
    with pytest.raises(VirtError) as info:
        c.resolve_machine("no-such-machine")
    assert info.value.code == ErrorNumber.CONFIG_UNSUPPORTED


def test_probe_leaves_no_process(qemu_binary: str, monkeypatch: pytest.MonkeyPatch) -> None:
    started: list[subprocess.Popen[bytes]] = []
    real_popen = subprocess.Popen

    def recording(*args: Any, **kwargs: Any) -> subprocess.Popen[bytes]:
        proc = real_popen(*args, **kwargs)
        started.append(proc)
        return proc

    monkeypatch.setattr(caps_module.subprocess, "Popen", recording)
    probe(qemu_binary)
    assert len(started) == 1 and started[0].poll() is not None


def test_probe_failures_are_bounded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    started: list[subprocess.Popen[bytes]] = []
    real_popen = subprocess.Popen

    def recording(*args: Any, **kwargs: Any) -> subprocess.Popen[bytes]:
        proc = real_popen(*args, **kwargs)
        started.append(proc)
        return proc

    monkeypatch.setattr(caps_module.subprocess, "Popen", recording)
    monkeypatch.setattr(caps_module, "PROBE_TIMEOUT", 0.5)
    hang = tmp_path / "hang"
    hang.write_text("#!/bin/sh\nexec sleep 60\n")
    hang.chmod(0o755)
    crash = tmp_path / "crash"
    crash.write_text("#!/bin/sh\necho 'unsupported machine' >&2\nexit 1\n")
    crash.chmod(0o755)
    start = time.monotonic()
    with pytest.raises(VirtError, match="monitor socket"):
        probe(str(hang))
    with pytest.raises(VirtError, match="unsupported machine"):
        probe(str(crash))
    with pytest.raises(VirtError, match="cannot run"):
        probe(str(tmp_path / "missing"))
    assert time.monotonic() - start < 5
    assert started and all(proc.poll() is not None for proc in started)


def test_json_roundtrip(real_caps: QemuCaps) -> None:
    again = QemuCaps.from_json(real_caps.to_json())
    assert again == real_caps
    assert again.to_json() == real_caps.to_json()
    for bad in ("not json", "[]", '{"binary": "x"}', '{"binary": "x", "version": "7.2", "arch": 1}'):
        with pytest.raises(VirtError):
            QemuCaps.from_json(bad)


def test_find_binary(qemu_binary: str) -> None:
    assert find_binary("x86_64") == qemu_binary
    assert find_binary(emulator=qemu_binary) == qemu_binary
    assert find_binary(emulator=QEMU) == qemu_binary  # a bare name is looked up on PATH
    with pytest.raises(VirtError, match="qemu-system-nosucharch"):
        find_binary("nosucharch")
    with pytest.raises(VirtError, match="/nonexistent/qemu"):
        find_binary("x86_64", emulator="/nonexistent/qemu")


def test_default_machine_without_default() -> None:
    c = QemuCaps(
        binary="/usr/bin/qemu-system-aarch64",
        version=(7, 2, 0),
        arch="aarch64",
        machines=(Machine("none"), Machine("virt-7.2", alias="virt", max_cpus=512), Machine("sbsa-ref")),
        kvm=False,
    )
    assert c.default_machine() == "virt-7.2" == c.resolve_machine(None)


# -- the cache -----------------------------------------------------------------------------------


def test_cache_cold_then_warm(tmp_path: Path, qemu_binary: str, monkeypatch: pytest.MonkeyPatch) -> None:
    binary = _wrapper(tmp_path, qemu_binary)
    cache_dir = tmp_path / "cache"
    cold = CapsCache(cache_dir).get(binary)
    assert cold.binary == binary and cold.arch == "x86_64"
    assert [p.name for p in cache_dir.iterdir()] == [CapsCache(cache_dir).path_for(binary).name]

    def no_process(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("a warm cache must not start QEMU")

    monkeypatch.setattr(subprocess, "Popen", no_process)
    warm = CapsCache(cache_dir)  # a new instance: read from disk
    assert warm.get(binary) == cold
    assert warm.get(binary) == cold  # and from memory


@pytest.fixture
def counted(real_caps: QemuCaps, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Replace probing with a counter that answers with the real caps renamed."""
    calls: list[str] = []

    def fake_probe(binary: str) -> QemuCaps:
        calls.append(binary)
        time.sleep(0.05)  # long enough for concurrent callers to pile up
        return attrs.evolve(real_caps, binary=binary)

    monkeypatch.setattr(caps_module, "probe", fake_probe)
    return calls


def test_cache_invalidation(tmp_path: Path, counted: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    binary = tmp_path / "qemu-system-x86_64"
    binary.write_text("#!/bin/sh\n")
    cache_dir = tmp_path / "cache"
    cache = CapsCache(cache_dir)
    cache.get(str(binary))
    cache.get(str(binary))
    assert len(counted) == 1
    assert CapsCache(cache_dir).get(str(binary)).binary == str(binary) and len(counted) == 1

    stat = binary.stat()
    os.utime(binary, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))  # touch
    cache.get(str(binary))
    assert len(counted) == 2
    assert CapsCache(cache_dir).get(str(binary)) and len(counted) == 2  # the new probe was saved

    original = virt_qemu.__version__
    monkeypatch.setattr(virt_qemu, "__version__", "999.0")
    cache.get(str(binary))
    assert len(counted) == 3
    monkeypatch.setattr(virt_qemu, "__version__", original)  # the file now speaks for 999.0: probe again
    cache.get(str(binary))
    assert len(counted) == 4

    with open(binary, "a") as f:  # a new binary in place: size and ctime change
        f.write("# upgraded\n")
    cache.get(str(binary))
    assert len(counted) == 5

    cache.path_for(str(binary)).write_text("{garbage")
    CapsCache(cache_dir).get(str(binary))
    assert len(counted) == 6
    assert not [p for p in cache_dir.iterdir() if p.name.endswith(".tmp")]  # no temp file left behind

    with pytest.raises(VirtError, match="Cannot check QEMU binary"):
        cache.get(str(tmp_path / "gone"))


def test_cache_threads_probe_once(tmp_path: Path, counted: list[str]) -> None:
    binary = tmp_path / "qemu-system-x86_64"
    binary.write_text("#!/bin/sh\n")
    cache = CapsCache(tmp_path / "cache")
    results: list[QemuCaps] = []
    threads = [threading.Thread(target=lambda: results.append(cache.get(str(binary)))) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert len(counted) == 1 and len(results) == 8 and all(r == results[0] for r in results)


# -- XML -----------------------------------------------------------------------------------------


def test_host_capabilities_xml(real_caps: QemuCaps) -> None:
    doc = host_capabilities([real_caps])
    text = doc.to_xml()
    assert _schema("capability.rng").validate(etree.fromstring(text.encode()))
    assert doc.host is not None and doc.host.cpu is not None and doc.host.cpu.arch == "x86_64"
    (guest,) = doc.guests
    assert guest.os_type == "hvm" and guest.arch is not None
    assert guest.arch.name == "x86_64" and guest.arch.wordsize == 64 and guest.arch.emulator == real_caps.binary
    pc = next(m for m in guest.arch.machines if m.name == "pc")
    assert pc.canonical == real_caps.resolve_machine("pc") and pc.max_cpus
    assert "none" not in {m.name for m in guest.arch.machines}
    types = [d.type for d in guest.arch.domains]
    assert types == (["qemu", "kvm"] if real_caps.kvm else ["qemu"])


def test_host_capabilities_i686_without_kvm(real_caps: QemuCaps) -> None:
    c = attrs.evolve(real_caps, arch="i686", kvm=False, binary="/usr/bin/qemu-system-i386")
    doc = host_capabilities([c])
    assert _schema("capability.rng").validate(etree.fromstring(doc.to_xml().encode()))
    (guest,) = doc.guests
    assert guest.arch is not None and guest.arch.wordsize == 32
    assert [d.type for d in guest.arch.domains] == ["qemu"]
    assert guest.features is not None and guest.features.find("pae") is not None


@pytest.mark.parametrize(("machine", "virttype"), [("q35", "kvm"), (None, "qemu"), ("pc-i440fx-7.2", "kvm")])
def test_domain_capabilities_xml(real_caps: QemuCaps, machine: str | None, virttype: str) -> None:
    doc = domain_capabilities(real_caps, machine, virttype)
    text = doc.to_xml()
    schema = _schema("domaincaps.rng")
    assert schema.validate(etree.fromstring(text.encode())), schema.error_log
    assert doc.path == real_caps.binary and doc.domain == virttype and doc.arch == "x86_64"
    assert doc.machine == real_caps.resolve_machine(machine)
    root = etree.fromstring(text.encode())
    assert int(root.find("vcpu").get("max")) >= 1
    buses = root.xpath("devices/disk/enum[@name='bus']/value/text()")
    assert "virtio" in buses and ("ide" in buses) == doc.machine.startswith("pc-i440fx")
    loaders = root.xpath("os/loader/value/text()")
    if Path("/usr/share/OVMF").is_dir() and any(Path("/usr/share/OVMF").glob("*_CODE*.fd")):
        assert loaders
    # what the command builder refuses is not offered (test_driver_domcaps builds every offer)
    assert root.xpath("os/enum[@name='firmware']/value/text()") == ["bios"]  # no firmware autoselection
    assert root.xpath("devices/disk/enum[@name='diskDevice']/value/text()") == ["disk", "cdrom"]
    spice = ["spice"] if real_caps.has_command("query-spice") else []  # Debian's QEMU has it
    assert root.xpath("devices/graphics/enum[@name='type']/value/text()") == ["vnc", *spice]
    for unsupported in ("iothreads", "memoryBacking", "devices/hostdev", "devices/filesystem", "devices/tpm",
                        "devices/redirdev", "features/vmcoreinfo", "features/genid", "features/backup",
                        "features/backingStoreInput"):  # fmt: skip
        assert root.xpath(f"{unsupported}/@supported") == ["no"], unsupported
        assert not root.xpath(f"{unsupported}/enum"), unsupported
    secure = root.xpath("os/loader/enum[@name='secure']/value/text()")
    assert "yes" not in secure or doc.machine.startswith("pc-q35")  # secure boot needs SMM: Q35 only
    assert root.xpath("cpu/mode[@name='host-passthrough']/@supported") == ["yes" if virttype == "kvm" else "no"]
    assert "qemu64" in root.xpath("cpu/mode[@name='custom']/model/text()")
    assert doc.from_xml(text).to_xml() == text  # the parts the model does not declare yet survive


# -- machine types as libvirt lists them ---------------------------------------------------------------


def _query_machines(qemu_binary: str) -> list[dict[str, Any]]:
    """QEMU's own answer to query-machines, over QMP on stdio (no virt-qemu code)."""
    commands = '{"execute":"qmp_capabilities"}\n{"execute":"query-machines"}\n{"execute":"quit"}\n'
    argv = [qemu_binary, "-S", "-nodefaults", "-display", "none", "-machine", "none,accel=tcg", "-qmp", "stdio"]
    out = subprocess.run(argv, input=commands, capture_output=True, text=True, timeout=30, check=True).stdout
    for line in out.splitlines():
        reply = json.loads(line)
        if isinstance(reply.get("return"), list):
            return list(reply["return"])
    raise AssertionError(f"no query-machines answer in {out!r}")


def test_probe_keeps_qemus_machine_order(real_caps: QemuCaps, qemu_binary: str) -> None:
    """libvirt lists machine types in QEMU's order (a hash table's), so the probe keeps it as it is."""
    raw = _query_machines(qemu_binary)
    assert [m.name for m in real_caps.machines] == [m["name"] for m in raw]
    assert [(m.alias, m.max_cpus, m.deprecated) for m in real_caps.machines] == [
        (m.get("alias"), m["cpu-max"], m["deprecated"]) for m in raw
    ]
    cpus = {m.name: m.default_cpu for m in real_caps.machines}
    assert (cpus["isapc"], cpus["pc-i440fx-7.2"], cpus["microvm"], cpus["none"]) == ("486", "qemu64", "qemu64", None)


def _synthetic(arch: str = "x86_64", binary: str = "/usr/bin/qemu-system-x86_64") -> QemuCaps:
    machines = (
        Machine("pc-q35-7.1", max_cpus=288),
        Machine("none"),
        Machine("isapc"),
        Machine("pc-q35-7.2", alias="q35", max_cpus=288),
        Machine("pc-i440fx-1.4", max_cpus=255, deprecated=True),
        Machine("pc-i440fx-7.2", alias="pc", is_default=True, max_cpus=255),
        Machine("microvm", max_cpus=288),
    )
    return QemuCaps(binary=binary, version=(7, 2, 0), arch=arch, machines=machines, kvm=True)


def test_machine_list_is_in_libvirts_order() -> None:
    """The default first with its alias right after, then QEMU's order, aliases after their canonical
    name, ``none`` hidden: the first <machine> is what virt-install takes when given no --machine."""
    (guest,) = host_capabilities([_synthetic()]).guests
    assert guest.arch is not None
    listed = [(m.name, m.canonical, m.max_cpus, m.deprecated) for m in guest.arch.machines]
    assert listed == [
        ("pc-i440fx-7.2", None, 255, None),
        ("pc", "pc-i440fx-7.2", 255, None),
        ("pc-q35-7.1", None, 288, None),
        ("isapc", None, 1, None),
        ("pc-q35-7.2", None, 288, None),
        ("q35", "pc-q35-7.2", 288, None),
        ("pc-i440fx-1.4", None, 255, True),
        ("microvm", None, 288, None),
    ]


def test_guests_in_libvirts_architecture_order() -> None:
    """libvirt lists its guests in the order of its architecture enumeration (i686 before x86_64),
    whichever binary the driver found first."""
    x86_64 = _synthetic()
    i686 = _synthetic("i686", "/usr/bin/qemu-system-i386")
    aarch64 = attrs.evolve(_synthetic("aarch64", "/usr/bin/qemu-system-aarch64"), kvm=False)
    doc = host_capabilities([x86_64, i686, aarch64])
    assert [g.arch.name for g in doc.guests if g.arch is not None] == ["aarch64", "i686", "x86_64"]


@pytest.mark.parametrize(
    ("machine", "canonical", "vcpus"),
    [(None, "pc-i440fx-7.2", 255), ("pc", "pc-i440fx-7.2", 255), ("q35", "pc-q35-7.2", 288), ("isapc", "isapc", 1)],
)
def test_domain_capabilities_canonical_machine(
    real_caps: QemuCaps, machine: str | None, canonical: str, vcpus: int
) -> None:
    """The machine as libvirt answers it: the default without one, the canonical name for an alias."""
    doc = etree.fromstring(domain_capabilities(real_caps, machine, "qemu").to_xml().encode())
    assert (doc.findtext("machine"), doc.find("vcpu").get("max")) == (canonical, str(vcpus))


def test_domain_capabilities_of_boards_without_pci(real_caps: QemuCaps) -> None:
    """isapc offers its IDE disks and nothing that needs PCI; microvm no disk at all (no IDE, and
    virtio-mmio disks are not built); neither offers UEFI (no pflash) or a video card."""
    for machine, buses in (("isapc", ["ide"]), ("microvm", [])):
        root = etree.fromstring(domain_capabilities(real_caps, machine, "qemu").to_xml().encode())
        assert root.xpath("devices/disk/enum[@name='bus']/value/text()") == buses, machine
        assert root.xpath("devices/disk/@supported") == ["yes" if buses else "no"], machine
        assert not root.xpath("devices/disk/enum[@name='model']/value"), machine
        for unsupported in ("os/loader", "devices/video", "devices/rng", "devices/channel"):
            assert root.xpath(f"{unsupported}/@supported") == ["no"], (machine, unsupported)
        spice = (
            ["spice"] if real_caps.has_command("query-spice") else []
        )  # no PCI needed (test_driver_domcaps starts it)
        assert root.xpath("devices/graphics/enum[@name='type']/value/text()") == ["vnc", *spice], machine


def test_domain_capabilities_refuse_machines_that_run_no_guest(real_caps: QemuCaps) -> None:
    for machine, reason in (("x-remote", "device server of multi-process QEMU"), ("none", "QEMU's empty board")):
        with pytest.raises(VirtError, match=f"machine type '{machine}' cannot run a guest: .*{reason}") as info:
            domain_capabilities(real_caps, machine, "qemu")
        assert info.value.code == ErrorNumber.CONFIG_UNSUPPORTED

"""Host and domain capabilities through the public API, from the probed QEMU; and what domain
capabilities offer is what the command builder builds, and QEMU starts."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import attrs
import pytest
import virt
from driver_support import conn_fixture, qemu_root_fixture  # noqa: F401 - fixtures
from lxml import etree
from qemu_start import HOST_CPU_REASON, host_cpu_starts, needs_host_cpu, start_paused
from virt.errors import VirtError
from virt.testing import missing_dependency, not_applicable
from virt.xml import Domain
from virt.xml.schema import schema_dir
from virt_qemu.caps import CapsCache, QemuCaps
from virt_qemu.command import RuntimeFiles, UnsupportedConfig, build_command


def _schema(name: str) -> etree.RelaxNG:
    folder = schema_dir()
    if folder is None:
        missing_dependency("libvirt's RelaxNG schemas are not installed (Debian package libvirt0)")
    return etree.RelaxNG(etree.parse(str(folder / name)))


def test_domain_capabilities_validate(conn: virt.Connection) -> None:
    schema = _schema("domaincaps.rng")
    for virt_type, machine in (("qemu", None), ("qemu", "q35"), ("kvm", None)):
        try:
            text = conn.domain_capabilities(virt_type=virt_type, machine=machine)
        except VirtError as exc:
            if virt_type == "kvm" and "KVM is not available" in exc.message:
                continue
            raise
        doc = etree.fromstring(text.encode())
        assert schema.validate(doc), schema.error_log
        assert doc.findtext("domain") == virt_type
        assert doc.findtext("path", "").endswith("qemu-system-x86_64")
        if machine == "q35":
            assert doc.findtext("machine", "").startswith("pc-q35-")


def test_domain_capabilities_bad_arguments(conn: virt.Connection) -> None:
    with pytest.raises(VirtError, match="unknown virttype: xen"):
        conn.domain_capabilities(virt_type="xen")
    with pytest.raises(VirtError, match="does not support arch 'aarch64'"):
        conn.domain_capabilities(arch="aarch64", emulator="qemu-system-x86_64")
    # a machine type that runs no guest has nothing to offer: the error says why
    with pytest.raises(VirtError, match="machine type 'x-remote' cannot run a guest: it is the device server of"):
        conn.domain_capabilities(virt_type="qemu", machine="x-remote")
    with pytest.raises(VirtError, match="machine type 'none' cannot run a guest: it is QEMU's empty board"):
        conn.domain_capabilities(virt_type="qemu", machine="none")


def test_host_capabilities_validate(conn: virt.Connection) -> None:
    schema = _schema("capability.rng")
    doc = etree.fromstring(conn.capabilities().encode())
    assert schema.validate(doc), schema.error_log
    assert doc.find("guest/arch[@name='x86_64']") is not None


# -- every value offered is built, and starts -------------------------------------------------------
#
# The document is walked generically: every element offered (supported='yes', and each CPU mode),
# each of its enums' values, each loader path and each custom CPU model is one offer. Each offer needs
# an exercise below, which turns it into a domain using it; an offer without one fails the test, so
# what domain capabilities start to offer comes with its proof.


@attrs.define
class Parts:
    """The pieces of a small domain (see :func:`_domain_xml`) that an exercise fills in."""

    devices: str = ""
    os_attrs: str = ""
    loader: str = ""
    cpu: str = ""
    features: str = ""


@attrs.frozen
class Env:
    """What an exercise may use: the document's machine, and scratch files."""

    q35: bool
    folder: Path
    loaders: tuple[str, ...]
    pci: bool = True
    """False for isapc (and microvm): its disks are IDE ones."""

    @property
    def drive_bus(self) -> str:
        """The bus of a CD-ROM on this machine."""
        return "sata" if self.q35 else "ide"

    @property
    def disk_bus(self) -> str:
        """The bus of a plain disk on this machine."""
        return "virtio" if self.pci else "ide"

    def image(self) -> str:
        path = self.folder / "disk.raw"
        if not path.exists():
            with path.open("wb") as f:
                f.truncate(1024 * 1024)
        return str(path)

    def writable_copy(self, loader: str) -> str:
        """A copy of a firmware image QEMU may write (never the system's own file)."""
        copy = self.folder / f"rw-{Path(loader).name}"
        shutil.copy(loader, copy)
        return str(copy)


Exercise = Callable[[str, Env], Parts]

_DEV_PREFIX = {"virtio": "vd", "ide": "hd", "sata": "sd", "scsi": "sd", "usb": "sd"}


def _disk(env: Env, *, bus: str = "", device: str = "disk", model: str = "") -> Parts:
    bus = bus or env.disk_bus
    target = f"<target dev='{_DEV_PREFIX[bus]}a' bus='{bus}'/>"
    model_attr = f" model='{model}'" if model else ""
    if device == "cdrom":  # an empty tray
        return Parts(devices=f"<disk type='file' device='cdrom'>{target}<readonly/></disk>")
    source = f"<driver name='qemu' type='raw'/><source file='{env.image()}'/>"
    return Parts(devices=f"<disk type='file' device='{device}'{model_attr}>{source}{target}</disk>")


def _loader(path: str, *, kind: str = "pflash", readonly: str = "yes", secure: str = "") -> Parts:
    secure_attr = f" secure='{secure}'" if secure else ""
    readonly_attr = f" readonly='{readonly}'" if kind == "pflash" else ""
    features = "<smm state='on'/>" if secure == "yes" else ""
    return Parts(loader=f"<loader type='{kind}'{readonly_attr}{secure_attr}>{path}</loader>", features=features)


def _secure_loader(env: Env) -> str:
    return next(p for p in env.loaders if "secboot" in p or ".ms." in p)


def _channel(kind: str, env: Env) -> Parts:
    source = {
        "unix": f"<source mode='bind' path='{env.folder / 'channel.sock'}'/>",
        "tcp": "<source mode='bind' host='127.0.0.1' service='0'/>",
        "file": f"<source path='{env.folder / 'channel.log'}'/>",
    }.get(kind, "")
    return Parts(devices=f"<channel type='{kind}'>{source}<target type='virtio' name='org.example.{kind}'/></channel>")


EXERCISES: dict[tuple[str, str | None], Exercise] = {
    ("os", None): lambda _, env: Parts(),
    ("os", "firmware"): lambda value, env: Parts(os_attrs=f" firmware='{value}'"),
    ("os/loader", None): lambda _, env: _loader(env.loaders[0]),
    ("os/loader", "value"): lambda path, env: _loader(path),
    ("os/loader", "type"): lambda kind, env: _loader(env.loaders[0], kind=kind),
    ("os/loader", "readonly"): lambda value, env: _loader(
        env.loaders[0] if value == "yes" else env.writable_copy(env.loaders[0]), readonly=value
    ),
    ("os/loader", "secure"): lambda value, env: _loader(
        _secure_loader(env) if value == "yes" else env.loaders[0], secure=value
    ),
    ("cpu/mode[host-passthrough]", None): lambda _, env: Parts(cpu="<cpu mode='host-passthrough'/>"),
    ("cpu/mode[host-passthrough]", "hostPassthroughMigratable"): lambda value, env: Parts(
        cpu=f"<cpu mode='host-passthrough' migratable='{value}'/>"
    ),
    ("cpu/mode[maximum]", None): lambda _, env: Parts(cpu="<cpu mode='maximum'/>"),
    ("cpu/mode[maximum]", "maximumMigratable"): lambda value, env: Parts(
        cpu=f"<cpu mode='maximum' migratable='{value}'/>"
    ),
    ("cpu/mode[host-model]", None): lambda _, env: Parts(cpu="<cpu mode='host-model'/>"),
    ("cpu/mode[custom]", None): lambda _, env: Parts(cpu="<cpu mode='custom'><model>qemu64</model></cpu>"),
    ("cpu/mode[custom]", "model"): lambda name, env: Parts(
        cpu=f"<cpu mode='custom' match='exact'><model fallback='forbid'>{name}</model></cpu>"
    ),
    ("devices/disk", None): lambda _, env: _disk(env),
    ("devices/disk", "diskDevice"): lambda device, env: _disk(
        env, device=device, bus=env.disk_bus if device == "disk" else env.drive_bus
    ),
    ("devices/disk", "bus"): lambda bus, env: _disk(env, bus=bus),
    ("devices/disk", "model"): lambda model, env: _disk(env, model=model),
    ("devices/graphics", None): lambda _, env: Parts(devices="<graphics type='vnc'/>"),
    ("devices/graphics", "type"): lambda kind, env: Parts(devices=f"<graphics type='{kind}'/>"),
    ("devices/video", None): lambda _, env: Parts(devices="<video/>"),
    ("devices/video", "modelType"): lambda kind, env: Parts(devices=f"<video><model type='{kind}'/></video>"),
    ("devices/rng", None): lambda _, env: Parts(devices="<rng model='virtio'><backend model='random'/></rng>"),
    ("devices/rng", "model"): lambda model, env: Parts(
        devices=f"<rng model='{model}'><backend model='random'>/dev/urandom</backend></rng>"
    ),
    ("devices/rng", "backendModel"): lambda backend, env: Parts(
        devices=f"<rng model='virtio'><backend model='{backend}'/></rng>"
    ),
    ("devices/channel", None): lambda _, env: _channel("pty", env),
    ("devices/channel", "type"): _channel,
}


def offers(doc: etree._Element) -> Iterator[tuple[str, str | None, str | None]]:
    """(where, enum, value) for each thing the document offers; (where, None, None) for the element itself."""
    for el in doc.iter():
        if not isinstance(el.tag, str) or el.tag in ("enum", "value", "model") or el.get("supported") != "yes":
            continue
        path = "/".join([*(str(a.tag) for a in reversed(list(el.iterancestors())) if a is not doc), str(el.tag)])
        where = f"{path}[{el.get('name')}]" if el.tag == "mode" else path
        yield where, None, None
        for enum in el.findall("enum"):
            for value in enum.findall("value"):
                yield where, enum.get("name"), value.text
        for value in el.findall("value"):  # the loader's paths
            yield where, "value", value.text
        for model in el.findall("model"):  # the custom CPU models
            yield where, "model", model.text


def _domain_xml(virt_type: str, machine: str, parts: Parts) -> str:
    features = f"<acpi/>{parts.features}"
    return f"""<domain type='{virt_type}'>
  <name>caps</name>
  <memory unit='MiB'>64</memory>
  <vcpu>1</vcpu>
  <os{parts.os_attrs}><type arch='x86_64' machine='{machine}'>hvm</type>{parts.loader}</os>
  <features>{features}</features>
  {parts.cpu}
  <devices><memballoon model='none'/>{parts.devices}</devices>
</domain>"""


@pytest.fixture(scope="module")
def caps_dir() -> Iterator[Path]:
    """The probed capabilities the driver tests share (see driver_support.qemu_root)."""
    folder = Path(tempfile.gettempdir()) / "virt-qemu-test-caps"
    folder.mkdir(exist_ok=True)
    yield folder


@pytest.mark.parametrize("machine", ["pc", "q35", "isapc", "microvm"])
@pytest.mark.parametrize("virt_type", ["kvm", "qemu"])
def test_every_offer_is_built_and_starts(
    conn: virt.Connection, caps_dir: Path, tmp_path: Path, virt_type: str, machine: str
) -> None:
    """Each offer of ``virsh domcapabilities`` becomes a domain the command builder accepts; every offer
    but the custom CPU models (a few of those) then starts in QEMU, paused."""
    try:
        text = conn.domain_capabilities(virt_type=virt_type, machine=machine)
    except VirtError as exc:
        if virt_type == "kvm" and "KVM is not available" in exc.message:
            not_applicable("KVM is not available on this host")
        raise
    doc = etree.fromstring(text.encode())
    caps: QemuCaps = CapsCache(caps_dir).get(doc.findtext("path"))
    canonical = doc.findtext("machine") or ""
    host_cpu = virt_type != "kvm" or host_cpu_starts(caps.binary)
    folder = Path(tempfile.mkdtemp(prefix="vqd", dir="/tmp"))  # short: unix socket paths
    env = Env(
        q35="q35" in canonical,
        folder=folder,
        loaders=tuple(doc.xpath("os/loader/value/text()")),
        pci=canonical not in ("isapc", "microvm"),
    )
    problems: list[str] = []
    started: list[str] = []
    not_started: dict[str, str] = {}
    models_started = 0
    try:
        for n, (where, enum, value) in enumerate(offers(doc)):
            offer = f"{where} {enum}={value}" if enum else where
            exercise = EXERCISES.get((where, enum))
            if exercise is None:
                problems.append(f"{offer}: offered, but this test has no exercise for it (add one)")
                continue
            xml = _domain_xml(virt_type, canonical, exercise(value or "", env))
            run = folder / str(n)
            run.mkdir()
            files = RuntimeFiles(monitor_socket=run / "qmp.sock", run_dir=run)
            try:
                argv = build_command(Domain.from_xml(xml), caps, files)
            except UnsupportedConfig as exc:
                problems.append(f"{offer}: offered, but the command builder refuses it: {exc.message}")
                continue
            if enum == "model" and where == "cpu/mode[custom]":
                usable = doc.xpath("cpu/mode[@name='custom']/model[text()=$name]/@usable", name=value)
                if usable == ["no"] or models_started >= 3:
                    continue  # the builder's check is the same for every model; a few start
                models_started += 1
            if needs_host_cpu(argv) and not host_cpu:
                not_started[offer] = HOST_CPU_REASON
                continue
            try:
                status = start_paused(argv, files)
            except (RuntimeError, OSError) as exc:
                problems.append(f"{offer}: built, but QEMU does not start it: {exc}\n  {' '.join(argv)}")
                continue
            if status != "prelaunch":
                problems.append(f"{offer}: QEMU started in state {status!r}, not prelaunch")
            started.append(offer)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    print(f"\n{virt_type} {canonical}: {len(started)} offers started, not started: {not_started}")
    assert not problems, "\n".join(problems)
    assert models_started > 0
    # every board but microvm (no IDE, no PCI: virtio-mmio disks are not built) offers disks, and they start
    assert any(w.startswith("devices/disk") for w in started) == (canonical != "microvm")

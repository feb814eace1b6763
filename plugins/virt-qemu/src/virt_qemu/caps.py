"""What a QEMU binary can do, learnt by asking it over QMP, and a cache so that we ask once.

Probing starts the binary with no machine (``-machine none``), which is quick and needs no guest
resources, then asks the questions libvirt asks. The answers depend only on the binary, so they are
cached on disk keyed by the binary's identity (path, size, mtime, ctime) and by virt-qemu's version.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import platform
import shutil
import stat
import subprocess
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import attrs
from virt.errors import ErrorDomain, ErrorNumber, VirtError

from virt_qemu.monitor import Monitor, QMPError

# libvirt architecture names for the host's ``uname -m``
_HOST_ARCH = {"amd64": "x86_64", "i386": "i686", "i486": "i686", "i586": "i686", "arm64": "aarch64"}
# the qemu-system-<suffix> of a libvirt architecture, where they differ
_BINARY_SUFFIX = {"i686": "i386", "ppc64le": "ppc64", "armv7l": "arm", "armv6l": "arm", "riscv64": "riscv64"}
# QEMU's query-target names that libvirt spells differently
_TARGET_ARCH = {"i386": "i686"}

CACHE_FORMAT = 2
"""Bumped whenever the probed facts or their order change, so that older cache files are probed again."""

PROBE_TIMEOUT = 30.0
"""Seconds one probe may take in all, from starting QEMU to its exit."""


def _error(message: str, code: ErrorNumber = ErrorNumber.INTERNAL_ERROR) -> VirtError:
    return VirtError(message, code, ErrorDomain.QEMU)


@attrs.frozen
class Machine:
    """One machine type of a binary, as query-machines reports it."""

    name: str
    alias: str | None = None
    is_default: bool = False
    max_cpus: int = 1
    deprecated: bool = False
    default_cpu: str | None = None
    """The CPU model the machine type runs without ``-cpu`` (``486`` on isapc); None when it has none."""


@attrs.frozen
class QemuCaps:
    """The probed facts about one QEMU binary; immutable, and serialisable for the cache and status files."""

    binary: str
    version: tuple[int, int, int]
    arch: str
    """libvirt's name for the target architecture (``x86_64``, ``i686``, ``aarch64``, ...)."""
    machines: tuple[Machine, ...]
    """In QEMU's own order (that of query-machines), which libvirt keeps in its capabilities."""
    kvm: bool
    """KVM is usable: the probe ran with accel=kvm and query-kvm said enabled and present."""
    cpu_models: tuple[str, ...] = ()
    usable_cpu_models: frozenset[str] = frozenset()
    """The models QEMU can run with the accelerator of the probe (KVM when ``kvm``), without missing features."""
    device_types: frozenset[str] = frozenset()
    object_types: frozenset[str] = frozenset()
    commands: frozenset[str] = frozenset()

    def machine(self, name: str | None) -> Machine:
        """The machine type for a name or alias (None: the default); CONFIG_UNSUPPORTED if unknown."""
        canonical = self.resolve_machine(name)
        return next(m for m in self.machines if m.name == canonical)

    def default_machine(self) -> str:
        """The canonical name of the binary's default machine.

        Some targets (aarch64, riscv) have no default; libvirt then picks ``virt``, and so do we.
        """
        for m in self.machines:
            if m.is_default:
                return m.name
        for m in self.machines:
            if "virt" in (m.name, m.alias):
                return m.name
        usable = [m for m in self.machines if m.name != "none"]
        if not usable:
            raise _error(f"QEMU binary {self.binary} has no machine types", ErrorNumber.CONFIG_UNSUPPORTED)
        return usable[0].name

    def resolve_machine(self, name: str | None) -> str:
        """The canonical machine name for ``name``, an alias (``pc`` -> ``pc-i440fx-7.2``) or None."""
        if name is None:
            return self.default_machine()
        for m in self.machines:
            if m.name == name:
                return name
        for m in self.machines:
            if m.alias == name:
                return m.name
        raise _error(f"Emulator '{self.binary}' does not support machine type '{name}'", ErrorNumber.CONFIG_UNSUPPORTED)

    def has_device(self, name: str) -> bool:
        return name in self.device_types

    def has_object(self, name: str) -> bool:
        return name in self.object_types

    def has_command(self, name: str) -> bool:
        return name in self.commands

    def to_dict(self) -> dict[str, Any]:
        return {
            "binary": self.binary,
            "version": list(self.version),
            "arch": self.arch,
            "machines": [attrs.asdict(m) for m in self.machines],
            "kvm": self.kvm,
            "cpu_models": list(self.cpu_models),
            "usable_cpu_models": sorted(self.usable_cpu_models),
            # sorted so the same caps always serialise to the same text
            "device_types": sorted(self.device_types),
            "object_types": sorted(self.object_types),
            "commands": sorted(self.commands),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> QemuCaps:
        """The inverse of :meth:`to_dict`; VirtError (INTERNAL_ERROR) for malformed data."""
        try:
            major, minor, micro = (int(v) for v in data["version"])
            return cls(
                binary=str(data["binary"]),
                version=(major, minor, micro),
                arch=str(data["arch"]),
                machines=tuple(
                    Machine(
                        name=str(m["name"]),
                        alias=None if m.get("alias") is None else str(m["alias"]),
                        is_default=bool(m.get("is_default", False)),
                        max_cpus=int(m.get("max_cpus", 1)),
                        deprecated=bool(m.get("deprecated", False)),
                        default_cpu=None if m.get("default_cpu") is None else str(m["default_cpu"]),
                    )
                    for m in data["machines"]
                ),
                kvm=bool(data["kvm"]),
                cpu_models=tuple(str(v) for v in data.get("cpu_models", ())),
                usable_cpu_models=frozenset(str(v) for v in data.get("usable_cpu_models", ())),
                device_types=frozenset(str(v) for v in data.get("device_types", ())),
                object_types=frozenset(str(v) for v in data.get("object_types", ())),
                commands=frozenset(str(v) for v in data.get("commands", ())),
            )
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise _error(f"malformed QEMU capabilities data: {exc!r}") from exc

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> QemuCaps:
        try:
            data = json.loads(text)
        except ValueError as exc:
            raise _error(f"malformed QEMU capabilities JSON: {exc}") from exc
        if not isinstance(data, dict):
            raise _error("malformed QEMU capabilities JSON: not an object")
        return cls.from_dict(data)


def host_arch() -> str:
    """libvirt's name for the host architecture."""
    machine = platform.machine()
    return _HOST_ARCH.get(machine, machine)


def _absolute(path: str) -> str:
    """An absolute path with symlinks kept: ``qemu-kvm`` links stay distinct names."""
    return os.path.abspath(path)  # noqa: PTH100 - normalised, symlinks kept (Path.resolve follows them)


def _on_path(name: str) -> str | None:
    """``shutil.which(name)`` with one stat per folder of PATH (every define looks the binary up,
    as libvirt does, so a binary installed or removed meanwhile is seen). Plain os calls, no Path
    objects: this runs for every define."""
    for folder in os.environ.get("PATH", os.defpath).split(os.pathsep):
        candidate = os.path.join(folder or os.curdir, name)  # noqa: PTH118
        try:
            mode = os.stat(candidate).st_mode  # noqa: PTH116
        except OSError:
            continue
        if stat.S_ISREG(mode) and os.access(candidate, os.X_OK):
            return candidate
    return None


def find_binary(arch: str | None = None, emulator: str | None = None) -> str:
    """The QEMU binary to use: the domain's ``<emulator>``, else ``qemu-system-<arch>`` on PATH."""
    if emulator:
        found = shutil.which(emulator) if os.sep not in emulator else emulator
        if not found or not Path(found).is_file() or not os.access(found, os.X_OK):
            raise _error(f"Cannot find QEMU binary {emulator}: not an executable file", ErrorNumber.CONFIG_UNSUPPORTED)
        return _absolute(found)
    arch = arch or host_arch()
    name = f"qemu-system-{_BINARY_SUFFIX.get(arch, arch)}"
    found = _on_path(name)
    if not found:
        raise _error(f"No emulator found for arch '{arch}': {name} is not on PATH", ErrorNumber.CONFIG_UNSUPPORTED)
    return _absolute(found)


def probe(binary: str) -> QemuCaps:
    """Start ``binary`` without a machine, ask it everything over QMP, and stop it; bounded in time."""
    errors: list[str] = []
    # kvm:tcg falls back to TCG by itself; plain tcg covers a binary that dies trying KVM
    for accel in ("kvm:tcg", "tcg"):
        try:
            return _probe_once(binary, accel)
        except VirtError as exc:
            errors.append(f"accel={accel}: {exc.message}")
    raise _error(f"cannot probe QEMU binary {binary}: " + "; ".join(errors))


def _probe_once(binary: str, accel: str) -> QemuCaps:
    deadline = time.monotonic() + PROBE_TIMEOUT
    # a short folder of our own: unix socket paths are limited to 107 bytes
    with tempfile.TemporaryDirectory(prefix="virt-qemu-probe-") as folder:
        sock = Path(folder) / "qmp.sock"
        stderr_path = Path(folder) / "stderr"
        argv = [binary, "-S", "-no-user-config", "-nodefaults", "-nographic"]
        argv += ["-machine", f"none,accel={accel}", "-qmp", f"unix:{sock},server=on,wait=off"]
        with open(stderr_path, "wb") as stderr:
            try:
                proc = subprocess.Popen(
                    argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=stderr, close_fds=True
                )
            except OSError as exc:
                raise _error(f"cannot run {binary}: {exc.strerror or exc}") from exc
        try:
            _wait_for_socket(proc, sock, deadline, stderr_path)
            with Monitor.connect(sock, timeout=max(0.1, deadline - time.monotonic())) as mon:
                caps = _ask(mon, binary, accel, deadline)
                with contextlib.suppress(QMPError):
                    mon.execute("quit", timeout=max(0.1, min(5.0, deadline - time.monotonic())))
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(max(0.1, min(5.0, deadline - time.monotonic())))
            return caps
        except QMPError as exc:
            raise _error(f"{exc.message}{_stderr_tail(stderr_path)}") from exc
        finally:
            if proc.poll() is None:
                proc.kill()
            proc.wait()


def _wait_for_socket(proc: subprocess.Popen[bytes], sock: Path, deadline: float, stderr: Path) -> None:
    """Wait until QEMU listens, noticing at once when it exits instead (a bad binary or option)."""
    while not sock.exists():
        if proc.poll() is not None:
            raise _error(f"QEMU exited with status {proc.returncode}{_stderr_tail(stderr)}")
        if time.monotonic() > deadline:
            raise _error(f"QEMU did not create its monitor socket in {PROBE_TIMEOUT:g}s")
        time.sleep(0.01)


def _stderr_tail(path: Path) -> str:
    try:
        text = path.read_bytes()[-2000:].decode(errors="replace").strip()
    except OSError:
        return ""
    return f": {text}" if text else ""


def _ask(mon: Monitor, binary: str, accel: str, deadline: float) -> QemuCaps:
    def run(command: str, arguments: dict[str, Any] | None = None) -> Any:
        return mon.execute(command, arguments, timeout=max(0.1, deadline - time.monotonic()))

    version = run("query-version")["qemu"]
    target = run("query-target")["arch"]
    # kept in QEMU's order: libvirt lists machine types in it (after the default), and clients such
    # as virt-install take the first one listed when the user names none
    machines = tuple(
        Machine(
            name=m["name"],
            alias=m.get("alias"),
            is_default=bool(m.get("is-default", False)),
            max_cpus=int(m.get("cpu-max", 1)),
            deprecated=bool(m.get("deprecated", False)),
            default_cpu=_cpu_model_name(m.get("default-cpu-type")),
        )
        for m in run("query-machines")
    )
    try:
        definitions = run("query-cpu-definitions")
    except QMPError:  # not every target implements it
        definitions = []
    cpu_models = tuple(sorted(c["name"] for c in definitions))
    usable = frozenset(c["name"] for c in definitions if not c.get("unavailable-features"))
    kvm_state = run("query-kvm")
    devices = frozenset(t["name"] for t in run("qom-list-types", {"implements": "device", "abstract": False}))
    objects = frozenset(t["name"] for t in run("qom-list-types", {"abstract": False})) - devices
    commands = frozenset(c["name"] for c in run("query-commands"))
    return QemuCaps(
        binary=binary,
        version=(int(version["major"]), int(version["minor"]), int(version["micro"])),
        arch=_TARGET_ARCH.get(target, target),
        machines=machines,
        kvm=accel.startswith("kvm") and bool(kvm_state.get("enabled")) and bool(kvm_state.get("present")),
        cpu_models=cpu_models,
        usable_cpu_models=usable,
        device_types=devices,
        object_types=objects,
        commands=commands,
    )


def _cpu_model_name(qom_type: str | None) -> str | None:
    """The -cpu name of a CPU's QOM type: ``486-x86_64-cpu`` -> ``486``."""
    if not qom_type:
        return None
    model, _, suffix = qom_type.rpartition("-")
    if suffix == "cpu" and "-" in model:
        return model.rpartition("-")[0]
    return qom_type


class CapsCache:
    """Probed capabilities per binary, in memory and as one JSON file per binary in ``cache_dir``."""

    def __init__(self, cache_dir: Path) -> None:
        self.cache_dir = Path(cache_dir)
        self._lock = threading.Lock()
        self._binary_locks: dict[str, threading.Lock] = {}
        self._memory: dict[str, tuple[dict[str, Any], QemuCaps]] = {}

    def get(self, binary: str) -> QemuCaps:
        """The capabilities of ``binary``, probing only when the binary or virt-qemu changed."""
        binary = _absolute(binary)
        with self._lock:
            binary_lock = self._binary_locks.setdefault(binary, threading.Lock())
        # one probe per binary at a time; other binaries go on in parallel
        with binary_lock:
            key = self._key(binary)
            with self._lock:
                hit = self._memory.get(binary)
            if hit is not None and hit[0] == key:
                return hit[1]
            caps = self._load(binary, key)
            if caps is None:
                caps = probe(binary)
                self._store(binary, key, caps)
            with self._lock:
                self._memory[binary] = (key, caps)
            return caps

    def invalidate(self, binary: str | None = None) -> None:
        """Forget one binary (or all) in memory; the file stays but is checked against the binary anyway."""
        with self._lock:
            if binary is None:
                self._memory.clear()
            else:
                self._memory.pop(_absolute(binary), None)

    def path_for(self, binary: str) -> Path:
        digest = hashlib.sha256(_absolute(binary).encode()).hexdigest()[:24]
        return self.cache_dir / f"{Path(binary).name}-{digest}.json"

    @staticmethod
    def _key(binary: str) -> dict[str, Any]:
        import virt_qemu  # read at call time: an upgraded virt-qemu must not trust old probes

        try:
            st = Path(binary).stat()
        except OSError as exc:
            raise _error(f"Cannot check QEMU binary {binary}: {exc.strerror}", ErrorNumber.SYSTEM_ERROR) from exc
        return {
            "binary": binary,
            "realpath": os.path.realpath(binary),
            "size": st.st_size,
            "mtime_ns": st.st_mtime_ns,
            "ctime_ns": st.st_ctime_ns,
            "virt_qemu": virt_qemu.__version__,
            "format": CACHE_FORMAT,
        }

    def _load(self, binary: str, key: dict[str, Any]) -> QemuCaps | None:
        """The cached caps if the file exists and matches ``key``; a bad or stale file is a miss."""
        try:
            data = json.loads(self.path_for(binary).read_text())
            if not isinstance(data, dict) or data.get("key") != key:
                return None
            return QemuCaps.from_dict(data["caps"])
        except (OSError, ValueError, KeyError, TypeError, VirtError):
            return None

    def _store(self, binary: str, key: dict[str, Any], caps: QemuCaps) -> None:
        """Write atomically (temp file + rename) so that a reader never sees half a file."""
        self.cache_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        target = self.path_for(binary)
        fd, temp = tempfile.mkstemp(dir=self.cache_dir, prefix=f".{target.name}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "w") as out:
                json.dump({"key": key, "caps": caps.to_dict()}, out, sort_keys=True)
            Path(temp).replace(target)
        except OSError:
            # an unwritable cache costs a probe next time, nothing more
            with contextlib.suppress(OSError):
                Path(temp).unlink()

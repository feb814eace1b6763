"""One container's cgroups: made under the driver's partition in every hierarchy in use, limits
written, frozen and thawed, every task killed, read for statistics, removed.

The same object serves the driver (which makes and tunes them), the controller (which kills
what is left and removes them when the container ends) and ``lxc-enter-namespace`` (which joins
them); ``to_text``/``from_text`` carry it between them and into the status file.
"""

from __future__ import annotations

import contextlib
import errno
import os
import signal
import time
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from virt_lxc.hosterror import HostError

if TYPE_CHECKING:
    from virt_lxc.cglayout import Layout
    from virt_lxc.spec import Resources

# What every container may use (devices controller, v1): null, zero, full, random, urandom,
# tty, console, ptmx, its ptys, fuse.
ALLOWED_DEVICES = (
    "c 1:3 rwm", "c 1:5 rwm", "c 1:7 rwm", "c 1:8 rwm", "c 1:9 rwm",
    "c 5:0 rwm", "c 5:1 rwm", "c 5:2 rwm", "c 136:* rwm", "c 10:229 rwm",
)  # fmt: skip
CPU_WEIGHT_MAX = 10000


class CgroupDir(NamedTuple):
    version: int
    path: Path
    controllers: frozenset[str]


def _unsupported(message: str) -> HostError:
    return HostError(message, unsupported=True)


def _write(path: Path, value: str) -> None:
    try:
        with open(path, "w") as out:
            out.write(value)
    except OSError as exc:
        raise HostError(f"cannot write '{value}' to {path}: {exc.strerror}") from exc


def _read(path: Path) -> str:
    try:
        return path.read_text()
    except OSError as exc:
        raise HostError(f"cannot read {path}: {exc.strerror}") from exc


class ContainerCgroup:
    def __init__(self, dirs: tuple[CgroupDir, ...]) -> None:
        self.dirs = dirs

    @classmethod
    def plan(cls, layout: Layout, partition: str, name: str) -> ContainerCgroup:
        """Where the container's cgroups go (nothing is made yet)."""
        return cls(tuple(CgroupDir(h.version, h.mount / partition / name, h.controllers) for h in layout.used()))

    def to_text(self) -> str:
        """One line per hierarchy, ``VERSION CONTROLLER,... PATH``."""
        return "\n".join(f"{d.version} {','.join(sorted(d.controllers)) or '-'} {d.path}" for d in self.dirs)

    @classmethod
    def from_text(cls, text: str) -> ContainerCgroup:
        dirs = []
        for line in text.strip().splitlines():
            version, controllers, path = line.split(" ", 2)
            names = frozenset() if controllers == "-" else frozenset(controllers.split(","))
            dirs.append(CgroupDir(int(version), Path(path), names))
        return cls(tuple(dirs))

    def dir_for(self, controller: str) -> CgroupDir | None:
        found = next((d for d in self.dirs if d.version == 1 and controller in d.controllers), None)
        if found is not None:
            return found
        v2 = next((d for d in self.dirs if d.version == 2), None)
        if v2 is not None and (controller in v2.controllers or controller in ("cpuacct", "freezer")):
            return v2
        return None

    def _need(self, controller: str, why: str) -> CgroupDir:
        found = self.dir_for(controller)
        if found is None:
            raise _unsupported(f"the '{controller}' cgroup controller is not available on this host ({why})")
        return found

    # -- making ---------------------------------------------------------------------------------
    def create(self) -> None:
        """Make the cgroups (and the partition above them); an existing one is an error (a leftover)."""
        for d in self.dirs:
            partition = d.path.parent
            if not partition.is_dir():
                try:
                    partition.mkdir()
                except FileExistsError:
                    pass
                except OSError as exc:
                    raise HostError(f"cannot create cgroup {partition}: {exc.strerror}") from exc
            if d.version == 1 and "cpuset" in d.controllers:
                _inherit_cpuset(partition)
            if d.version == 2 and d.controllers:
                _enable_v2_controllers(partition, d.controllers)
            try:
                d.path.mkdir()
            except FileExistsError:
                raise HostError(
                    f"cgroup {d.path} already exists: a container of that name is still running or was left behind"
                ) from None
            except OSError as exc:
                raise HostError(f"cannot create cgroup {d.path}: {exc.strerror}") from exc
            if d.version == 1 and "cpuset" in d.controllers:
                _inherit_cpuset(d.path)

    def apply(self, resources: Resources) -> None:
        """Write the container's limits; a limit whose controller or file is missing is refused."""
        memory = self._need("memory", "it limits the container's memory")
        limit = resources.hard_limit_kib or resources.memory_kib
        if memory.version == 1:
            if limit is not None:
                _write(memory.path / "memory.limit_in_bytes", str(limit * 1024))
            if resources.soft_limit_kib is not None:
                _write(memory.path / "memory.soft_limit_in_bytes", str(resources.soft_limit_kib * 1024))
            if resources.swap_hard_limit_kib is not None:
                self._v1_swap(memory.path, resources.swap_hard_limit_kib)
        else:
            if limit is not None:
                _write(memory.path / "memory.max", str(limit * 1024))
            if resources.soft_limit_kib is not None:
                _write(memory.path / "memory.high", str(resources.soft_limit_kib * 1024))
            if resources.swap_hard_limit_kib is not None:
                swap = max(0, resources.swap_hard_limit_kib - (limit or 0))
                _require_file(memory.path / "memory.swap.max", "<memtune><swap_hard_limit>")
                _write(memory.path / "memory.swap.max", str(swap * 1024))
        self._cpu(resources)
        self._cpuset(resources)
        self._blkio(resources)
        devices = self.dir_for("devices")
        if devices is not None and devices.version == 1:
            _write(devices.path / "devices.deny", "a")
            for rule in ALLOWED_DEVICES:
                _write(devices.path / "devices.allow", rule)

    @staticmethod
    def _v1_swap(path: Path, kib: int) -> None:
        _require_file(path / "memory.memsw.limit_in_bytes", "<memtune><swap_hard_limit> (swap accounting)")
        _write(path / "memory.memsw.limit_in_bytes", str(kib * 1024))

    def _cpu(self, resources: Resources) -> None:
        if resources.cpu_shares is None and resources.cpu_period is None and resources.cpu_quota is None:
            return
        cpu = self._need("cpu", "<cputune> sets the container's CPU share and bandwidth")
        if cpu.version == 1:
            if resources.cpu_shares is not None:
                _write(cpu.path / "cpu.shares", str(resources.cpu_shares))
            if resources.cpu_period is not None:
                _write(cpu.path / "cpu.cfs_period_us", str(resources.cpu_period))
            if resources.cpu_quota is not None:
                _write(cpu.path / "cpu.cfs_quota_us", str(resources.cpu_quota))
            return
        if resources.cpu_shares is not None:
            _write(cpu.path / "cpu.weight", str(min(CPU_WEIGHT_MAX, max(1, resources.cpu_shares))))
        if resources.cpu_period is not None or resources.cpu_quota is not None:
            current = _read(cpu.path / "cpu.max").split()
            quota = resources.cpu_quota
            quota_text = current[0] if quota is None else ("max" if quota < 0 else str(quota))
            period = str(resources.cpu_period) if resources.cpu_period is not None else current[1]
            _write(cpu.path / "cpu.max", f"{quota_text} {period}")

    def _cpuset(self, resources: Resources) -> None:
        if resources.cpuset is None and resources.memory_nodes is None:
            return
        from virt.xml.convert import CPUSET

        cpuset = self._need("cpuset", "<vcpu cpuset> and <numatune> pin the container")
        if resources.memory_nodes is not None:
            _write(cpuset.path / "cpuset.mems", CPUSET.format(resources.memory_nodes))
        if resources.cpuset is not None:
            _write(cpuset.path / "cpuset.cpus", CPUSET.format(resources.cpuset))

    def _blkio(self, resources: Resources) -> None:
        if resources.blkio_weight is None and not resources.blkio_devices:
            return
        blkio = self.dir_for("blkio") or self.dir_for("io")
        if blkio is None:
            raise _unsupported("neither the 'blkio' (v1) nor the 'io' (v2) cgroup controller is available")
        v1 = blkio.version == 1
        if resources.blkio_weight is not None:
            weight_file = _first_file(
                blkio.path, ("blkio.weight", "blkio.bfq.weight") if v1 else ("io.weight", "io.bfq.weight")
            )
            if weight_file is None:
                raise _unsupported(
                    "<blkiotune><weight>: this host's block I/O scheduler offers no weight (no blkio.weight or "
                    "blkio.bfq.weight, io.weight or io.bfq.weight)"
                )
            value = str(resources.blkio_weight)
            _write(weight_file, value if v1 or weight_file.name == "io.bfq.weight" else f"default {value}")
        for device in resources.blkio_devices:
            numbers = _device_numbers(device.path)
            if device.weight is not None:
                names = ("blkio.weight_device", "blkio.bfq.weight_device") if v1 else ("io.weight", "io.bfq.weight")
                weight_file = _first_file(blkio.path, names)
                if weight_file is None:
                    raise _unsupported(f"<blkiotune><device><weight> for {device.path}: no per-device weight here")
                _write(weight_file, f"{numbers} {device.weight}")
            throttles = {
                "read_bytes_sec": ("blkio.throttle.read_bps_device", "rbps"),
                "write_bytes_sec": ("blkio.throttle.write_bps_device", "wbps"),
                "read_iops_sec": ("blkio.throttle.read_iops_device", "riops"),
                "write_iops_sec": ("blkio.throttle.write_iops_device", "wiops"),
            }
            for field, (v1_file, v2_key) in throttles.items():
                value = getattr(device, field)
                if value is None:
                    continue
                if v1:
                    _write(blkio.path / v1_file, f"{numbers} {value}")
                else:
                    _write(blkio.path / "io.max", f"{numbers} {v2_key}={value or 'max'}")

    # -- tasks ----------------------------------------------------------------------------------
    def add(self, pid: int) -> None:
        """Move ``pid`` (and its threads) into every one of the container's cgroups."""
        for d in self.dirs:
            _write(d.path / "cgroup.procs", str(pid))

    def enter_self(self) -> list[Path]:
        """Move this (single-threaded) process into the container's v1 cgroups; where it was, to come back.

        Each hierarchy's ``tasks`` gets "0", which moves the calling thread alone: unlike a write of a
        pid, that takes no global lock, so it does not wait for an RCU grace period (about 10 ms).
        A child forked meanwhile is born in the container's cgroups. ``leave_self`` undoes it."""
        home: list[Path] = []
        own = Path("/proc/self/cgroup").read_text()
        try:
            for d in self.dirs:
                if d.version == 1:
                    home.append(_own_tasks(d, own))
                    _write(d.path / "tasks", "0")
        except BaseException:
            self.leave_self(home)
            raise
        return home

    @staticmethod
    def leave_self(home: list[Path]) -> None:
        for tasks in home:
            _write(tasks, "0")

    def v2_dir(self) -> CgroupDir | None:
        return next((d for d in self.dirs if d.version == 2), None)

    def procs(self) -> set[int]:
        """Every process in the container's cgroups (a gone cgroup has none)."""
        found: set[int] = set()
        for d in self.dirs:
            try:
                found.update(int(p) for p in (d.path / "cgroup.procs").read_text().split())
            except OSError as exc:
                if exc.errno in (errno.ENOENT, errno.ENODEV):
                    continue  # removed (or being removed) meanwhile: nothing in it
                raise HostError(f"cannot read {d.path / 'cgroup.procs'}: {exc.strerror}") from exc
        return found

    def exists(self) -> bool:
        return any(d.path.is_dir() for d in self.dirs)

    def _freezer(self) -> CgroupDir:
        found = self.dir_for("freezer")
        if found is None or (found.version == 2 and not (found.path / "cgroup.freeze").exists()):
            raise _unsupported("the freezer cgroup controller is not available: containers cannot be suspended")
        return found

    def freeze(self, timeout: float = 10.0) -> None:
        """Stop every task of the container and return once the kernel says they are all stopped."""
        self._set_frozen(True, timeout)

    def thaw(self, timeout: float = 10.0) -> None:
        self._set_frozen(False, timeout)

    def frozen(self) -> bool:
        d = self._freezer()
        if d.version == 1:
            return _read(d.path / "freezer.state").strip() == "FROZEN"
        return "frozen 1" in _read(d.path / "cgroup.events").splitlines()

    def _set_frozen(self, frozen: bool, timeout: float) -> None:
        d = self._freezer()
        if d.version == 1:
            _write(d.path / "freezer.state", "FROZEN" if frozen else "THAWED")
        else:
            _write(d.path / "cgroup.freeze", "1" if frozen else "0")
        deadline = time.monotonic() + timeout
        delay = 0.0005
        while self.frozen() != frozen:
            if time.monotonic() > deadline:
                raise HostError(f"the container's tasks did not {'freeze' if frozen else 'thaw'} within {timeout:g} s")
            time.sleep(delay)
            delay = min(delay * 2, 0.05)

    def kill_all(self, timeout: float = 10.0) -> None:
        """SIGKILL every task, returning once none is left (cgroup.kill where the kernel has it;
        else freeze, kill each, thaw, until the cgroup is empty)."""
        v2 = next((d for d in self.dirs if d.version == 2), None)
        deadline = time.monotonic() + timeout
        if v2 is not None and (v2.path / "cgroup.kill").exists():
            _write(v2.path / "cgroup.kill", "1")
        else:
            freezer = self.dir_for("freezer")
            while self.procs():
                if freezer is not None:
                    self._try_freeze(True)
                for pid in self.procs():
                    with contextlib.suppress(ProcessLookupError):
                        os.kill(pid, signal.SIGKILL)
                if freezer is not None:
                    self._try_freeze(False)
                if time.monotonic() > deadline:
                    break
                time.sleep(0.002)
        delay = 0.0005
        while self.procs():
            if time.monotonic() > deadline:
                raise HostError(
                    f"the container's tasks {sorted(self.procs())} were still there {timeout:g} s after SIGKILL"
                )
            time.sleep(delay)
            delay = min(delay * 2, 0.05)

    def _try_freeze(self, frozen: bool) -> None:
        try:
            self._set_frozen(frozen, 1.0)
        except Exception:  # noqa: BLE001 - killing goes on frozen or not; freezing only stops forks racing it
            return

    def remove(self, timeout: float = 5.0) -> None:
        """Remove the cgroups (which must be empty) and the partition once no container is left in it."""
        deadline = time.monotonic() + timeout
        for d in self.dirs:
            while True:
                try:
                    d.path.rmdir()
                    break
                except FileNotFoundError:
                    break
                except OSError as exc:
                    # a task that just died may still be on its way out of the cgroup
                    if exc.errno != errno.EBUSY or time.monotonic() > deadline:
                        raise HostError(f"cannot remove cgroup {d.path}: {exc.strerror}") from exc
                    time.sleep(0.005)
            # other containers may still be there (or one starting, which makes the partition again)
            with contextlib.suppress(OSError):
                d.path.parent.rmdir()

    # -- statistics -----------------------------------------------------------------------------
    def cpu_time_ns(self) -> int:
        d = self.dir_for("cpuacct")
        if d is None:
            return 0
        if d.version == 1:
            return int(_read(d.path / "cpuacct.usage").strip())
        for line in _read(d.path / "cpu.stat").splitlines():
            key, _, value = line.partition(" ")
            if key == "usage_usec":
                return int(value) * 1000
        return 0

    def memory_bytes(self) -> int:
        d = self.dir_for("memory")
        if d is None:
            return 0
        return int(_read(d.path / ("memory.usage_in_bytes" if d.version == 1 else "memory.current")).strip())

    def oom_kills(self) -> int:
        """How many tasks the kernel killed for going over the memory limit."""
        d = self.dir_for("memory")
        if d is None:
            return 0
        name, key = ("memory.oom_control", "oom_kill") if d.version == 1 else ("memory.events", "oom_kill")
        for line in _read(d.path / name).splitlines():
            field, _, value = line.partition(" ")
            if field == key:
                return int(value)
        return 0


def _own_tasks(container: CgroupDir, own: str) -> Path:
    """The ``tasks`` file of this process's cgroup (``own``: its /proc/self/cgroup) in ``container``'s hierarchy."""
    mount = container.path.parent.parent  # the container's cgroup is MOUNT/PARTITION/NAME
    for line in own.splitlines():
        _, names, path = line.split(":", 2)
        if names and set(names.split(",")) == set(container.controllers):
            return mount / path.lstrip("/") / "tasks"
    raise HostError(f"this process is in no cgroup of the hierarchy mounted at {mount}")


def _first_file(folder: Path, names: tuple[str, ...]) -> Path | None:
    return next((folder / n for n in names if (folder / n).exists()), None)


def _require_file(path: Path, what: str) -> None:
    if not path.exists():
        raise _unsupported(f"{what} needs {path.name}, which this host's cgroups do not offer")


def _device_numbers(path: str) -> str:
    import stat

    try:
        info = Path(path).stat()
    except OSError as exc:
        raise _unsupported(f"<blkiotune><device><path>{path}</path>: {exc.strerror}") from exc
    if not stat.S_ISBLK(info.st_mode):
        raise _unsupported(f"<blkiotune><device><path>{path}</path> is not a block device")
    return f"{os.major(info.st_rdev)}:{os.minor(info.st_rdev)}"


def _inherit_cpuset(folder: Path) -> None:
    """A new v1 cpuset cgroup starts with no CPUs and no memory nodes: take its parent's."""
    for name in ("cpuset.cpus", "cpuset.mems"):
        if not _read(folder / name).strip():
            _write(folder / name, _read(folder.parent / name).strip())


def _enable_v2_controllers(partition: Path, controllers: frozenset[str]) -> None:
    """v2 hands a controller to a cgroup's children only when every ancestor enables it."""
    wanted = [c for c in ("cpu", "cpuset", "memory", "io", "pids") if c in controllers]
    for folder in (partition.parent, partition):
        enabled = set(_read(folder / "cgroup.subtree_control").split())
        for controller in wanted:
            if controller not in enabled:
                _write(folder / "cgroup.subtree_control", f"+{controller}")

"""Which cgroup hierarchy serves each controller on this host: v1, v2, or a mix (hybrid).

Read from ``/proc/self/mountinfo``: a ``cgroup`` mount carries its controllers in its super
options (``rw,cpu,cpuacct``), a ``cgroup2`` mount offers those its root's ``cgroup.controllers``
lists. A controller bound to a v1 hierarchy is not available in v2, so v1 is asked first.
Named v1 hierarchies (``name=systemd``) carry no controller and are left alone.
"""

from __future__ import annotations

from pathlib import Path

import attrs

V1_CONTROLLERS = ("cpu", "cpuacct", "cpuset", "memory", "devices", "freezer", "blkio", "pids")


@attrs.frozen
class Hierarchy:
    """One mounted hierarchy: ``version`` 1 or 2, where it is, which controllers it serves."""

    version: int
    mount: Path
    controllers: frozenset[str]


@attrs.frozen
class Layout:
    hierarchies: tuple[Hierarchy, ...]

    @property
    def v2(self) -> Hierarchy | None:
        return next((h for h in self.hierarchies if h.version == 2), None)

    @property
    def kind(self) -> str:
        """``v1``, ``v2`` or ``hybrid``: what ``virt`` reports about the host."""
        versions = {h.version for h in self.hierarchies if h.controllers or h.version == 2}
        if versions == {2}:
            return "v2"
        return "hybrid" if 2 in versions else "v1"

    def for_controller(self, controller: str) -> Hierarchy | None:
        """The hierarchy serving ``controller`` (``cpuacct`` on v2 is ``cpu.stat``, always there)."""
        for hierarchy in self.hierarchies:
            if hierarchy.version == 1 and controller in hierarchy.controllers:
                return hierarchy
        v2 = self.v2
        if v2 is not None and (controller in v2.controllers or controller == "cpuacct"):
            return v2
        return None

    def used(self) -> tuple[Hierarchy, ...]:
        """Every hierarchy a container gets a cgroup in: those with a controller, and v2 (which
        knows how to kill and freeze a whole cgroup) whenever it is mounted."""
        return tuple(h for h in self.hierarchies if h.controllers or h.version == 2)


def parse_mountinfo(text: str, read_controllers: bool = True) -> Layout:
    """The hierarchies described by mountinfo ``text`` (the first mount of each one counts)."""
    found: list[Hierarchy] = []
    seen_devices: set[str] = set()
    for line in text.splitlines():
        fields = line.split()
        if "-" not in fields:
            continue
        dash = fields.index("-")
        if dash + 3 > len(fields) or len(fields) < 5:
            continue
        fstype, super_options = fields[dash + 1], fields[dash + 3] if dash + 3 < len(fields) else ""
        device, mount_point = fields[2], _unescape(fields[4])
        if fstype not in ("cgroup", "cgroup2") or device in seen_devices:
            continue
        seen_devices.add(device)
        if fstype == "cgroup":
            options = set(super_options.split(","))
            controllers = frozenset(c for c in V1_CONTROLLERS if c in options)
            found.append(Hierarchy(1, Path(mount_point), controllers))
        else:
            controllers = frozenset()
            if read_controllers:
                try:
                    controllers = frozenset((Path(mount_point) / "cgroup.controllers").read_text().split())
                except OSError:
                    controllers = frozenset()
            found.append(Hierarchy(2, Path(mount_point), controllers))
    return Layout(tuple(found))


def _unescape(field: str) -> str:
    """mountinfo writes space, tab, newline and backslash as octal escapes."""
    for code, char in (("\\040", " "), ("\\011", "\t"), ("\\012", "\n"), ("\\134", "\\")):
        field = field.replace(code, char)
    return field


def detect() -> Layout:
    return parse_mountinfo(Path("/proc/self/mountinfo").read_text())

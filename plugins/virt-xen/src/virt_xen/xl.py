"""``xl``, libxl's command-line toolstack, run on dom0, and the reading of what it prints.

Each call returns what the command says or raises a VirtError carrying ``xl``'s own complaint
(its standard error), as libvirt's libxl driver reports libxl's failures.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from typing import TYPE_CHECKING

import attrs
from virt.states import DomainState

from virt_xen import errors

if TYPE_CHECKING:
    from virt_xen.dom0 import Dom0, Result

# `xl list -v`: name, id, memory (MiB), vCPUs, the six state letters, CPU time, UUID, shutdown reason
_LIST_LINE = re.compile(
    r"^(?P<name>.+?)\s+(?P<id>\d+)\s+(?P<mem>\d+)\s+(?P<vcpus>\d+)\s+(?P<state>[-rbpscd]{6})\s+"
    r"(?P<time>[\d.]+)\s+(?P<uuid>[0-9a-fA-F-]{36})\s+(?P<reason>\S+)"
)


class ShutdownCode:
    """libxl's shutdown reasons (``xl list -v``'s Reason-Code, in hex)."""

    POWEROFF = 0
    REBOOT = 1
    SUSPEND = 2
    CRASH = 3
    WATCHDOG = 4


@attrs.frozen
class XlDomain:
    """One line of ``xl list -v``: a domain as the hypervisor has it now."""

    name: str
    domid: int
    memory_mib: int
    vcpus: int
    flags: str
    """``rbpscd``: running, blocked, paused, shut down, crashed, dying (``-`` for a letter not set)."""
    cpu_time: float
    uuid: uuid.UUID
    shutdown_code: int | None
    """Why a shut-down domain shut down (``ShutdownCode``), None while it has not."""

    @property
    def paused(self) -> bool:
        return self.flags[2] == "p"

    @property
    def shut_down(self) -> bool:
        return self.flags[3] == "s" or self.flags[5] == "d"

    @property
    def crashed(self) -> bool:
        return self.flags[4] == "c" or self.shutdown_code in (ShutdownCode.CRASH, ShutdownCode.WATCHDOG)

    @property
    def state(self) -> DomainState:
        """libvirt's state word for the flags (libxlDomainGetState's reading of libxl_dominfo)."""
        if self.crashed:
            return DomainState.CRASHED
        if self.shut_down:
            if self.shutdown_code == ShutdownCode.SUSPEND:
                return DomainState.PMSUSPENDED
            return DomainState.SHUTDOWN
        if self.paused:
            return DomainState.PAUSED
        return DomainState.RUNNING


def parse_list(text: str) -> list[XlDomain]:
    """The domains of ``xl list -v`` output (its header skipped); VirtError on a line it cannot read."""
    found: list[XlDomain] = []
    for line in text.splitlines()[1:]:
        if not line.strip():
            continue
        match = _LIST_LINE.match(line)
        if match is None:
            raise errors.internal(f"cannot read this line of 'xl list -v': {line!r}")
        reason = match["reason"]
        found.append(
            XlDomain(
                name=match["name"],
                domid=int(match["id"]),
                memory_mib=int(match["mem"]),
                vcpus=int(match["vcpus"]),
                flags=match["state"],
                cpu_time=float(match["time"]),
                uuid=uuid.UUID(match["uuid"]),
                shutdown_code=None if reason == "-" else int(reason, 16),
            )
        )
    return found


_VCPU_LINE = re.compile(
    r"^(?P<name>.+?)\s+(?P<id>\d+)\s+(?P<vcpu>\d+)\s+(?P<cpu>\d+|-)\s+(?P<state>[-rbp]{3})\s+"
    r"(?P<time>[\d.]+)\s+(?P<hard>\S+)"
)


@attrs.frozen
class XlVcpu:
    """One line of ``xl vcpu-list``."""

    number: int
    cpu: int
    """The host CPU it runs on (-1: none, offline)."""
    state: str
    """``r`` running, ``b`` blocked, ``p`` paused (offline), ``-`` for a letter not set."""
    cpu_time: float
    hard_affinity: str
    """``all`` or a CPU list (``0-1,3``)."""


def parse_vcpus(text: str) -> list[XlVcpu]:
    """The vCPUs of ``xl vcpu-list DOMID`` output (its header skipped); VirtError on a line it cannot read."""
    found: list[XlVcpu] = []
    for line in text.splitlines()[1:]:
        if not line.strip():
            continue
        match = _VCPU_LINE.match(line)
        if match is None:
            raise errors.internal(f"cannot read this line of 'xl vcpu-list': {line!r}")
        cpu = match["cpu"]
        found.append(
            XlVcpu(
                int(match["vcpu"]), -1 if cpu == "-" else int(cpu), match["state"], float(match["time"]), match["hard"]
            )
        )
    return found


def parse_info(text: str) -> dict[str, str]:
    """``key : value`` lines of ``xl info`` (multi-line sections such as ``xl info -n``'s tables are
    kept whole under the key that opens them, one line each)."""
    info: dict[str, str] = {}
    last: str | None = None
    for line in text.splitlines():
        key, colon, value = line.partition(":")
        # "name<padding>: value": a table's header ("cpu:    core ...") has no padding before its colon
        if colon and re.fullmatch(r"[a-z_0-9]+( [a-z_0-9]+)*\s+", key):
            last = key.strip()
            info[last] = value.strip()
        elif last is not None and line.strip():
            info[last] = f"{info[last]}\n{line.rstrip()}" if info[last] else line.rstrip()
    return info


class Xl:
    """The ``xl`` commands the driver uses, on one dom0."""

    def __init__(self, dom0: Dom0) -> None:
        self.dom0 = dom0

    def _run(self, args: Sequence[str], what: str, *, input: bytes | None = None) -> Result:
        result = self.dom0.run(["xl", *args], input=input)
        if result.status != 0:
            raise errors.operation_failed(f"{what}: {result.error_text}")
        return result

    def text(self, args: Sequence[str], what: str) -> str:
        return self._run(args, what).stdout.decode(errors="replace")

    def domains(self) -> list[XlDomain]:
        """Every domain the hypervisor has now (``xl list -v``: the UUID and the state in one call;
        ``xl list -l``'s JSON has the configuration but no state)."""
        return parse_list(self.text(["list", "-v"], "cannot list the domains"))

    def info(self, *, numa: bool = False) -> dict[str, str]:
        return parse_info(self.text(["info", "-n"] if numa else ["info"], "cannot read the host's information"))

    def create(self, config_path: str, config: bytes, name: str, *, paused: bool = False) -> int:
        """Write ``config`` to ``config_path`` on dom0 and ``xl create`` it, in one call; the new domid."""
        script = (
            'umask 077 && mkdir -p "$(dirname "$1")" && cat > "$1" && '
            f'xl create {"-p " if paused else ""}-q "$1" >&2 && xl domid "$2"'
        )
        result = self.dom0.run(["sh", "-c", script, "sh", config_path, name], input=config)
        if result.status != 0:
            raise errors.operation_failed(f"xl create of domain '{name}' failed: {result.error_text}")
        return _domid(result.stdout, name)

    def restore(self, path: str, name: str, *, paused: bool = False) -> int:
        """``xl restore`` a save image on dom0; the new domid."""
        script = f'xl restore {"-p " if paused else ""}"$1" >&2 && xl domid "$2"'
        result = self.dom0.run(["sh", "-c", script, "sh", path, name])
        if result.status != 0:
            raise errors.operation_failed(f"xl restore of '{path}' failed: {result.error_text}")
        return _domid(result.stdout, name)

    def act(self, verb: str, domid: int, *args: str, what: str) -> None:
        """``xl VERB DOMID ARGS``: pause, unpause, shutdown, reboot, destroy, vcpu-set, mem-set..."""
        self._run([verb, str(domid), *args], what)


def _domid(stdout: bytes, name: str) -> int:
    text = stdout.decode(errors="replace").strip().splitlines()
    if not text or not text[-1].strip().isdigit():
        raise errors.internal(f"xl did not name the id of the new domain '{name}' (it printed {stdout!r})")
    return int(text[-1].strip())

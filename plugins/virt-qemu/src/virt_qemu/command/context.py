"""What every part of the command builder shares: the arguments so far, the caps, the plans.

Option values that QEMU 7.2 takes as JSON (``-device``, ``-blockdev``, ``-netdev``, ``-object``)
are kept as dicts until the end: PCI addresses chosen by QEMU-independent planning are filled into
them after every device is known (see ``pci.PciPlan``). JSON also spares us QEMU's comma escaping
for paths; the options that only take ``key=value`` lists go through ``kv``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, Protocol

import attrs
from virt.xml.domain import Domain

from virt_qemu.command.machinetypes import Family


class CapsLike(Protocol):
    """The parts of ``virt_qemu.caps.QemuCaps`` the command builder uses."""

    @property
    def binary(self) -> Any: ...

    @property
    def arch(self) -> str: ...

    @property
    def kvm(self) -> bool: ...

    @property
    def machines(self) -> Sequence[Any]: ...

    @property
    def cpu_models(self) -> Any: ...

    def has_device(self, name: str) -> bool: ...


@attrs.frozen
class RuntimeFiles:
    """Where the running domain's sockets and files go (the driver decides)."""

    monitor_socket: Path
    """The QMP socket."""
    run_dir: Path
    """Per-domain folder: unix chardev sockets without a path, the guest agent socket..."""
    log_file: Path | None = None
    """QEMU's log; the driver redirects stderr there (not an argument of the command)."""
    monitor_fd: int | None = None
    """The QMP socket already bound to ``monitor_socket`` and listening, handed to QEMU as this
    file descriptor (``fd=``, as libvirt does): connecting to it never races QEMU's start."""
    taps: frozenset[str] = frozenset()
    """Taps the driver made on bridges for the domain's bridge and network interfaces (their
    ``<target dev>``): QEMU opens them by name instead of running its bridge helper."""


Value = str | dict[str, Any] | None


@attrs.define
class Args:
    """The command's options in order; JSON values stay dicts until ``render``."""

    items: list[tuple[str, Value]] = attrs.field(factory=list)

    def add(self, option: str, value: Value = None) -> None:
        self.items.append((option, value))

    def device(self, props: dict[str, Any]) -> None:
        self.items.append(("-device", props))

    def render(self) -> list[str]:
        argv: list[str] = []
        for option, value in self.items:
            argv.append(option)
            if isinstance(value, dict):
                argv.append(json.dumps(_drop_none(value), separators=(",", ":")))
            elif value is not None:
                argv.append(value)
        return argv


def _drop_none(props: dict[str, Any]) -> dict[str, Any]:
    return {k: (_drop_none(v) if isinstance(v, dict) else v) for k, v in props.items() if v is not None}


def escape(value: str) -> str:
    """A value inside QEMU's key=value lists: a comma is written twice."""
    return value.replace(",", ",,")


def kv(first: str | None, pairs: Iterable[tuple[str, object]]) -> str:
    """``first,key=value,...`` with values escaped; None values are left out, bools become on/off."""
    parts = [] if first is None else [escape(first)]
    for key, value in pairs:
        if value is None:
            continue
        if isinstance(value, bool):
            value = "on" if value else "off"
        parts.append(f"{key}={escape(str(value))}")
    return ",".join(parts)


@attrs.define
class Context:
    """The state of one build."""

    domain: Domain
    caps: CapsLike
    files: RuntimeFiles
    machine: str
    q35: bool
    family: Family
    """The board: Q35 (``q35`` is true), i440FX, or isapc and microvm, which have no PCI bus."""
    kvm: bool
    args: Args
    boot_index: dict[int, int]  # id(device model) -> bootindex
    pci: Any  # pci.PciPlan (Any here to keep the modules free of import cycles)
    buses: Any  # controllers.Buses

    def has_device(self, name: str) -> bool:
        """Whether the binary has device ``name``; true when the caps list no devices at all."""
        types = getattr(self.caps, "device_types", None)
        if not types:
            return True
        return bool(self.caps.has_device(name))

    def bootindex(self, device: object) -> int | None:
        return self.boot_index.get(id(device))

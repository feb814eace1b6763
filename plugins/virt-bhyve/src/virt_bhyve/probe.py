"""What the host's bhyve and grub-bhyve can do, asked as libvirt asks them (bhyve_capabilities.c):
``bhyve -h``'s usage text, the error a trial run gives for a device it may not know
(``bhyve -s 0,fbuf``: no ``unknown device "fbuf"`` means it has fbuf), ``grub-bhyve --help``.
The flags fill the converter's :class:`virt_bhyve.caps.BhyveCaps`."""

from __future__ import annotations

import contextlib
import json
from typing import TYPE_CHECKING

import attrs

from virt_bhyve.caps import BhyveCaps

if TYPE_CHECKING:
    from pathlib import Path

    from virt.remote.commandhost import CommandHost

_UNKNOWN = 'pci slot 0:0: unknown device "{}"'
TRIALS: tuple[tuple[str, tuple[str, str], str], ...] = (
    ("ahci32slot", ("-s", "0,ahci"), _UNKNOWN.format("ahci")),
    ("net_e1000", ("-s", "0,e1000"), _UNKNOWN.format("e1000")),
    ("lpc_bootrom", ("-l", "bootrom"), "bhyve: invalid lpc device configuration 'bootrom'"),
    ("fbuf", ("-s", "0,fbuf"), _UNKNOWN.format("fbuf")),
    # libvirt sets its framebuffer flag from the xhci trial too (bhyveProbeCapsXHCIController)
    ("xhci", ("-s", "0,xhci"), _UNKNOWN.format("xhci")),
    ("sound_hda", ("-s", "0,hda"), _UNKNOWN.format("hda")),
    ("vnc_password", ("-s", "0,fbuf,password="), 'Invalid fbuf emulation "password"'),
    # libvirt looks for hda's words after the virtio-9p trial (bhyveProbeCapsVirtio9p): the same here
    ("virtio_9p", ("-s", "0,virtio-9p"), _UNKNOWN.format("hda")),
)
"""Each flag, the trial run's arguments, and the words that mean "not supported"."""


def probe(host: CommandHost, bhyve: str, grub: str | None) -> BhyveCaps:
    """The flags of ``bhyve`` (and ``grub``, when the host has grub-bhyve) on ``host``."""
    help_text = host.run([bhyve, "-h"]).stderr.decode(errors="replace")
    flags = {
        "rtc_utc": "-u:" in help_text,
        # "-c vcpus" was bhyve's syntax before CPU topologies
        "cputopology": "-c vcpus" not in help_text,
    }
    for name, args, refusal in TRIALS:
        flags[name] = refusal not in host.run([bhyve, *args]).stderr.decode(errors="replace")
    flags["grub_consdev"] = grub is not None and "--cons-dev" in host.run([grub, "--help"]).stdout.decode(
        errors="replace"
    )
    return BhyveCaps(**flags)


def cached_probe(host: CommandHost, bhyve: str, grub: str | None, cache: Path) -> BhyveCaps:
    """``probe``'s flags, kept in ``cache`` with the tools' ``ls -lnL`` line (size, time): the next
    owner (each ``virt`` command is one) asks ``ls`` once instead of running ten probes, and probes
    again when a tool was replaced."""
    from virt.localstate.files import atomic_write

    listed = host.run(["ls", "-lnL", bhyve, *([grub] if grub else [])])
    key = listed.stdout.decode(errors="replace") if listed.status == 0 else None
    if key is not None:
        with contextlib.suppress(OSError, ValueError, TypeError):
            kept = json.loads(cache.read_text())
            if kept.get("tools") == key:
                return BhyveCaps(**kept["caps"])
    caps = probe(host, bhyve, grub)
    if key is not None:
        atomic_write(cache, json.dumps({"tools": key, "caps": attrs.asdict(caps)}), durable=False)
    return caps

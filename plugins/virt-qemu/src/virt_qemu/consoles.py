"""Consoles of running guests, as libvirt's QEMU driver keeps them.

At start the pty QEMU allocated for each pty serial port and console (QMP ``query-chardev``) is
written into the live definition (``<source path>``, a console's ``tty``) with the devices'
aliases, which is what ``virsh console`` and ``virsh ttyconsole`` read. Opening a console
(virDomainOpenConsole) opens that pty in raw mode and bridges it to a socket pair: the caller gets
one end. One session per pty at a time, as libvirt's chrdev table keeps it: another open is
refused unless forced, which ends the older session.
"""

from __future__ import annotations

import os
import socket
import tty
from typing import TYPE_CHECKING, Any

from virt.errors import ErrorDomain
from virt.localstate.consoles import ConsoleSessions
from virt.xml.devices import Alias, Char, CharSource

from virt_qemu import errors
from virt_qemu.command.chardev import frontends

if TYPE_CHECKING:
    from virt.driver import DomainRef
    from virt.xml import Domain

    from virt_qemu.driver import QemuDriver


def record_ptys(definition: Domain, chardevs: list[dict[str, Any]]) -> None:
    """Write the ptys of ``query-chardev`` and the aliases into the live ``definition``."""
    devices = definition.devices
    if devices is None:
        return
    filenames = {str(c.get("label")): str(c.get("filename", "")) for c in chardevs}
    for char, chardev_id, alias in frontends(devices):
        if char.alias is None:
            char.alias = Alias()
            char.alias.name = alias
        filename = filenames.get(chardev_id, "")
        if char.type != "pty" or not filename.startswith("pty:"):
            continue
        path = filename.removeprefix("pty:")
        if not char.sources:
            char.sources.append(CharSource())
        char.sources[0].path = path
        if any(char is console for console in devices.consoles):
            char.tty = path


def _find(definition: Domain, device: str | None) -> Char | None:
    """libvirt's choice: the console, serial or parallel port of that alias; else the first console,
    else the first serial port."""
    devices = definition.devices
    if devices is None:
        return None
    if device is not None:
        for char in (*devices.consoles, *devices.serials, *devices.parallels):
            if char.alias is not None and char.alias.name == device:
                return char
        return None
    if devices.consoles:
        return devices.consoles[0]
    return devices.serials[0] if devices.serials else None


_sessions = ConsoleSessions(ErrorDomain.QEMU)
"""The open console sessions of every QEMU driver in this process, by pty."""


def open_console(driver: QemuDriver, ref: DomainRef, device: str | None, force: bool) -> socket.socket:
    """The pty of the console ``device`` (None: the first) of a running domain, bridged to a socket."""
    with driver.locked(ref) as obj:
        if not obj.active or obj.running is None:
            raise errors.not_running()
        char = _find(obj.current, device)
        if char is None:
            raise errors.internal(f"cannot find character device {device if device is not None else '<null>'}")
        alias = char.alias.name if char.alias is not None else None
        if char.type != "pty":
            raise errors.internal(f"character device {device or alias or '<null>'} is not using a PTY")
        path = char.sources[0].path if char.sources else None
        if not path:
            raise errors.internal(f"character device {device or alias or '<null>'} has no pty yet")
        _sessions.check(path, force=force)
        try:
            fd = os.open(path, os.O_RDWR | os.O_NOCTTY | os.O_NONBLOCK | os.O_CLOEXEC)
        except OSError as exc:
            raise errors.operation_failed(f"cannot open the console {path}: {exc.strerror or exc}") from exc
        try:
            tty.setraw(fd)  # the guest's bytes as they are: no echo, no line discipline
        except OSError as exc:
            os.close(fd)
            raise errors.operation_failed(f"cannot set the console {path} to raw mode: {exc.strerror}") from exc
        return _sessions.open(path, fd, fd, on_end=lambda: os.close(fd))

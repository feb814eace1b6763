"""Consoles of running guests, as libvirt's QEMU driver keeps them.

At start the pty QEMU allocated for each pty serial port and console (QMP ``query-chardev``) is
written into the live definition (``<source path>``, a console's ``tty``) with the devices'
aliases, which is what ``virsh console`` and ``virsh ttyconsole`` read. Opening a console
(virDomainOpenConsole) opens that pty in raw mode and bridges it to a socket pair: the caller gets
one end. One session per pty at a time, as libvirt's chrdev table keeps it: another open is
refused unless forced, which ends the older session.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import select
import socket
import threading
import tty
from typing import TYPE_CHECKING, Any

from virt.errors import ErrorNumber
from virt.xml.devices import Alias, Char, CharSource

from virt_qemu import errors
from virt_qemu.command.chardev import frontends

if TYPE_CHECKING:
    from virt.driver import DomainRef
    from virt.xml import Domain

    from virt_qemu.driver import QemuDriver

log = logging.getLogger(__name__)

_CHUNK = 65536


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


class _Session:
    """One open console: a thread copying between the pty and our end of the socket pair."""

    def __init__(self, path: str, fd: int, sock: socket.socket) -> None:
        self.path = path
        self._fd = fd
        self._sock = sock
        self._thread = threading.Thread(target=self._run, name=f"virt-qemu console {path}", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def end(self) -> None:
        """Taken over (a forced open): the caller's socket sees end of file."""
        with contextlib.suppress(OSError):
            self._sock.shutdown(socket.SHUT_RDWR)

    def _run(self) -> None:
        try:
            self._copy()
        except OSError as exc:
            log.debug("console %s ended: %s", self.path, exc)
        finally:
            with _sessions_lock:
                if _sessions.get(self.path) is self:
                    del _sessions[self.path]
            os.close(self._fd)
            with contextlib.suppress(OSError):
                self._sock.shutdown(socket.SHUT_RDWR)
            self._sock.close()

    def _copy(self) -> None:
        fd, sock = self._fd, self._sock
        sock_fd = sock.fileno()
        while True:
            readable, _, _ = select.select([fd, sock_fd], [], [])
            if fd in readable:
                try:
                    data = os.read(fd, _CHUNK)
                except OSError as exc:
                    if exc.errno in (errno.EAGAIN, errno.EINTR):
                        continue
                    data = b""  # EIO: QEMU closed the pty (the guest is gone)
                if not data:
                    return
                sock.sendall(data)
            if sock_fd in readable:
                data = sock.recv(_CHUNK)
                if not data:
                    return  # the caller closed its end
                _write_all(fd, data)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        try:
            written = os.write(fd, view)
        except BlockingIOError:
            select.select([], [fd], [])
            continue
        view = view[written:]


_sessions: dict[str, _Session] = {}
_sessions_lock = threading.Lock()


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
        with _sessions_lock:
            current = _sessions.get(path)
            if current is not None:
                if not force:
                    raise errors.error(ErrorNumber.OPERATION_FAILED, "Active console session exists for this domain")
                del _sessions[path]
                current.end()
            try:
                fd = os.open(path, os.O_RDWR | os.O_NOCTTY | os.O_NONBLOCK | os.O_CLOEXEC)
            except OSError as exc:
                raise errors.operation_failed(f"cannot open the console {path}: {exc.strerror or exc}") from exc
            try:
                tty.setraw(fd)  # the guest's bytes as they are: no echo, no line discipline
            except OSError as exc:
                os.close(fd)
                raise errors.operation_failed(f"cannot set the console {path} to raw mode: {exc.strerror}") from exc
            caller, ours = socket.socketpair()
            session = _Session(path, fd, ours)
            _sessions[path] = session
        session.start()
        return caller

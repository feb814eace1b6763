"""The console and screenshot calls of ``qemu:///`` connections (a mixin of QemuConnection).

A screenshot is libvirt's: QMP ``screendump`` of the chosen head to a file in the domain's run
folder, read back and removed; PNG (``image/png``) from a QEMU whose screendump takes a format
(7.1 on, as libvirt 9.0 does), PPM (``image/x-portable-pixmap``) before. Consoles are
virt_qemu.consoles'.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from virt.errors import ErrorDomain, ErrorNumber
from virt.info import Screenshot

from virt_qemu import consoles, errors

if TYPE_CHECKING:
    import socket

    from virt.driver import DomainRef
    from virt.xml import Domain

    from virt_qemu.driver import QemuDriver

PPM_MIME, PNG_MIME = "image/x-portable-pixmap", "image/png"
PNG_SINCE = (7, 1, 0)
"""The QEMU version whose screendump takes ``format`` (libvirt's QEMU_CAPS_SCREENSHOT_FORMAT_PNG)."""


class QemuDisplayOperations:
    """virDomainOpenConsole and virDomainScreenshot."""

    if TYPE_CHECKING:

        @property
        def qemu(self) -> QemuDriver: ...

    def open_console(self, ref: DomainRef, device: str | None = None, *, force: bool = False) -> socket.socket:
        return consoles.open_console(self.qemu, ref, device, force)

    def screenshot(self, ref: DomainRef, screen: int = 0) -> Screenshot:
        driver = self.qemu
        with driver.locked(ref) as obj:
            running = driver._usable(obj)  # "domain is not running" first, as libvirt checks
            arguments = _screen(obj.current, screen)
            png = running.caps is not None and running.caps.version >= PNG_SINCE
            if png:
                arguments["format"] = "png"
            fd, name = tempfile.mkstemp(prefix="qemu.screendump.", dir=running.run_dir)
            os.close(fd)
            path = Path(name)
            try:
                driver.qmp(obj, "screendump", {"filename": str(path), **arguments})
                data = path.read_bytes()
            except OSError as exc:
                raise errors.operation_failed("unable to open stream") from exc
            finally:
                with contextlib.suppress(OSError):
                    path.unlink()
        return Screenshot(PNG_MIME if png else PPM_MIME, data)


def _screen(definition: Domain, screen: int) -> dict[str, object]:
    """screendump's device and head for ``screen``: heads are counted across the video cards in order."""
    videos = [v for v in (definition.devices.videos if definition.devices is not None else [])]
    videos = [v for v in videos if v.model is None or v.model.type != "none"]
    if not videos:
        raise errors.operation_failed("no screens to take screenshot from")
    if screen == 0:
        return {}
    for n, video in enumerate(videos):
        heads = (video.model.heads if video.model is not None else None) or 1
        if screen < heads:
            return {"device": f"video{n}", "head": screen}
        screen -= heads
    raise errors.error(ErrorNumber.OPERATION_INVALID, "no such screen ID", ErrorDomain.QEMU)

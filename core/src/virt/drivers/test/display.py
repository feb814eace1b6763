"""virDomainScreenshot as libvirt 9.0's test driver answers it: the same fixed PNG for every domain,
running or not, and every screen; no flags."""

from __future__ import annotations

import struct
import zlib
from typing import TYPE_CHECKING

from virt.info import Screenshot

if TYPE_CHECKING:
    from virt.driver import DomainRef
    from virt.drivers.test.host import Host
    from virt.drivers.test.objects import DomainObj

WIDTH, HEIGHT = 64, 48


def _chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def colour_bars() -> bytes:
    """A small RGB PNG of vertical colour bars (libvirt's test driver sends a picture of its own)."""
    bars = [(255, 255, 255), (255, 255, 0), (0, 255, 255), (0, 255, 0), (255, 0, 255), (255, 0, 0), (0, 0, 255)]
    row = b"\x00" + b"".join(bytes(bars[x * len(bars) // WIDTH]) for x in range(WIDTH))  # filter byte 0: none
    header = struct.pack(">IIBBBBB", WIDTH, HEIGHT, 8, 2, 0, 0, 0)  # 8-bit RGB, no interlace
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", zlib.compress(row * HEIGHT))
        + _chunk(b"IEND", b"")
    )


_IMAGE = colour_bars()


class DisplayOperations:
    """The test driver's screenshot."""

    host: Host

    if TYPE_CHECKING:

        def _domain(self, ref: DomainRef) -> DomainObj: ...  # DomainOperations'

    def screenshot(self, ref: DomainRef, screen: int = 0) -> Screenshot:
        with self.host.lock:
            self._domain(ref)  # a domain that is gone is an error, as for every call
        return Screenshot("image/png", _IMAGE)

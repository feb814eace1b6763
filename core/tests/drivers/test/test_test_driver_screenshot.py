"""virDomainScreenshot on test:///default: one fixed PNG for any domain and screen, as libvirt's test driver."""

from __future__ import annotations

import struct
import zlib

import pytest
import virt
from virt.errors import NotFound


def _png_chunks(data: bytes) -> list[bytes]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    kinds, at = [], 8
    while at < len(data):
        (length,) = struct.unpack(">I", data[at : at + 4])
        kind, body = data[at + 4 : at + 8], data[at + 8 : at + 8 + length]
        assert struct.unpack(">I", data[at + 8 + length : at + 12 + length])[0] == zlib.crc32(kind + body)
        kinds.append(kind)
        at += 12 + length
    return kinds


def test_screenshot_is_a_valid_png_for_any_screen_running_or_not() -> None:
    with virt.open("test:///default") as conn:
        dom = conn.lookup_domain_by_name("test")
        shot = dom.screenshot()
        assert shot.mime == "image/png"
        assert _png_chunks(shot.data) == [b"IHDR", b"IDAT", b"IEND"]
        assert dom.screenshot(5) == shot
        dom.destroy()
        try:
            assert dom.screenshot() == shot
        finally:
            dom.start()


def test_screenshot_of_a_domain_that_is_gone() -> None:
    with virt.open("test:///default") as conn:
        dom = conn.define_domain(
            "<domain type='test'><name>gone</name><memory>1024</memory><os><type>hvm</type></os></domain>"
        )
        dom.undefine()
        with pytest.raises(NotFound):
            dom.screenshot()

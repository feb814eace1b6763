"""The save image file, in libvirt's layout, so that an image written by libvirt's QEMU driver
restores here and ours there.

Layout (libvirt's QEMU save header, version 2): 16 magic bytes (``LibvirtQemudPart`` while the
file is written, ``LibvirtQemudSave`` once complete), then 19 unsigned 32-bit words in the host's
byte order: version, data length, was-running, compression format, cookie offset and 14 unused.
``data length`` bytes follow: the domain XML and its NUL, optionally a cookie (from ``cookie
offset``) and NUL padding, 64 KiB of it when written, so that a longer XML can be put back in
place later. QEMU's migration stream starts right after.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import struct
import subprocess
from collections.abc import Iterator
from pathlib import Path

import attrs
from virt.errors import ErrorNumber, VirtError

from virt_qemu import errors

MAGIC = b"LibvirtQemudSave"
PARTIAL = b"LibvirtQemudPart"
VERSION = 2
_WORDS = 19
HEADER_SIZE = len(MAGIC) + 4 * _WORDS
PADDING = 64 * 1024
"""Room libvirt leaves after the XML for a larger one written back (save-image-define)."""
FORMATS = ("raw", "gzip", "bzip2", "xz", "lzop", "zstd")
"""libvirt's compression formats, by their number in the header (also the name of each one's program)."""

log = logging.getLogger(__name__)


def _failed(detail: str) -> VirtError:
    return errors.error(ErrorNumber.OPERATION_FAILED, detail)


@attrs.define
class SaveImage:
    """What the header and data area of a save image say."""

    xml: str
    was_running: bool
    data_len: int
    version: int = VERSION
    format: int = 0
    cookie: bytes = b""
    order: str = "<"
    """The byte order the header was written in (``<`` little endian, ``>`` big)."""

    @property
    def stream_offset(self) -> int:
        """Where QEMU's migration stream starts."""
        return HEADER_SIZE + self.data_len

    def header(self, magic: bytes) -> bytes:
        cookie_offset = len(self.xml.encode()) + 1 if self.cookie else 0
        words = (self.version, self.data_len, int(self.was_running), self.format, cookie_offset) + (0,) * 14
        return magic + struct.pack(f"{self.order}{_WORDS}I", *words)

    def data(self) -> bytes:
        """The data area: XML, NUL, cookie (NUL-terminated), NUL padding up to ``data_len``."""
        body = self.xml.encode() + b"\0" + (self.cookie + b"\0" if self.cookie else b"")
        if len(body) > self.data_len:
            raise _failed("new xml too large to fit in file")
        return body + b"\0" * (self.data_len - len(body))


def new_image(xml: str, *, was_running: bool) -> SaveImage:
    """The header of an image about to be written (no cookie: libvirt reads images without one)."""
    return SaveImage(xml=xml, was_running=was_running, data_len=len(xml.encode()) + 1 + PADDING)


def drop_cached(fd: int) -> None:
    """The image's pages out of the host's page cache (BYPASS_CACHE: a save or restore must not push the
    rest of the host out of it). libvirt reaches the same end writing through O_DIRECT in its iohelper;
    dirty pages cannot be dropped, hence the flush first. A file system that cannot do either (a pipe
    given as the file) keeps its pages: the flag is a hint, the image is the same."""
    with contextlib.suppress(OSError):
        os.fdatasync(fd)
    with contextlib.suppress(OSError):
        os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)


def open_for_reading(path: str | Path) -> int:
    """The image opened read-only; a clear error for a missing or unreadable file."""
    try:
        return os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    except OSError as exc:
        raise errors.error(ErrorNumber.SYSTEM_ERROR, f"Failed to open file '{path}': {exc.strerror or exc}") from exc


def read(path: str | Path) -> SaveImage:
    """The header and definition of the image ``path`` (libvirt's checks, in libvirt's words)."""
    fd = open_for_reading(path)
    try:
        return read_fd(fd)
    finally:
        os.close(fd)


def read_fd(fd: int) -> SaveImage:
    """Read the header and data area from ``fd`` (left at the migration stream's start)."""
    raw = _read_exactly(fd, HEADER_SIZE)
    if raw is None:
        raise _failed("failed to read qemu header")
    magic, words = raw[: len(MAGIC)], raw[len(MAGIC) :]
    if magic != MAGIC:
        raise _failed("save image is incomplete" if magic == PARTIAL else "image magic is incorrect")
    order = "<"
    values = struct.unpack(f"<{_WORDS}I", words)
    if values[0] > VERSION:  # written on a host of the other byte order
        order = ">"
        values = struct.unpack(f">{_WORDS}I", words)
    version, data_len, was_running, format_, cookie_offset = values[:5]
    if version > VERSION:
        raise _failed(f"image version is not supported ({version} > {VERSION})")
    if format_ >= len(FORMATS):
        raise _failed(f"unsupported save image format: {format_}")
    if data_len <= 0:
        raise _failed(f"invalid header data length: {data_len}")
    data = _read_exactly(fd, data_len)
    if data is None:
        raise _failed("failed to read domain XML")
    xml_end = cookie_offset if cookie_offset else data_len
    xml = data[:xml_end].split(b"\0", 1)[0]
    cookie = data[xml_end:].split(b"\0", 1)[0] if cookie_offset else b""
    try:
        text = xml.decode()
    except UnicodeDecodeError as exc:
        raise _failed(f"the domain XML of the save image is not UTF-8: {exc}") from exc
    return SaveImage(text, bool(was_running), data_len, version, format_, cookie, order)


def _read_exactly(fd: int, size: int) -> bytes | None:
    chunks: list[bytes] = []
    left = size
    while left:
        chunk = os.read(fd, left)
        if not chunk:
            return None
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def check_restorable(image: SaveImage) -> None:
    """Refuse version 1 images (libvirt 0.9's, before the format word meant what it means now)."""
    if image.version != VERSION:
        raise _failed(f"save image version {image.version} is not supported by virt-qemu (only {VERSION})")


@contextlib.contextmanager
def stream(image: SaveImage, fd: int) -> Iterator[int]:
    """The descriptor QEMU reads the migration stream from: ``fd`` itself for a raw image; for a
    compressed one (libvirt's ``save_image_format``), the pipe out of the format's own program
    (``gzip -dc``...) reading ``fd``, as libvirt does. The program is waited for on the way out."""
    if image.format == 0:
        yield fd
        return
    name = FORMATS[image.format]
    program = shutil.which(name)
    if program is None:
        raise errors.error(
            ErrorNumber.CONFIG_UNSUPPORTED, f"the save image is compressed with {name}, which is not installed"
        )
    argv = [program, "-dc", *(["--ignore-warn"] if name == "lzop" else [])]
    decompressor = subprocess.Popen(argv, stdin=fd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert decompressor.stdout is not None and decompressor.stderr is not None
    try:
        yield decompressor.stdout.fileno()
    finally:
        decompressor.stdout.close()  # a QEMU that failed early must not leave the program blocked writing
        try:
            _, errors_text = decompressor.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            decompressor.kill()
            _, errors_text = decompressor.communicate()
        if decompressor.returncode not in (0, -13):  # -13: SIGPIPE, QEMU stopped reading (failed)
            log.warning("%s -dc of a save image ended with %s: %s", name, decompressor.returncode, errors_text)


def rewrite(path: str | Path, image: SaveImage) -> None:
    """Put a changed definition or was-running flag back in place; the stream is not moved."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CLOEXEC)
    except OSError as exc:
        raise errors.error(ErrorNumber.SYSTEM_ERROR, f"Failed to open file '{path}': {exc.strerror or exc}") from exc
    try:
        payload = image.header(MAGIC) + image.data()
        os.pwrite(fd, payload, 0)
        os.fsync(fd)
    except OSError as exc:
        raise errors.error(
            ErrorNumber.SYSTEM_ERROR, f"failed to write header to domain save file '{path}': {exc.strerror}"
        ) from exc
    finally:
        os.close(fd)


def mark_complete(fd: int, image: SaveImage, path: str | Path) -> None:
    """Rewrite the header with the final magic once QEMU's stream is all in, and make it durable."""
    try:
        os.pwrite(fd, image.header(MAGIC), 0)
        os.fsync(fd)
    except OSError as exc:
        raise errors.error(
            ErrorNumber.SYSTEM_ERROR, f"failed to write header to domain save file '{path}': {exc.strerror}"
        ) from exc

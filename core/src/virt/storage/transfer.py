"""A volume's data opened for an upload or a download (virStorageVolUpload / virStorageVolDownload).

The file is the volume's bytes as they are on the host (a qcow2 volume's qcow2 file), as libvirt
streams them. A sparse stream (VIR_STORAGE_VOL_{UP,DOWN}LOAD_SPARSE_STREAM) passes the file's holes
as lengths instead of zeros: ``in_data`` and ``skip`` find and pass them on the way down, ``put_hole``
makes one on the way up, as libvirt's virFileInData and its file stream do.

While it is open the volume is *in use*: deleting, wiping or resizing it is refused, as libvirt
refuses them during a transfer.
"""

from __future__ import annotations

import errno
import io
import os
from collections.abc import Callable

from virt.errors import ErrorDomain, ErrorNumber, libvirt_error


def file_in_data(fd: int) -> tuple[bool, int]:
    """libvirt's virFileInData for the open file ``fd`` at its offset (left where it was): whether the
    offset is in data, else in a hole, and how many bytes on that lasts (0 at the end of the file)."""
    here = os.lseek(fd, 0, os.SEEK_CUR)
    try:
        try:
            data = os.lseek(fd, here, os.SEEK_DATA)
        except OSError as exc:
            if exc.errno != errno.ENXIO:
                raise
            return False, max(0, os.fstat(fd).st_size - here)  # no data from here on: a hole to the end
        if data > here:
            return False, data - here
        return True, os.lseek(fd, here, os.SEEK_HOLE) - here
    finally:
        os.lseek(fd, here, os.SEEK_SET)  # the probes moved the offset


class VolumeTransfer(io.FileIO):
    """The volume's file at ``offset``; ``remaining`` bytes may still pass (None: up to the end)."""

    def __init__(self, path: str, *, write: bool, offset: int, length: int, release: Callable[[], None]) -> None:
        try:
            super().__init__(path, "r+" if write else "r")
            self.seek(offset)
        except OSError as exc:
            release()
            raise libvirt_error(
                ErrorNumber.SYSTEM_ERROR, f"cannot open volume '{path}': {exc.strerror}", ErrorDomain.STORAGE
            ) from exc
        self.remaining: int | None = length or None
        self._release: Callable[[], None] | None = release

    def take(self, most: int) -> bytes:
        """Up to ``most`` bytes of what is left to download (empty at the end)."""
        wanted = most if self.remaining is None else min(most, self.remaining)
        data = self.read(wanted) if wanted else b""
        if self.remaining is not None:
            self.remaining -= len(data or b"")
        return data or b""

    def put(self, data: bytes) -> None:
        """Write uploaded ``data``; past the upload's length the volume is full, as libvirt has it."""
        fits = memoryview(data)
        overflow = False
        if self.remaining is not None:
            overflow = len(data) > self.remaining
            fits = fits[: self.remaining]
            self.remaining -= len(fits)
        while fits:
            fits = fits[self.write(fits) or 0 :]
        if overflow:
            raise libvirt_error(
                ErrorNumber.SYSTEM_ERROR, "cannot write to stream: No space left on device", ErrorDomain.STREAMS
            )

    def in_data(self) -> tuple[bool, int]:
        """virFileInData at the current offset: whether it is in data (else in a hole) and for how many
        bytes, up to what is left of the download (0 at the end)."""
        in_data, length = file_in_data(self.fileno())
        return in_data, length if self.remaining is None else min(length, self.remaining)

    def skip(self, length: int) -> None:
        """Pass over ``length`` bytes of a hole on the way down."""
        self.seek(length, os.SEEK_CUR)
        if self.remaining is not None:
            self.remaining -= length

    def put_hole(self, length: int) -> None:
        """An uploaded hole of ``length`` bytes: the file's offset moves on and the file ends there (as
        libvirt's file stream: a seek, then a truncation at the new offset), the bytes skipped keep
        what they held."""
        if self.remaining is not None:
            if self.remaining == 0:
                raise libvirt_error(
                    ErrorNumber.SYSTEM_ERROR, "cannot write to stream: No space left on device", ErrorDomain.STREAMS
                )
            length = min(length, self.remaining)
            self.remaining -= length
        self.truncate(self.seek(length, os.SEEK_CUR))

    def complete(self) -> None:
        """The upload is whole. As libvirt (and cp), the data is left to the page cache: an fsync of a
        large volume would double the upload's time; a caller that needs it durable syncs the volume."""
        if self.writable():
            self.flush()

    def close(self) -> None:
        try:
            super().close()
        finally:
            release, self._release = self._release, None
            if release is not None:
                release()

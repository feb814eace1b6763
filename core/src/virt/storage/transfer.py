"""A volume's data opened for an upload or a download (virStorageVolUpload / virStorageVolDownload).

The file is the volume's bytes as they are on the host (a qcow2 volume's qcow2 file), as libvirt
streams them. While it is open the volume is *in use*: deleting, wiping or resizing it is refused,
as libvirt refuses them during a transfer.
"""

from __future__ import annotations

import io
from collections.abc import Callable

from virt.errors import ErrorDomain, ErrorNumber, libvirt_error


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

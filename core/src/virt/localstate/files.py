"""Atomic file replacement: a temporary file in the same folder, fsync, rename, fsync of the folder.

A crash at any moment leaves either the old or the new text, never a mix. ``durable=False`` keeps
the atomicity but skips both fsyncs, for files in the run folder that do not outlive the host.
``sync_folder=False`` syncs the file's content but not the rename, as libvirt's virFileRewrite does
for every definition it saves (``NAME.xml.new``, fsync, rename; no folder fsync, and an undefine is
a bare unlink): the content is on disk before it replaces the old file, so a crash leaves the old
or the new definition whole; the rename reaches the disk with the file system's next commit.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Iterator
from pathlib import Path


def atomic_write(path: Path, text: str, mode: int = 0o600, *, durable: bool = True, sync_folder: bool = True) -> None:
    """Replace ``path`` with ``text`` so that readers see the old or the new content, whole;
    ``durable`` also waits until it is on disk (the rename too, unless not ``sync_folder``)."""
    # The temporary name is this thread's own (two writers never share one; what a dead process
    # left under its name is overwritten), hidden and not *.xml, so no loader takes it for a file.
    # Plain os calls: every define and state change writes one.
    temporary = f"{path.parent}/.{path.name}.{os.getpid()}.{threading.get_ident()}.tmp"
    flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW | os.O_CLOEXEC
    try:
        fd = os.open(temporary, flags, 0o600)
        try:
            os.fchmod(fd, mode)  # whatever the umask
            data = memoryview(text.encode())
            while data:
                data = data[os.write(fd, data) :]
            if durable:
                os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(temporary, path)  # noqa: PTH105 - no Path object built per write
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)  # noqa: PTH108
        raise
    if durable and sync_folder:
        fsync_dir(path.parent)


def fsync_dir(folder: Path) -> None:
    """Make a rename or an unlink in ``folder`` durable."""
    dir_fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def remove(path: Path, *, durable: bool = True) -> None:
    """Delete ``path`` if it exists (``durable``: and wait until that is on disk)."""
    try:
        path.unlink()
    except FileNotFoundError:
        return
    if durable:
        fsync_dir(path.parent)


@contextlib.contextmanager
def holding(thread_lock: threading.RLock, lock_file: Path) -> Iterator[None]:
    """Hold ``thread_lock`` and an exclusive ``flock`` on ``lock_file`` (made 0600 if missing):
    a service's changes, made by this process's threads and by other processes in turn."""
    import fcntl

    with thread_lock:
        fd = os.open(lock_file, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)

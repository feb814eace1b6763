"""The secret service's master key, and values sealed with it (AES-256-GCM, ``cryptography``).

A value at rest is ``base64(nonce || ciphertext+tag)`` with a fresh 96-bit nonce per write and
the secret's UUID as associated data, so that a sealed value copied to another secret's file does
not open. The key is 32 random bytes in a 0600 file of the service's state folder, made once
(two processes starting together agree on the first one written).
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import os
import threading
import uuid
from pathlib import Path

from virt.errors import ErrorDomain, ErrorNumber, libvirt_error

KEY_BYTES = 32
NONCE_BYTES = 12


def _error(detail: str) -> Exception:
    return libvirt_error(ErrorNumber.INTERNAL_ERROR, detail, ErrorDomain.SECRET)


def load_or_make(path: Path) -> bytes:
    """The key in ``path``, made (0600, durably) when there is none yet."""
    try:
        return _read(path)
    except FileNotFoundError:
        pass
    temporary = f"{path.parent}/.{path.name}.{os.getpid()}.{threading.get_ident()}.tmp"
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
    try:
        os.fchmod(fd, 0o600)
        os.write(fd, os.urandom(KEY_BYTES))
        os.fsync(fd)
    finally:
        os.close(fd)
    try:
        # a link never replaces: when another process made its key first, both use that one
        with contextlib.suppress(FileExistsError):
            os.link(temporary, path)
    finally:
        os.unlink(temporary)  # noqa: PTH108 - a path string made above, no Path object
    return _read(path)


def _read(path: Path) -> bytes:
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
    try:
        info = os.fstat(fd)
        if info.st_mode & 0o077:
            raise _error(f"secret master key '{path}' must be readable by its owner only")
        data = os.read(fd, KEY_BYTES + 1)
    finally:
        os.close(fd)
    if len(data) != KEY_BYTES:
        raise _error(f"secret master key '{path}' is not {KEY_BYTES} bytes long")
    return data


def seal(key: bytes, owner: uuid.UUID, value: bytes) -> str:
    """``value`` encrypted and authenticated for the secret ``owner``, as text for its file."""
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    nonce = os.urandom(NONCE_BYTES)
    return base64.b64encode(nonce + AESGCM(key).encrypt(nonce, value, owner.bytes)).decode() + "\n"


def unseal(key: bytes, owner: uuid.UUID, text: str) -> bytes:
    """The value ``seal`` sealed; INTERNAL_ERROR when the text was changed or is another secret's."""
    from cryptography.exceptions import InvalidTag
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    try:
        data = base64.b64decode(text.strip(), validate=True)
        if len(data) < NONCE_BYTES + 16:
            raise ValueError("too short")
        return AESGCM(key).decrypt(data[:NONCE_BYTES], data[NONCE_BYTES:], owner.bytes)
    except (ValueError, binascii.Error, InvalidTag):
        raise _error(f"cannot decrypt the value of secret '{owner}'") from None

"""TLS for virtd's 16514 listener: the server's certificate, client certificates always required and
verified against the CA, and the distinguished-name allow list (``tls.allowed_dn_list``)."""

from __future__ import annotations

import ssl
from collections.abc import Sequence
from fnmatch import fnmatchcase
from pathlib import Path

from virt.daemon.auth import Identity
from virt.daemon.config import TLSSettings
from virt.errors import ErrorDomain, ErrorNumber, VirtError


def tls_error(message: str) -> VirtError:
    return VirtError(message, ErrorNumber.GNUTLS_ERROR, ErrorDomain.RPC)


def server_context(settings: TLSSettings) -> ssl.SSLContext:
    """A server context that refuses every client without a certificate signed by ``ca_file``."""
    for what, path in (
        ("CA certificate (tls.ca_file)", settings.ca_file),
        ("server certificate (tls.cert_file)", settings.cert_file),
        ("server key (tls.key_file)", settings.key_file),
    ):
        _readable(what, path)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.verify_mode = ssl.CERT_REQUIRED
    # No TLS 1.3 session tickets: libvirt's client polls for the 0x01 byte right after the handshake
    # and takes a wake-up that brings only a ticket (GnuTLS then says EAGAIN) for a failure.
    context.num_tickets = 0
    try:
        context.load_cert_chain(settings.cert_file, settings.key_file)
    except ssl.SSLError as exc:
        raise tls_error(
            f"cannot use server certificate '{settings.cert_file}' with key '{settings.key_file}': {exc.reason or exc}"
        ) from exc
    try:
        context.load_verify_locations(cafile=settings.ca_file)
    except ssl.SSLError as exc:
        raise tls_error(f"cannot load CA certificate '{settings.ca_file}': {exc.reason or exc}") from exc
    return context


def _readable(what: str, path: Path) -> None:
    try:
        with open(path, "rb"):
            pass
    except OSError as exc:
        raise tls_error(f"Cannot read {what} '{path}': {exc.strerror}") from exc


def dn_allowed(identity: Identity, patterns: Sequence[str]) -> bool:
    """Whether a TLS peer's distinguished name matches ``patterns`` (any verified peer when empty)."""
    if not patterns:
        return True
    dname = identity.x509_dname
    return dname is not None and any(fnmatchcase(dname, pattern) for pattern in patterns)

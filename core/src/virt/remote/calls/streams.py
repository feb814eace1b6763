"""The procedures that open a stream: the call's reply comes first, then the data flows as STREAM
packets carrying the call's procedure and serial (virsh console, virsh screenshot, vol-upload and
vol-download)."""

from __future__ import annotations

from virt.remote import xdr
from virt.remote.message_types import NONNULL_DOMAIN, NONNULL_STORAGE_VOL, REMOTE_STRING, Procedure, call
from virt.remote.procedure_numbers import RemoteProcedure as P

_DOM = ("dom", NONNULL_DOMAIN)
_FLAGS = ("flags", xdr.UInt)

STREAM_PROCEDURES = frozenset(
    {P.DOMAIN_OPEN_CONSOLE, P.DOMAIN_SCREENSHOT, P.STORAGE_VOL_UPLOAD, P.STORAGE_VOL_DOWNLOAD}
)
"""Calls whose OK reply opens a stream on their serial."""

PROCEDURES: tuple[Procedure, ...] = (
    call(P.DOMAIN_OPEN_CONSOLE, [_DOM, ("dev_name", REMOTE_STRING), _FLAGS], write="virDomainOpenConsole"),
    call(
        P.DOMAIN_SCREENSHOT,
        [_DOM, ("screen", xdr.UInt), _FLAGS],
        [("mime", REMOTE_STRING)],
        write="virDomainScreenshot",
    ),
    # a volume's bytes, in (upload) or out (download): both change or read data, refused read-only
    call(
        P.STORAGE_VOL_UPLOAD,
        [("vol", NONNULL_STORAGE_VOL), ("offset", xdr.UHyper), ("length", xdr.UHyper), _FLAGS],
        write="virStorageVolUpload",
    ),
    call(
        P.STORAGE_VOL_DOWNLOAD,
        [("vol", NONNULL_STORAGE_VOL), ("offset", xdr.UHyper), ("length", xdr.UHyper), _FLAGS],
        write="virStorageVolDownload",
    ),
)

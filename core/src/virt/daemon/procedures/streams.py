"""The procedures that open a stream: a domain's console (virsh console), a screenshot of its
display (virsh screenshot), a volume's upload and download (virsh vol-upload, vol-download). The
handler gets the data from the API and hands it to the dispatcher as ``call.stream``; the stream
flows once the reply is out (virt.daemon.streams)."""

from __future__ import annotations

from typing import Any

from virt.daemon.streams import BytesSource, SocketSource, TransferSource
from virt.remote.procedure_numbers import RemoteProcedure as P

from . import wire
from .registry import Call, handles

# virDomainConsoleFlags: FORCE takes the console from another session; SAFE asks for exclusive
# access, which virt's drivers always give.
_CONSOLE_FORCE, _CONSOLE_SAFE = 1, 2
_SPARSE_STREAM = 1
"""VIR_STORAGE_VOL_DOWNLOAD_SPARSE_STREAM and VIR_STORAGE_VOL_UPLOAD_SPARSE_STREAM: holes pass as holes."""


@handles(P.DOMAIN_OPEN_CONSOLE)
def open_console(call: Call) -> None:
    flags = call.check_flags(_CONSOLE_FORCE | _CONSOLE_SAFE, "DomainOpenConsole")
    domain = wire.domain(call.conn, call.args["dom"])
    sock = domain.open_console(call.args["dev_name"], force=bool(flags & _CONSOLE_FORCE))
    call.stream = SocketSource(sock)


@handles(P.DOMAIN_SCREENSHOT)
def screenshot(call: Call) -> dict[str, Any]:
    call.check_flags(0, "DomainScreenshot")
    shot = wire.domain(call.conn, call.args["dom"]).screenshot(int(call.args["screen"]))
    call.stream = BytesSource(shot.data)
    return {"mime": shot.mime}


@handles(P.STORAGE_VOL_DOWNLOAD)
def vol_download(call: Call) -> None:
    flags = call.check_flags(_SPARSE_STREAM, "StorageVolDownload")
    volume = wire.storage_volume(call.conn, call.args["vol"])
    transfer = volume.download(int(call.args["offset"]), int(call.args["length"]))
    call.stream = TransferSource(transfer, sparse=bool(flags & _SPARSE_STREAM))


@handles(P.STORAGE_VOL_UPLOAD)
def vol_upload(call: Call) -> None:
    flags = call.check_flags(_SPARSE_STREAM, "StorageVolUpload")
    volume = wire.storage_volume(call.conn, call.args["vol"])
    transfer = volume.upload(int(call.args["offset"]), int(call.args["length"]))
    call.stream = TransferSource(transfer, sparse=bool(flags & _SPARSE_STREAM))

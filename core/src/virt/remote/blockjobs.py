"""The block job calls of remote connections (a mixin of RemoteConnection): virDomainBlockCopy,
BlockRebase, BlockCommit, BlockPull, BlockResize, GetBlockJobInfo, BlockJobAbort and
BlockJobSetSpeed, as libvirt's remote driver makes them."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from virt.remote.messages import RemoteProcedure as P

if TYPE_CHECKING:
    from virt.blockjobs import BlockJobInfo
    from virt.domainstats import TypedParameter
    from virt.driver import DomainRef


class RemoteBlockJobs:
    """virDomainBlock* over the wire."""

    if TYPE_CHECKING:

        def _call(self, number: int, args: dict[str, Any] | None = None) -> Any: ...

    @staticmethod
    def _dom(ref: DomainRef) -> dict[str, Any]:
        from virt.remote.connection import _domain_arg

        return _domain_arg(ref)

    def get_domain_block_job_info(self, ref: DomainRef, disk: str, flags: int) -> BlockJobInfo | None:
        from virt.blockjobs import BlockJobInfo

        ret = self._call(P.DOMAIN_GET_BLOCK_JOB_INFO, {"dom": self._dom(ref), "path": disk, "flags": flags})
        if not ret["found"]:
            return None
        return BlockJobInfo(int(ret["type"]), int(ret["bandwidth"]), int(ret["cur"]), int(ret["end"]))

    def abort_domain_block_job(self, ref: DomainRef, disk: str, flags: int) -> None:
        self._call(P.DOMAIN_BLOCK_JOB_ABORT, {"dom": self._dom(ref), "path": disk, "flags": flags})

    def set_domain_block_job_speed(self, ref: DomainRef, disk: str, bandwidth: int, flags: int) -> None:
        args = {"dom": self._dom(ref), "path": disk, "bandwidth": bandwidth, "flags": flags}
        self._call(P.DOMAIN_BLOCK_JOB_SET_SPEED, args)

    def pull_domain_block(self, ref: DomainRef, disk: str, bandwidth: int, flags: int) -> None:
        args = {"dom": self._dom(ref), "path": disk, "bandwidth": bandwidth, "flags": flags}
        self._call(P.DOMAIN_BLOCK_PULL, args)

    def rebase_domain_block(self, ref: DomainRef, disk: str, base: str | None, bandwidth: int, flags: int) -> None:
        args = {"dom": self._dom(ref), "path": disk, "base": base, "bandwidth": bandwidth, "flags": flags}
        self._call(P.DOMAIN_BLOCK_REBASE, args)

    def copy_domain_block(
        self, ref: DomainRef, disk: str, destxml: str, params: Sequence[TypedParameter], flags: int
    ) -> None:
        from virt.remote.typedparams import to_wire

        args = {"dom": self._dom(ref), "path": disk, "destxml": destxml, "params": to_wire(params), "flags": flags}
        self._call(P.DOMAIN_BLOCK_COPY, args)

    def commit_domain_block(
        self, ref: DomainRef, disk: str, base: str | None, top: str | None, bandwidth: int, flags: int
    ) -> None:
        args = {"dom": self._dom(ref), "disk": disk, "base": base, "top": top, "bandwidth": bandwidth, "flags": flags}
        self._call(P.DOMAIN_BLOCK_COMMIT, args)

    def resize_domain_block(self, ref: DomainRef, disk: str, size: int, flags: int) -> None:
        self._call(P.DOMAIN_BLOCK_RESIZE, {"dom": self._dom(ref), "disk": disk, "size": size, "flags": flags})

"""The migration calls of a remote connection (a mixin of RemoteConnection): protocol v3 with typed
parameters and the running migration's tunables, as libvirt's remote driver sends them."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from virt.remote.procedure_numbers import RemoteProcedure as P
from virt.remote.typedparams import to_wire

if TYPE_CHECKING:
    from virt.driver import DomainRef
    from virt.migration import MigrateFlags, MigrationParams

_MAX_SPEED_POSTCOPY = 1  # VIR_DOMAIN_MIGRATE_MAX_SPEED_POSTCOPY


def _dom(ref: DomainRef) -> dict[str, Any]:
    return {"name": ref.name, "uuid": ref.uuid, "id": ref.id}


def _params(params: MigrationParams) -> list[dict[str, Any]]:
    return to_wire(params.typed())


class RemoteMigration:
    """virDomainMigrate*3Params and virDomainMigrate{Set,Get}* through the daemon."""

    if TYPE_CHECKING:

        def _call(self, number: int, args: dict[str, Any] | None = None) -> Any: ...

    def migrate_begin(self, ref: DomainRef, params: MigrationParams, flags: MigrateFlags) -> tuple[bytes, str]:
        ret = self._call(
            P.DOMAIN_MIGRATE_BEGIN3_PARAMS, {"dom": _dom(ref), "params": _params(params), "flags": int(flags)}
        )
        return bytes(ret["cookie_out"]), str(ret["xml"])

    def migrate_prepare(self, cookie: bytes, params: MigrationParams, flags: MigrateFlags) -> tuple[bytes, str | None]:
        ret = self._call(
            P.DOMAIN_MIGRATE_PREPARE3_PARAMS, {"params": _params(params), "cookie_in": cookie, "flags": int(flags)}
        )
        return bytes(ret["cookie_out"]), ret["uri_out"]

    def migrate_perform(
        self, ref: DomainRef, dconnuri: str | None, params: MigrationParams, cookie: bytes, flags: MigrateFlags
    ) -> bytes:
        ret = self._call(
            P.DOMAIN_MIGRATE_PERFORM3_PARAMS,
            {
                "dom": _dom(ref),
                "dconnuri": dconnuri,
                "params": _params(params),
                "cookie_in": cookie,
                "flags": int(flags),
            },
        )
        return bytes(ret["cookie_out"])

    def migrate_finish(
        self, params: MigrationParams, cookie: bytes, flags: MigrateFlags, cancelled: bool
    ) -> tuple[DomainRef | None, bytes]:
        from virt.driver import DomainRef

        ret = self._call(
            P.DOMAIN_MIGRATE_FINISH3_PARAMS,
            {"params": _params(params), "cookie_in": cookie, "flags": int(flags), "cancelled": int(cancelled)},
        )
        dom = ret["dom"]
        return DomainRef(dom["name"], dom["uuid"], dom["id"]), bytes(ret["cookie_out"])

    def migrate_confirm(
        self, ref: DomainRef, params: MigrationParams, cookie: bytes, flags: MigrateFlags, cancelled: bool
    ) -> None:
        self._call(
            P.DOMAIN_MIGRATE_CONFIRM3_PARAMS,
            {
                "dom": _dom(ref),
                "params": _params(params),
                "cookie_in": cookie,
                "flags": int(flags),
                "cancelled": int(cancelled),
            },
        )

    def abort_domain_job(self, ref: DomainRef) -> None:
        self._call(P.DOMAIN_ABORT_JOB, {"dom": _dom(ref)})

    def migrate_set_max_speed(self, ref: DomainRef, bandwidth: int, *, postcopy: bool = False) -> None:
        flags = _MAX_SPEED_POSTCOPY if postcopy else 0
        self._call(P.DOMAIN_MIGRATE_SET_MAX_SPEED, {"dom": _dom(ref), "bandwidth": bandwidth, "flags": flags})

    def migrate_get_max_speed(self, ref: DomainRef, *, postcopy: bool = False) -> int:
        flags = _MAX_SPEED_POSTCOPY if postcopy else 0
        return int(self._call(P.DOMAIN_MIGRATE_GET_MAX_SPEED, {"dom": _dom(ref), "flags": flags})["bandwidth"])

    def migrate_set_max_downtime(self, ref: DomainRef, milliseconds: int) -> None:
        self._call(P.DOMAIN_MIGRATE_SET_MAX_DOWNTIME, {"dom": _dom(ref), "downtime": milliseconds, "flags": 0})

    def migrate_get_max_downtime(self, ref: DomainRef) -> int:
        return int(self._call(P.DOMAIN_MIGRATE_GET_MAX_DOWNTIME, {"dom": _dom(ref), "flags": 0})["downtime"])

    def migrate_set_compression_cache(self, ref: DomainRef, size: int) -> None:
        self._call(P.DOMAIN_MIGRATE_SET_COMPRESSION_CACHE, {"dom": _dom(ref), "cacheSize": size, "flags": 0})

    def migrate_get_compression_cache(self, ref: DomainRef) -> int:
        return int(self._call(P.DOMAIN_MIGRATE_GET_COMPRESSION_CACHE, {"dom": _dom(ref), "flags": 0})["cacheSize"])

    def migrate_start_post_copy(self, ref: DomainRef) -> None:
        self._call(P.DOMAIN_MIGRATE_START_POST_COPY, {"dom": _dom(ref), "flags": 0})


__all__ = ["RemoteMigration"]

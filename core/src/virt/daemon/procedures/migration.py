"""Migration procedures: protocol v3 (plain and with typed parameters) between two hosts, and the
running migration's tunables (migrate-setspeed, migrate-setmaxdowntime, migrate-compcache,
migrate-postcopy, domjobabort).

The plain v3 calls carry the few parameters of their time as arguments (xmlin, dname, resource,
uri): they are turned into the typed parameters the driver takes. The dispatcher takes no job lock
for perform and the tunables (``dispatch._JOB_FREE``): a migration runs for long, and libvirt lets
a client abort it, change its speed or suspend the guest meanwhile.
"""

from __future__ import annotations

from typing import Any

from virt.connection import Domain
from virt.driver import DomainRef
from virt.migration import MigrateFlags, MigrateMaxSpeedFlags, MigrationParams
from virt.remote.procedure_numbers import RemoteProcedure as P
from virt.remote.typedparams import from_wire

from . import wire
from .registry import Call, handles

_ALL_FLAGS = int(sum(MigrateFlags))


def _domain(call: Call) -> Domain:
    return wire.domain(call.conn, call.args["dom"])


def _ref(call: Call) -> DomainRef:
    return _domain(call).ref


def _params(call: Call) -> MigrationParams:
    return MigrationParams.from_typed(from_wire(call.args["params"]))


def _flags(call: Call, function: str) -> MigrateFlags:
    return MigrateFlags(call.check_flags(_ALL_FLAGS, function))


def _plain(call: Call, *, dest_xml: str | None = None, uri: str | None = None) -> MigrationParams:
    """The typed parameters the plain v3 calls' arguments stand for."""
    resource = int(call.args.get("resource") or 0)
    return MigrationParams(
        uri=uri,
        dest_name=call.args.get("dname"),
        dest_xml=dest_xml,
        bandwidth=resource or None,
    )


def _finished(call: Call, ref: DomainRef | None, cookie: bytes) -> dict[str, Any]:
    if ref is None:
        from virt.errors import ErrorNumber, VirtError

        raise VirtError("operation failed: migration finished without a domain", ErrorNumber.OPERATION_FAILED)
    return {"dom": wire.wire_domain(ref), "cookie_out": cookie}


# -- protocol v3 with parameters ---------------------------------------------------------------------------
@handles(P.DOMAIN_MIGRATE_BEGIN3_PARAMS)
def begin3_params(call: Call) -> dict[str, Any]:
    flags = _flags(call, "DomainMigrateBegin3Params")
    cookie, xml = call.conn.driver.migrate_begin(_ref(call), _params(call), flags)
    return {"cookie_out": cookie, "xml": xml}


@handles(P.DOMAIN_MIGRATE_PREPARE3_PARAMS)
def prepare3_params(call: Call) -> dict[str, Any]:
    flags = _flags(call, "DomainMigratePrepare3Params")
    cookie, uri = call.conn.driver.migrate_prepare(bytes(call.args["cookie_in"]), _params(call), flags)
    return {"cookie_out": cookie, "uri_out": uri}


@handles(P.DOMAIN_MIGRATE_PERFORM3_PARAMS)
def perform3_params(call: Call) -> dict[str, Any]:
    flags = _flags(call, "DomainMigratePerform3Params")
    cookie = call.conn.driver.migrate_perform(
        _ref(call), call.args["dconnuri"], _params(call), bytes(call.args["cookie_in"]), flags
    )
    return {"cookie_out": cookie}


@handles(P.DOMAIN_MIGRATE_FINISH3_PARAMS)
def finish3_params(call: Call) -> dict[str, Any]:
    flags = _flags(call, "DomainMigrateFinish3Params")
    ref, cookie = call.conn.driver.migrate_finish(
        _params(call), bytes(call.args["cookie_in"]), flags, bool(call.args["cancelled"])
    )
    return _finished(call, ref, cookie)


@handles(P.DOMAIN_MIGRATE_CONFIRM3_PARAMS)
def confirm3_params(call: Call) -> None:
    flags = _flags(call, "DomainMigrateConfirm3Params")
    call.conn.driver.migrate_confirm(
        _ref(call), _params(call), bytes(call.args["cookie_in"]), flags, bool(call.args["cancelled"])
    )


# -- protocol v3, plain ------------------------------------------------------------------------------------
@handles(P.DOMAIN_MIGRATE_BEGIN3)
def begin3(call: Call) -> dict[str, Any]:
    flags = _flags(call, "DomainMigrateBegin3")
    cookie, xml = call.conn.driver.migrate_begin(_ref(call), _plain(call, dest_xml=call.args["xmlin"]), flags)
    return {"cookie_out": cookie, "xml": xml}


@handles(P.DOMAIN_MIGRATE_PREPARE3)
def prepare3(call: Call) -> dict[str, Any]:
    flags = _flags(call, "DomainMigratePrepare3")
    params = _plain(call, dest_xml=call.args["dom_xml"], uri=call.args["uri_in"])
    cookie, uri = call.conn.driver.migrate_prepare(bytes(call.args["cookie_in"]), params, flags)
    return {"cookie_out": cookie, "uri_out": uri}


@handles(P.DOMAIN_MIGRATE_PERFORM3)
def perform3(call: Call) -> dict[str, Any]:
    flags = _flags(call, "DomainMigratePerform3")
    params = _plain(call, dest_xml=call.args["xmlin"], uri=call.args["uri"])
    cookie = call.conn.driver.migrate_perform(
        _ref(call), call.args["dconnuri"], params, bytes(call.args["cookie_in"]), flags
    )
    return {"cookie_out": cookie}


@handles(P.DOMAIN_MIGRATE_FINISH3)
def finish3(call: Call) -> dict[str, Any]:
    flags = _flags(call, "DomainMigrateFinish3")
    params = MigrationParams(dest_name=call.args["dname"], uri=call.args["uri"])
    ref, cookie = call.conn.driver.migrate_finish(
        params, bytes(call.args["cookie_in"]), flags, bool(call.args["cancelled"])
    )
    return _finished(call, ref, cookie)


@handles(P.DOMAIN_MIGRATE_CONFIRM3)
def confirm3(call: Call) -> None:
    flags = _flags(call, "DomainMigrateConfirm3")
    call.conn.driver.migrate_confirm(
        _ref(call), MigrationParams(), bytes(call.args["cookie_in"]), flags, bool(call.args["cancelled"])
    )


# -- the running migration ---------------------------------------------------------------------------------
@handles(P.DOMAIN_ABORT_JOB)
def abort_job(call: Call) -> None:
    _domain(call).abort_job()


@handles(P.DOMAIN_MIGRATE_SET_MAX_SPEED)
def set_max_speed(call: Call) -> None:
    flags = call.check_flags(int(MigrateMaxSpeedFlags.POSTCOPY), "DomainMigrateSetMaxSpeed")
    _domain(call).migrate_set_max_speed(int(call.args["bandwidth"]), postcopy=bool(flags))


@handles(P.DOMAIN_MIGRATE_GET_MAX_SPEED)
def get_max_speed(call: Call) -> dict[str, Any]:
    flags = call.check_flags(int(MigrateMaxSpeedFlags.POSTCOPY), "DomainMigrateGetMaxSpeed")
    return {"bandwidth": _domain(call).migrate_get_max_speed(postcopy=bool(flags))}


@handles(P.DOMAIN_MIGRATE_SET_MAX_DOWNTIME)
def set_max_downtime(call: Call) -> None:
    call.check_flags(0, "DomainMigrateSetMaxDowntime")
    _domain(call).migrate_set_max_downtime(int(call.args["downtime"]))


@handles(P.DOMAIN_MIGRATE_GET_MAX_DOWNTIME)
def get_max_downtime(call: Call) -> dict[str, Any]:
    call.check_flags(0, "DomainMigrateGetMaxDowntime")
    return {"downtime": _domain(call).migrate_get_max_downtime()}


@handles(P.DOMAIN_MIGRATE_SET_COMPRESSION_CACHE)
def set_compression_cache(call: Call) -> None:
    call.check_flags(0, "DomainMigrateSetCompressionCache")
    _domain(call).migrate_set_compression_cache(int(call.args["cacheSize"]))


@handles(P.DOMAIN_MIGRATE_GET_COMPRESSION_CACHE)
def get_compression_cache(call: Call) -> dict[str, Any]:
    call.check_flags(0, "DomainMigrateGetCompressionCache")
    return {"cacheSize": _domain(call).migrate_get_compression_cache()}


@handles(P.DOMAIN_MIGRATE_START_POST_COPY)
def start_post_copy(call: Call) -> None:
    call.check_flags(0, "DomainMigrateStartPostCopy")
    _domain(call).migrate_start_post_copy()

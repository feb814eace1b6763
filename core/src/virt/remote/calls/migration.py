"""Migration procedures: protocol v3 (begin, prepare, perform, finish, confirm) in its plain and
typed-parameter forms, and the tunables of a running migration (virsh migrate, migrate-setspeed,
migrate-setmaxdowntime, migrate-compcache, migrate-postcopy)."""

from __future__ import annotations

from virt.remote import xdr
from virt.remote.message_types import (
    MIGRATE_COOKIE_MAX,
    NONNULL_DOMAIN,
    NONNULL_STRING,
    REMOTE_STRING,
    Procedure,
    call,
    typed_params,
)
from virt.remote.procedure_numbers import RemoteProcedure as P

DOMAIN_MIGRATE_PARAM_LIST_MAX = 64
"""REMOTE_DOMAIN_MIGRATE_PARAM_LIST_MAX."""

_DOM = ("dom", NONNULL_DOMAIN)
_FLAGS = ("flags", xdr.UInt)
_FLAGS64 = ("flags", xdr.UHyper)  # the plain v3 calls carry unsigned long flags
_PARAMS = ("params", typed_params(DOMAIN_MIGRATE_PARAM_LIST_MAX))
_COOKIE_IN = ("cookie_in", xdr.Opaque(MIGRATE_COOKIE_MAX))
_COOKIE_OUT = ("cookie_out", xdr.Opaque(MIGRATE_COOKIE_MAX))
_CANCELLED = ("cancelled", xdr.Int)
_DNAME = ("dname", REMOTE_STRING)
_RESOURCE = ("resource", xdr.UHyper)


PROCEDURES: tuple[Procedure, ...] = (
    # Protocol v3, plain.
    call(
        P.DOMAIN_MIGRATE_BEGIN3,
        [_DOM, ("xmlin", REMOTE_STRING), _FLAGS64, _DNAME, _RESOURCE],
        [_COOKIE_OUT, ("xml", NONNULL_STRING)],
        write="virDomainMigrateBegin3",
    ),
    call(
        P.DOMAIN_MIGRATE_PREPARE3,
        [_COOKIE_IN, ("uri_in", REMOTE_STRING), _FLAGS64, _DNAME, _RESOURCE, ("dom_xml", NONNULL_STRING)],
        [_COOKIE_OUT, ("uri_out", REMOTE_STRING)],
        write="virDomainMigratePrepare3",
    ),
    call(
        P.DOMAIN_MIGRATE_PERFORM3,
        [
            _DOM,
            ("xmlin", REMOTE_STRING),
            _COOKIE_IN,
            ("dconnuri", REMOTE_STRING),
            ("uri", REMOTE_STRING),
            _FLAGS64,
            _DNAME,
            _RESOURCE,
        ],
        [_COOKIE_OUT],
        write="virDomainMigratePerform3",
    ),
    call(
        P.DOMAIN_MIGRATE_FINISH3,
        [
            ("dname", NONNULL_STRING),
            _COOKIE_IN,
            ("dconnuri", REMOTE_STRING),
            ("uri", REMOTE_STRING),
            _FLAGS64,
            _CANCELLED,
        ],
        [_DOM, _COOKIE_OUT],
        write="virDomainMigrateFinish3",
    ),
    call(P.DOMAIN_MIGRATE_CONFIRM3, [_DOM, _COOKIE_IN, _FLAGS64, _CANCELLED], write="virDomainMigrateConfirm3"),
    # Protocol v3 with typed parameters.
    call(
        P.DOMAIN_MIGRATE_BEGIN3_PARAMS,
        [_DOM, _PARAMS, _FLAGS],
        [_COOKIE_OUT, ("xml", NONNULL_STRING)],
        write="virDomainMigrateBegin3Params",
    ),
    call(
        P.DOMAIN_MIGRATE_PREPARE3_PARAMS,
        [_PARAMS, _COOKIE_IN, _FLAGS],
        [_COOKIE_OUT, ("uri_out", REMOTE_STRING)],
        write="virDomainMigratePrepare3Params",
    ),
    call(
        P.DOMAIN_MIGRATE_PERFORM3_PARAMS,
        [_DOM, ("dconnuri", REMOTE_STRING), _PARAMS, _COOKIE_IN, _FLAGS],
        [_COOKIE_OUT],
        write="virDomainMigratePerform3Params",
    ),
    call(
        P.DOMAIN_MIGRATE_FINISH3_PARAMS,
        [_PARAMS, _COOKIE_IN, _FLAGS, _CANCELLED],
        [_DOM, _COOKIE_OUT],
        write="virDomainMigrateFinish3Params",
    ),
    call(
        P.DOMAIN_MIGRATE_CONFIRM3_PARAMS,
        [_DOM, _PARAMS, _COOKIE_IN, _FLAGS, _CANCELLED],
        write="virDomainMigrateConfirm3Params",
    ),
    # The running migration's tunables.
    call(
        P.DOMAIN_MIGRATE_SET_MAX_DOWNTIME,
        [_DOM, ("downtime", xdr.UHyper), _FLAGS],
        write="virDomainMigrateSetMaxDowntime",
    ),
    call(P.DOMAIN_MIGRATE_GET_MAX_DOWNTIME, [_DOM, _FLAGS], [("downtime", xdr.UHyper)]),
    call(
        P.DOMAIN_MIGRATE_SET_MAX_SPEED,
        [_DOM, ("bandwidth", xdr.UHyper), _FLAGS],
        write="virDomainMigrateSetMaxSpeed",
    ),
    # libvirt keeps the speed from read-only clients, not the downtime nor the cache size
    call(
        P.DOMAIN_MIGRATE_GET_MAX_SPEED, [_DOM, _FLAGS], [("bandwidth", xdr.UHyper)], write="virDomainMigrateGetMaxSpeed"
    ),
    call(P.DOMAIN_MIGRATE_GET_COMPRESSION_CACHE, [_DOM, _FLAGS], [("cacheSize", xdr.UHyper)]),
    call(
        P.DOMAIN_MIGRATE_SET_COMPRESSION_CACHE,
        [_DOM, ("cacheSize", xdr.UHyper), _FLAGS],
        write="virDomainMigrateSetCompressionCache",
    ),
    call(P.DOMAIN_MIGRATE_START_POST_COPY, [_DOM, _FLAGS], write="virDomainMigrateStartPostCopy"),
)

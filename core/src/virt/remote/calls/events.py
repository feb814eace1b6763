"""Event registration calls and the event messages the server sends.

Two generations coexist: the old per-connection messages (DOMAIN_EVENT_LIFECYCLE...) answer
CONNECT_DOMAIN_EVENT_REGISTER(_ANY); the callback ones (DOMAIN_EVENT_CALLBACK_*, carrying the
callbackID CONNECT_DOMAIN_EVENT_CALLBACK_REGISTER_ANY returned) are what current clients ask for.
Network, storage pool and node device events only exist in the callback form.
"""

from __future__ import annotations

from typing import Any

from virt.remote import xdr
from virt.remote.message_types import (
    DOMAIN_EVENT_GRAPHICS_IDENTITY_MAX,
    DOMAIN_EVENT_TUNABLE_MAX,
    DOMAIN_JOB_STATS_MAX,
    NONNULL_DOMAIN,
    NONNULL_NETWORK,
    NONNULL_NODE_DEVICE,
    NONNULL_SECRET,
    NONNULL_STORAGE_POOL,
    NONNULL_STRING,
    REMOTE_DOMAIN,
    REMOTE_NETWORK,
    REMOTE_NODE_DEVICE,
    REMOTE_STORAGE_POOL,
    REMOTE_STRING,
    Fields,
    Procedure,
    call,
    message,
    typed_params,
)
from virt.remote.procedure_numbers import RemoteProcedure as P

_DOM = ("dom", NONNULL_DOMAIN)
_CALLBACK_ID = ("callbackID", xdr.Int)
_REGISTERED = [("cb_registered", xdr.Int)]

_GRAPHICS_ADDRESS = xdr.Struct(
    "remote_domain_event_graphics_address",
    ("family", xdr.Int),
    ("node", NONNULL_STRING),
    ("service", NONNULL_STRING),
)
_GRAPHICS_IDENTITY = xdr.Struct(
    "remote_domain_event_graphics_identity", ("type", NONNULL_STRING), ("name", NONNULL_STRING)
)

# The domain events that exist in both forms: (old message, callback message, the old payload).
# A callback message wraps the old payload as {"callbackID": int, "msg": {...}}.
_DUAL_FORM: tuple[tuple[P, P, Fields], ...] = (
    (P.DOMAIN_EVENT_LIFECYCLE, P.DOMAIN_EVENT_CALLBACK_LIFECYCLE, [_DOM, ("event", xdr.Int), ("detail", xdr.Int)]),
    (P.DOMAIN_EVENT_REBOOT, P.DOMAIN_EVENT_CALLBACK_REBOOT, [_DOM]),
    (P.DOMAIN_EVENT_RTC_CHANGE, P.DOMAIN_EVENT_CALLBACK_RTC_CHANGE, [_DOM, ("offset", xdr.Hyper)]),
    (P.DOMAIN_EVENT_WATCHDOG, P.DOMAIN_EVENT_CALLBACK_WATCHDOG, [_DOM, ("action", xdr.Int)]),
    (
        P.DOMAIN_EVENT_IO_ERROR,
        P.DOMAIN_EVENT_CALLBACK_IO_ERROR,
        [_DOM, ("srcPath", NONNULL_STRING), ("devAlias", NONNULL_STRING), ("action", xdr.Int)],
    ),
    (
        P.DOMAIN_EVENT_IO_ERROR_REASON,
        P.DOMAIN_EVENT_CALLBACK_IO_ERROR_REASON,
        [
            _DOM,
            ("srcPath", NONNULL_STRING),
            ("devAlias", NONNULL_STRING),
            ("action", xdr.Int),
            ("reason", NONNULL_STRING),
        ],
    ),
    (
        P.DOMAIN_EVENT_GRAPHICS,
        P.DOMAIN_EVENT_CALLBACK_GRAPHICS,
        [
            _DOM,
            ("phase", xdr.Int),
            ("local", _GRAPHICS_ADDRESS),
            ("remote", _GRAPHICS_ADDRESS),
            ("authScheme", NONNULL_STRING),
            ("subject", xdr.Array(_GRAPHICS_IDENTITY, DOMAIN_EVENT_GRAPHICS_IDENTITY_MAX)),
        ],
    ),
    (P.DOMAIN_EVENT_CONTROL_ERROR, P.DOMAIN_EVENT_CALLBACK_CONTROL_ERROR, [_DOM]),
    (
        P.DOMAIN_EVENT_BLOCK_JOB,
        P.DOMAIN_EVENT_CALLBACK_BLOCK_JOB,
        [_DOM, ("path", NONNULL_STRING), ("type", xdr.Int), ("status", xdr.Int)],
    ),
    (
        P.DOMAIN_EVENT_DISK_CHANGE,
        P.DOMAIN_EVENT_CALLBACK_DISK_CHANGE,
        [
            _DOM,
            ("oldSrcPath", REMOTE_STRING),
            ("newSrcPath", REMOTE_STRING),
            ("devAlias", NONNULL_STRING),
            ("reason", xdr.Int),
        ],
    ),
    (
        P.DOMAIN_EVENT_TRAY_CHANGE,
        P.DOMAIN_EVENT_CALLBACK_TRAY_CHANGE,
        [_DOM, ("devAlias", NONNULL_STRING), ("reason", xdr.Int)],
    ),
    (P.DOMAIN_EVENT_BALLOON_CHANGE, P.DOMAIN_EVENT_CALLBACK_BALLOON_CHANGE, [_DOM, ("actual", xdr.UHyper)]),
    (
        P.DOMAIN_EVENT_DEVICE_REMOVED,
        P.DOMAIN_EVENT_CALLBACK_DEVICE_REMOVED,
        [_DOM, ("devAlias", NONNULL_STRING)],
    ),
)

# Power-management events: the callback form puts a reason between the id and the old payload.
_DUAL_FORM_WITH_REASON: tuple[tuple[P, P], ...] = (
    (P.DOMAIN_EVENT_PMWAKEUP, P.DOMAIN_EVENT_CALLBACK_PMWAKEUP),
    (P.DOMAIN_EVENT_PMSUSPEND, P.DOMAIN_EVENT_CALLBACK_PMSUSPEND),
    (P.DOMAIN_EVENT_PMSUSPEND_DISK, P.DOMAIN_EVENT_CALLBACK_PMSUSPEND_DISK),
)


def _dual(old: P, new: P, payload: Fields, *, reason: bool = False) -> tuple[Procedure, Procedure]:
    plain = message(old, payload)
    wrapped: list[tuple[str, xdr.Codec[Any]]] = [_CALLBACK_ID]
    if reason:
        wrapped.append(("reason", xdr.Int))
    wrapped.append(("msg", plain.args))
    return plain, message(new, wrapped)


_DOMAIN_EVENTS = tuple(
    procedure
    for pair in (
        *(_dual(old, new, payload) for old, new, payload in _DUAL_FORM),
        *(_dual(old, new, [_DOM], reason=True) for old, new in _DUAL_FORM_WITH_REASON),
    )
    for procedure in pair
)

PROCEDURES: tuple[Procedure, ...] = (
    # Registration. Old style: one registration per event id and connection.
    call(P.CONNECT_DOMAIN_EVENT_REGISTER, None, _REGISTERED),
    call(P.CONNECT_DOMAIN_EVENT_DEREGISTER, None, _REGISTERED),
    call(P.CONNECT_DOMAIN_EVENT_REGISTER_ANY, [("eventID", xdr.Int)]),
    call(P.CONNECT_DOMAIN_EVENT_DEREGISTER_ANY, [("eventID", xdr.Int)]),
    # Callback style: the server hands out a callbackID that tags every message.
    call(P.CONNECT_DOMAIN_EVENT_CALLBACK_REGISTER_ANY, [("eventID", xdr.Int), ("dom", REMOTE_DOMAIN)], [_CALLBACK_ID]),
    call(P.CONNECT_DOMAIN_EVENT_CALLBACK_DEREGISTER_ANY, [_CALLBACK_ID]),
    call(P.CONNECT_NETWORK_EVENT_REGISTER_ANY, [("eventID", xdr.Int), ("net", REMOTE_NETWORK)], [_CALLBACK_ID]),
    call(P.CONNECT_NETWORK_EVENT_DEREGISTER_ANY, [_CALLBACK_ID]),
    call(
        P.CONNECT_STORAGE_POOL_EVENT_REGISTER_ANY,
        [("eventID", xdr.Int), ("pool", REMOTE_STORAGE_POOL)],
        [_CALLBACK_ID],
    ),
    call(P.CONNECT_STORAGE_POOL_EVENT_DEREGISTER_ANY, [_CALLBACK_ID]),
    call(
        P.CONNECT_NODE_DEVICE_EVENT_REGISTER_ANY,
        [("eventID", xdr.Int), ("dev", REMOTE_NODE_DEVICE)],
        [_CALLBACK_ID],
    ),
    call(P.CONNECT_NODE_DEVICE_EVENT_DEREGISTER_ANY, [_CALLBACK_ID]),
    # Messages.
    *_DOMAIN_EVENTS,
    message(
        P.DOMAIN_EVENT_BLOCK_JOB_2,
        [_CALLBACK_ID, _DOM, ("dst", NONNULL_STRING), ("type", xdr.Int), ("status", xdr.Int)],
    ),
    message(P.DOMAIN_EVENT_CALLBACK_TUNABLE, [_CALLBACK_ID, _DOM, ("params", typed_params(DOMAIN_EVENT_TUNABLE_MAX))]),
    message(
        P.DOMAIN_EVENT_CALLBACK_AGENT_LIFECYCLE,
        [_CALLBACK_ID, _DOM, ("state", xdr.Int), ("reason", xdr.Int)],
    ),
    message(P.DOMAIN_EVENT_CALLBACK_DEVICE_ADDED, [_CALLBACK_ID, _DOM, ("devAlias", NONNULL_STRING)]),
    message(P.DOMAIN_EVENT_CALLBACK_MIGRATION_ITERATION, [_CALLBACK_ID, _DOM, ("iteration", xdr.Int)]),
    message(
        P.DOMAIN_EVENT_CALLBACK_JOB_COMPLETED,
        [_CALLBACK_ID, _DOM, ("params", typed_params(DOMAIN_JOB_STATS_MAX))],
    ),
    message(P.DOMAIN_EVENT_CALLBACK_DEVICE_REMOVAL_FAILED, [_CALLBACK_ID, _DOM, ("devAlias", NONNULL_STRING)]),
    message(P.DOMAIN_EVENT_CALLBACK_METADATA_CHANGE, [_CALLBACK_ID, _DOM, ("type", xdr.Int), ("nsuri", REMOTE_STRING)]),
    message(
        P.DOMAIN_EVENT_BLOCK_THRESHOLD,
        [
            _CALLBACK_ID,
            _DOM,
            ("dev", NONNULL_STRING),
            ("path", REMOTE_STRING),
            ("threshold", xdr.UHyper),
            ("excess", xdr.UHyper),
        ],
    ),
    message(
        P.DOMAIN_EVENT_MEMORY_FAILURE,
        [_CALLBACK_ID, _DOM, ("recipient", xdr.Int), ("action", xdr.Int), ("flags", xdr.UInt)],
    ),
    message(
        P.DOMAIN_EVENT_MEMORY_DEVICE_SIZE_CHANGE,
        [_CALLBACK_ID, _DOM, ("alias", NONNULL_STRING), ("size", xdr.UHyper)],
    ),
    message(P.CONNECT_EVENT_CONNECTION_CLOSED, [("reason", xdr.Int)]),
    message(
        P.NETWORK_EVENT_LIFECYCLE,
        [_CALLBACK_ID, ("net", NONNULL_NETWORK), ("event", xdr.Int), ("detail", xdr.Int)],
    ),
    message(
        P.STORAGE_POOL_EVENT_LIFECYCLE,
        [_CALLBACK_ID, ("pool", NONNULL_STORAGE_POOL), ("event", xdr.Int), ("detail", xdr.Int)],
    ),
    message(P.STORAGE_POOL_EVENT_REFRESH, [_CALLBACK_ID, ("pool", NONNULL_STORAGE_POOL)]),
    message(
        P.NODE_DEVICE_EVENT_LIFECYCLE,
        [_CALLBACK_ID, ("dev", NONNULL_NODE_DEVICE), ("event", xdr.Int), ("detail", xdr.Int)],
    ),
    message(P.NODE_DEVICE_EVENT_UPDATE, [_CALLBACK_ID, ("dev", NONNULL_NODE_DEVICE)]),
    # -- secrets (virt.secrets) --
    call(
        P.CONNECT_SECRET_EVENT_REGISTER_ANY,
        [("eventID", xdr.Int), ("secret", xdr.Optional(NONNULL_SECRET))],
        [_CALLBACK_ID],
    ),
    call(P.CONNECT_SECRET_EVENT_DEREGISTER_ANY, [_CALLBACK_ID]),
    message(
        P.SECRET_EVENT_LIFECYCLE,
        [_CALLBACK_ID, ("secret", NONNULL_SECRET), ("event", xdr.Int), ("detail", xdr.Int)],
    ),
    message(P.SECRET_EVENT_VALUE_CHANGED, [_CALLBACK_ID, ("secret", NONNULL_SECRET)]),
    # -- end of secrets --
)

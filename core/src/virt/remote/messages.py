"""The REMOTE program's procedures: number, name, argument and reply codecs, read-only rule.

Values are dicts keyed exactly by the field names of libvirt's ``remote_X_args`` / ``remote_X_ret``
/ ``remote_X_msg`` structs (``remote_string`` is ``str | None``, ``remote_uuid`` a ``uuid.UUID``,
typed parameter values ``(type, value)``). Look a procedure up by number in
:data:`REMOTE_PROCEDURES`, or by name with ``RemoteProcedure["DOMAIN_LOOKUP_BY_NAME"]``. The
KEEPALIVE program's PING and PONG carry no payload and need no table.
"""

from __future__ import annotations

from virt.remote.calls import (
    checkpoints,
    connect,
    devices,
    domaincalls,
    domains,
    events,
    networkports,  # network ports
    networks,
    snapshots,
    storage,
    streams,
    tuning,
)
from virt.remote.message_types import (
    NONNULL_DOMAIN,
    NONNULL_DOMAIN_SNAPSHOT,
    NONNULL_INTERFACE,
    NONNULL_NETWORK,
    NONNULL_NODE_DEVICE,
    NONNULL_NWFILTER,
    NONNULL_NWFILTER_BINDING,
    NONNULL_SECRET,
    NONNULL_STORAGE_POOL,
    NONNULL_STORAGE_VOL,
    NONNULL_STRING,
    REMOTE_STRING,
    TYPED_PARAM,
    TYPED_PARAMS,
    Procedure,
)
from virt.remote.procedure_numbers import RemoteProcedure

__all__ = [
    "NONNULL_DOMAIN",
    "NONNULL_DOMAIN_SNAPSHOT",
    "NONNULL_INTERFACE",
    "NONNULL_NETWORK",
    "NONNULL_NODE_DEVICE",
    "NONNULL_NWFILTER",
    "NONNULL_NWFILTER_BINDING",
    "NONNULL_SECRET",
    "NONNULL_STORAGE_POOL",
    "NONNULL_STORAGE_VOL",
    "NONNULL_STRING",
    "REMOTE_PROCEDURES",
    "REMOTE_STRING",
    "TYPED_PARAM",
    "TYPED_PARAMS",
    "Procedure",
    "RemoteProcedure",
    "procedure",
]


def _table() -> dict[int, Procedure]:
    table: dict[int, Procedure] = {}
    for family in (
        connect,
        domains,
        tuning,
        snapshots,
        checkpoints,
        events,
        networks,
        networkports,  # network ports
        storage,
        devices,
        streams,
        domaincalls,
    ):
        for entry in family.PROCEDURES:
            if entry.number in table:
                raise RuntimeError(f"procedure {entry.number} ({entry.name}) is defined twice")
            table[entry.number] = entry
    missing = {member.name for member in RemoteProcedure} - {entry.name for entry in table.values()}
    if missing:
        raise RuntimeError(f"procedures without messages: {', '.join(sorted(missing))}")
    return dict(sorted(table.items()))


REMOTE_PROCEDURES: dict[int, Procedure] = _table()


def procedure(number: int) -> Procedure | None:
    """The procedure ``number`` of the REMOTE program, or None when virt does not know it."""
    return REMOTE_PROCEDURES.get(number)

"""Domain snapshot procedures."""

from __future__ import annotations

from virt.remote import xdr
from virt.remote.message_types import (
    DOMAIN_SNAPSHOT_LIST_MAX,
    NONNULL_DOMAIN,
    NONNULL_DOMAIN_SNAPSHOT,
    NONNULL_STRING,
    Procedure,
    call,
    flags_include,
)
from virt.remote.procedure_numbers import RemoteProcedure as P

# VIR_DOMAIN_SNAPSHOT_XML_SECURE: the snapshot's domain XML with secrets, not for read-only clients.
SNAPSHOT_XML_SECURE_FLAG = 1

_DOM = ("dom", NONNULL_DOMAIN)
_SNAP = ("snap", NONNULL_DOMAIN_SNAPSHOT)
_FLAGS = ("flags", xdr.UInt)

PROCEDURES: tuple[Procedure, ...] = (
    call(P.DOMAIN_SNAPSHOT_NUM, [_DOM, _FLAGS], [("num", xdr.Int)]),
    call(
        P.DOMAIN_SNAPSHOT_LIST_NAMES,
        [_DOM, ("maxnames", xdr.Int), _FLAGS],
        [("names", xdr.Array(NONNULL_STRING, DOMAIN_SNAPSHOT_LIST_MAX))],
    ),
    call(
        P.DOMAIN_LIST_ALL_SNAPSHOTS,
        [_DOM, ("need_results", xdr.Int), _FLAGS],
        [("snapshots", xdr.Array(NONNULL_DOMAIN_SNAPSHOT, DOMAIN_SNAPSHOT_LIST_MAX)), ("ret", xdr.Int)],
    ),
    call(
        P.DOMAIN_SNAPSHOT_CREATE_XML,
        [_DOM, ("xml_desc", NONNULL_STRING), _FLAGS],
        [_SNAP],
        write="virDomainSnapshotCreateXML",
    ),
    call(
        P.DOMAIN_SNAPSHOT_GET_XML_DESC,
        [_SNAP, _FLAGS],
        [("xml", NONNULL_STRING)],
        write_when=(flags_include(SNAPSHOT_XML_SECURE_FLAG), "virDomainSnapshotGetXMLDesc"),
        denial="virDomainSnapshotGetXMLDesc with secure flag",
    ),
    call(P.DOMAIN_SNAPSHOT_NUM_CHILDREN, [_SNAP, _FLAGS], [("num", xdr.Int)]),
    call(
        P.DOMAIN_SNAPSHOT_LIST_CHILDREN_NAMES,
        [_SNAP, ("maxnames", xdr.Int), _FLAGS],
        [("names", xdr.Array(NONNULL_STRING, DOMAIN_SNAPSHOT_LIST_MAX))],
    ),
    call(
        P.DOMAIN_SNAPSHOT_LIST_ALL_CHILDREN,
        [("snapshot", NONNULL_DOMAIN_SNAPSHOT), ("need_results", xdr.Int), _FLAGS],
        [("snapshots", xdr.Array(NONNULL_DOMAIN_SNAPSHOT, DOMAIN_SNAPSHOT_LIST_MAX)), ("ret", xdr.Int)],
    ),
    call(P.DOMAIN_SNAPSHOT_LOOKUP_BY_NAME, [_DOM, ("name", NONNULL_STRING), _FLAGS], [_SNAP]),
    call(P.DOMAIN_HAS_CURRENT_SNAPSHOT, [_DOM, _FLAGS], [("result", xdr.Int)]),
    call(P.DOMAIN_SNAPSHOT_CURRENT, [_DOM, _FLAGS], [_SNAP]),
    call(P.DOMAIN_SNAPSHOT_GET_PARENT, [_SNAP, _FLAGS], [_SNAP]),
    call(P.DOMAIN_SNAPSHOT_IS_CURRENT, [_SNAP, _FLAGS], [("current", xdr.Int)]),
    call(P.DOMAIN_SNAPSHOT_HAS_METADATA, [_SNAP, _FLAGS], [("metadata", xdr.Int)]),
    call(P.DOMAIN_REVERT_TO_SNAPSHOT, [_SNAP, _FLAGS], write="virDomainRevertToSnapshot"),
    call(P.DOMAIN_SNAPSHOT_DELETE, [_SNAP, _FLAGS], write="virDomainSnapshotDelete"),
)

"""Domain checkpoint procedures (libvirt 5.6's, numbers 411 to 417)."""

from __future__ import annotations

from typing import Any

from virt.remote import xdr
from virt.remote.message_types import NONNULL_DOMAIN, NONNULL_STRING, Procedure, call, flags_include
from virt.remote.procedure_numbers import RemoteProcedure as P

DOMAIN_CHECKPOINT_LIST_MAX = 16384
"""REMOTE_DOMAIN_CHECKPOINT_LIST_MAX."""
NONNULL_DOMAIN_CHECKPOINT = xdr.Struct(
    "remote_nonnull_domain_checkpoint", ("name", NONNULL_STRING), ("dom", NONNULL_DOMAIN)
)
# VIR_DOMAIN_CHECKPOINT_XML_SECURE: the checkpoint's domain XML with secrets, not for read-only clients.
CHECKPOINT_XML_SECURE_FLAG = 1

_DOM = ("dom", NONNULL_DOMAIN)
_CHECKPOINT = ("checkpoint", NONNULL_DOMAIN_CHECKPOINT)
_FLAGS = ("flags", xdr.UInt)
_LISTED: list[tuple[str, xdr.Codec[Any]]] = [
    ("checkpoints", xdr.Array(NONNULL_DOMAIN_CHECKPOINT, DOMAIN_CHECKPOINT_LIST_MAX)),
    ("ret", xdr.Int),
]

PROCEDURES: tuple[Procedure, ...] = (
    call(
        P.DOMAIN_CHECKPOINT_CREATE_XML,
        [_DOM, ("xml_desc", NONNULL_STRING), _FLAGS],
        [_CHECKPOINT],
        write="virDomainCheckpointCreateXML",
    ),
    call(
        P.DOMAIN_CHECKPOINT_GET_XML_DESC,
        [_CHECKPOINT, _FLAGS],
        [("xml", NONNULL_STRING)],
        write_when=(flags_include(CHECKPOINT_XML_SECURE_FLAG), "virDomainCheckpointGetXMLDesc"),
        denial="virDomainCheckpointGetXMLDesc with secure flag",
    ),
    call(P.DOMAIN_LIST_ALL_CHECKPOINTS, [_DOM, ("need_results", xdr.Int), _FLAGS], _LISTED),
    call(P.DOMAIN_CHECKPOINT_LIST_ALL_CHILDREN, [_CHECKPOINT, ("need_results", xdr.Int), _FLAGS], _LISTED),
    call(P.DOMAIN_CHECKPOINT_LOOKUP_BY_NAME, [_DOM, ("name", NONNULL_STRING), _FLAGS], [_CHECKPOINT]),
    call(P.DOMAIN_CHECKPOINT_GET_PARENT, [_CHECKPOINT, _FLAGS], [("parent", NONNULL_DOMAIN_CHECKPOINT)]),
    call(P.DOMAIN_CHECKPOINT_DELETE, [_CHECKPOINT, _FLAGS], write="virDomainCheckpointDelete"),
)

"""The procedures of virt.domaincalls that the other families lack: memory peek, process signals,
lifecycle actions, launch security and creation with files (virsh's set-lifecycle-action,
send-process-signal, domlaunchsecinfo)."""

from __future__ import annotations

from virt.remote import xdr
from virt.remote.message_types import NONNULL_DOMAIN, NONNULL_STRING, Procedure, call, typed_params
from virt.remote.procedure_numbers import RemoteProcedure as P

DOMAIN_MEMORY_PEEK_BUFFER_MAX = 4194304
"""REMOTE_DOMAIN_MEMORY_PEEK_BUFFER_MAX: the most bytes one memory peek may carry."""
DOMAIN_BLOCK_PEEK_BUFFER_MAX = 4194304
"""REMOTE_DOMAIN_BLOCK_PEEK_BUFFER_MAX: the most bytes one block peek may carry."""
DOMAIN_AUTHORIZED_SSH_KEYS_MAX = 2048
"""REMOTE_DOMAIN_AUTHORIZED_SSH_KEYS_MAX: the most keys one call may carry."""
DOMAIN_LAUNCH_SECURITY_INFO_PARAMS_MAX = 64

_DOM = ("dom", NONNULL_DOMAIN)
_FLAGS = ("flags", xdr.UInt)

PROCEDURES: tuple[Procedure, ...] = (
    call(
        P.DOMAIN_MEMORY_PEEK,
        [_DOM, ("offset", xdr.UHyper), ("size", xdr.UInt), _FLAGS],
        [("buffer", xdr.Opaque(DOMAIN_MEMORY_PEEK_BUFFER_MAX))],
        write="virDomainMemoryPeek",
    ),
    call(
        P.DOMAIN_BLOCK_PEEK,
        [_DOM, ("path", NONNULL_STRING), ("offset", xdr.UHyper), ("size", xdr.UInt), _FLAGS],
        [("buffer", xdr.Opaque(DOMAIN_BLOCK_PEEK_BUFFER_MAX))],
        write="virDomainBlockPeek",
    ),
    call(
        P.DOMAIN_AGENT_SET_RESPONSE_TIMEOUT,
        [_DOM, ("timeout", xdr.Int), _FLAGS],
        [("result", xdr.Int)],
        write="virDomainAgentSetResponseTimeout",
    ),
    call(
        P.DOMAIN_AUTHORIZED_SSH_KEYS_GET,
        [_DOM, ("user", NONNULL_STRING), _FLAGS],
        [("keys", xdr.Array(NONNULL_STRING, DOMAIN_AUTHORIZED_SSH_KEYS_MAX))],
        write="virDomainAuthorizedSSHKeysGet",
    ),
    call(
        P.DOMAIN_AUTHORIZED_SSH_KEYS_SET,
        [_DOM, ("user", NONNULL_STRING), ("keys", xdr.Array(NONNULL_STRING, DOMAIN_AUTHORIZED_SSH_KEYS_MAX)), _FLAGS],
        write="virDomainAuthorizedSSHKeysSet",
    ),
    call(
        P.DOMAIN_SEND_PROCESS_SIGNAL,
        [_DOM, ("pid_value", xdr.Hyper), ("signum", xdr.UInt), _FLAGS],
        write="virDomainSendProcessSignal",
    ),
    call(
        P.DOMAIN_CREATE_XML_WITH_FILES,
        [("xml_desc", NONNULL_STRING), _FLAGS],
        [_DOM],
        write="virDomainCreateXMLWithFiles",
    ),
    call(P.DOMAIN_CREATE_WITH_FILES, [_DOM, _FLAGS], [_DOM], write="virDomainCreateWithFiles"),
    call(
        P.DOMAIN_SET_LIFECYCLE_ACTION,
        [_DOM, ("type", xdr.UInt), ("action", xdr.UInt), _FLAGS],
        write="virDomainSetLifecycleAction",
    ),
    call(
        P.DOMAIN_GET_LAUNCH_SECURITY_INFO,
        [_DOM, _FLAGS],
        [("params", typed_params(DOMAIN_LAUNCH_SECURITY_INFO_PARAMS_MAX))],
        write="virDomainGetLaunchSecurityInfo",
    ),
)

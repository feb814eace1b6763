"""Connection set-up and host facts: authentication, open and close, features, versions, the host.

Answers and errors are those of libvirtd 9.0 (observed on the wire) wherever a client can tell.
"""

from __future__ import annotations

from typing import Any

import virt
from virt.errors import ErrorDomain, ErrorNumber, VirtError
from virt.remote.procedure_numbers import RemoteProcedure as P
from virt.remote.protocol import AuthType, Feature

from .registry import Call, handles, internal_error

LIBVIRT_VERSION = 9_000_000
"""The libvirt release whose protocol and behaviour virtd follows, reported as the daemon's library
version (clients such as virt-manager decide what to offer by it)."""

CONNECT_RO = 1  # VIR_CONNECT_RO

# What virtd itself can do whatever the driver: the remote protocol's own features (migration's are
# claimed for a driver that migrates: _MIGRATION_FEATURES). File-descriptor passing is, on unix
# sockets (virt.daemon.fdpassing);
# libvirtd claims it whatever the transport, leaving a TCP client's library to refuse sending them.
_FEATURES = frozenset(
    {
        Feature.FD_PASSING,
        Feature.TYPED_PARAM_STRING,
        Feature.PROGRAM_KEEPALIVE,
        Feature.REMOTE_EVENT_CALLBACK,
        Feature.REMOTE_CLOSE_CALLBACK,
        # The order of virNetworkUpdate's command and section arguments virtd would use is the
        # corrected one; libvirtd answers 1 too.
        Feature.NETWORK_UPDATE_HAS_CORRECT_ORDER,
    }
)


def _auth_failed() -> VirtError:
    # libvirtd's answer to an authentication step for a method the client was not offered
    return VirtError("authentication failed: authentication failed", ErrorNumber.AUTH_FAILED, ErrorDomain.RPC)


# -- authentication --------------------------------------------------------------------------------
@handles(P.AUTH_LIST, needs_connection=False, blocking=False)
def auth_list(call: Call) -> dict[str, Any]:
    # A unix peer is known by its credentials, a TLS peer by its verified certificate, and plain
    # TCP is only listened on when the configuration asks for it without authentication: nothing
    # more to ask anyone. What a client may then do is the ACL's business.
    return {"types": [int(AuthType.NONE)]}


@handles(P.AUTH_SASL_INIT, needs_connection=False, blocking=False)
@handles(P.AUTH_SASL_START, needs_connection=False, blocking=False)
@handles(P.AUTH_SASL_STEP, needs_connection=False, blocking=False)
@handles(P.AUTH_POLKIT, needs_connection=False, blocking=False)
def auth_not_offered(call: Call) -> None:
    raise _auth_failed()


# -- the connection --------------------------------------------------------------------------------
@handles(P.CONNECT_OPEN, needs_connection=False)
def connect_open(call: Call) -> None:
    session = call.session
    name: str | None = call.args["name"]
    readonly = session.client.readonly or bool(call.args["flags"] & CONNECT_RO)
    if session.connection is not None:
        # libvirtd drops the open connection along with refusing the second open
        dropped = session.detach()
        if dropped is not None:
            dropped.close()
        raise internal_error("connection already open")
    if name is None:
        raise internal_error("connection not open")
    connection = virt.open(name or None, readonly)
    with session.lock:
        ended, raced = session.ended, session.connection is not None
        if not (ended or raced):
            session.connection = connection
            session.readonly = readonly
    if ended or raced:
        # the client left while the driver was opening (nobody to give it to), or opened twice at once
        connection.close()
        raise internal_error("connection already open" if raced else "the client has gone")


@handles(P.CONNECT_CLOSE, needs_connection=False)
def connect_close(call: Call) -> None:
    session = call.session
    connection = session.detach()
    # libvirtd hangs up once the reply is out; the dispatcher sees to it
    session.hangup = True
    if connection is not None:
        connection.close()


@handles(P.CONNECT_SUPPORTS_FEATURE, needs_connection=False, blocking=False)
def supports_feature(call: Call) -> dict[str, Any]:
    feature = call.args["feature"]
    if feature == Feature.PROGRAM_KEEPALIVE:
        # asking is how a client says it answers pings, so libvirtd starts pinging it
        call.client.start_keepalive()
    else:
        conn = call.session.conn  # every other feature is a question about the open connection
        if feature in _MIGRATION_FEATURES:
            return {"supported": int(_migrates(conn.driver))}
    return {"supported": int(feature in _FEATURES)}


# Protocol v3 with and without parameters, peer to peer, the source's change protection, migratable
# XML and offline migration: what libvirtd's QEMU driver claims beside v2, which virt does not serve.
_MIGRATION_FEATURES = frozenset(
    {
        Feature.MIGRATION_V3,
        Feature.MIGRATION_P2P,
        Feature.MIGRATION_PARAMS,
        Feature.MIGRATE_CHANGE_PROTECTION,
        Feature.XML_MIGRATABLE,
        Feature.MIGRATION_OFFLINE,
    }
)


def _migrates(driver: object) -> bool:
    """Whether the connection's driver implements migration (overrides the NotSupported default)."""
    perform = getattr(type(driver), "migrate_perform", None)
    return perform is not None and not getattr(perform, "__virt_optional__", False)


@handles(P.CONNECT_REGISTER_CLOSE_CALLBACK, blocking=False)
def register_close_callback(call: Call) -> None:
    call.session.conn  # noqa: B018 - refused before CONNECT_OPEN, as libvirtd does
    with call.session.lock:
        call.session.close_callback = True


@handles(P.CONNECT_UNREGISTER_CLOSE_CALLBACK, blocking=False)
def unregister_close_callback(call: Call) -> None:
    call.session.conn  # noqa: B018
    with call.session.lock:
        call.session.close_callback = False


# -- facts about the connection ------------------------------------------------------------------
@handles(P.CONNECT_GET_TYPE)
def get_type(call: Call) -> dict[str, Any]:
    return {"type": call.conn.driver_name}


@handles(P.CONNECT_GET_VERSION)
def get_version(call: Call) -> dict[str, Any]:
    return {"hv_ver": call.conn.version()}


@handles(P.CONNECT_GET_LIB_VERSION, blocking=False)
def get_lib_version(call: Call) -> dict[str, Any]:
    call.session.conn  # noqa: B018
    return {"lib_ver": LIBVIRT_VERSION}


@handles(P.CONNECT_GET_HOSTNAME)
def get_hostname(call: Call) -> dict[str, Any]:
    return {"hostname": call.conn.hostname()}


@handles(P.CONNECT_GET_URI, blocking=False)
def get_uri(call: Call) -> dict[str, Any]:
    return {"uri": str(call.conn.uri)}


@handles(P.CONNECT_IS_SECURE, blocking=False)
def is_secure(call: Call) -> dict[str, Any]:
    call.session.conn  # noqa: B018
    # a local socket cannot be listened to and TLS is encrypted; plain TCP is neither
    return {"secure": int(call.client.identity.transport in ("unix", "tls"))}


# -- the host ------------------------------------------------------------------------------------------
@handles(P.CONNECT_GET_CAPABILITIES)
def get_capabilities(call: Call) -> dict[str, Any]:
    return {"capabilities": call.conn.capabilities()}


@handles(P.CONNECT_GET_DOMAIN_CAPABILITIES)
def get_domain_capabilities(call: Call) -> dict[str, Any]:
    call.check_flags(0, "ConnectGetDomainCapabilities")
    args = call.args
    xml = call.conn.domain_capabilities(
        emulator=args["emulatorbin"], arch=args["arch"], machine=args["machine"], virt_type=args["virttype"]
    )
    return {"capabilities": xml}


@handles(P.NODE_GET_INFO)
def node_get_info(call: Call) -> dict[str, Any]:
    info = call.conn.node_info()
    return {
        "model": info.model,
        "memory": info.memory_kib,
        "cpus": info.cpus,
        "mhz": info.mhz,
        "nodes": info.nodes,
        "sockets": info.sockets,
        "cores": info.cores,
        "threads": info.threads,
    }


@handles(P.NODE_GET_SECURITY_MODEL)
def node_get_security_model(call: Call) -> dict[str, Any]:
    from virt.xml import Capabilities

    # The host's first security driver, as libvirt reports it; the capabilities name them all.
    host = Capabilities.from_xml(call.conn.capabilities()).host
    secmodel = host.secmodels[0] if host is not None and host.secmodels else None
    if secmodel is None:
        return {"model": "", "doi": ""}
    return {"model": secmodel.model or "", "doi": secmodel.doi or ""}

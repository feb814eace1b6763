"""The procedures of virt.domaincalls: CPU statistics, lifecycle actions, fstrim, disk errors, process
signals, memory and block peek, user password, launch security, core dump and creation with files.

As libvirtd's: the sizes a client asks for are bounded by the wire's limits (its "internal error"
words), the public API's checks are made by virt's own (virt.connection.Domain), and the protocol's
write rule keeps read-only clients from all but the CPU statistics and disk errors. The files of a
creation with files are the descriptors the client passed along the call (virt.daemon.fdpassing).
"""

from __future__ import annotations

from typing import Any

from virt.connection import Domain
from virt.domainchanges import Impact
from virt.remote.calls.domaincalls import DOMAIN_BLOCK_PEEK_BUFFER_MAX, DOMAIN_MEMORY_PEEK_BUFFER_MAX
from virt.remote.message_types import DOMAIN_DISK_ERRORS_MAX, NODE_CPU_STATS_MAX
from virt.remote.procedure_numbers import RemoteProcedure as P

from . import wire
from .registry import Call, handles, internal_error
from .stats import wire_params

DOMAIN_GET_CPU_STATS_NCPUS_MAX = 128
"""REMOTE_DOMAIN_GET_CPU_STATS_NCPUS_MAX: the most CPUs one call may ask about."""


def _domain(call: Call) -> Domain:
    return wire.domain(call.conn, call.args["dom"])


def _flags(call: Call) -> int:
    return int(call.args["flags"])


@handles(P.DOMAIN_GET_CPU_STATS)
def get_cpu_stats(call: Call) -> dict[str, Any]:
    args = call.args
    nparams, ncpus = int(args["nparams"]), int(args["ncpus"])
    if nparams > NODE_CPU_STATS_MAX:
        raise internal_error("nparams too large")
    if ncpus > DOMAIN_GET_CPU_STATS_NCPUS_MAX:
        raise internal_error("ncpus too large")
    found = _domain(call).get_cpu_stats(nparams, int(args["start_cpu"]), ncpus, _flags(call))
    # the CPUs' parameters one after the other, those the driver left unset dropped (libvirtd's LAX)
    params = [param for _, row in found.rows for param in row] if nparams else []
    return {"params": wire_params(params), "nparams": found.result}


@handles(P.DOMAIN_SET_LIFECYCLE_ACTION)
def set_lifecycle_action(call: Call) -> None:
    args = call.args
    _domain(call).set_lifecycle_action(int(args["type"]), int(args["action"]), Impact(_flags(call)))


@handles(P.DOMAIN_FSTRIM)
def fstrim(call: Call) -> None:
    args = call.args
    _domain(call).fstrim(args["mountPoint"], int(args["minimum"]), _flags(call))


@handles(P.DOMAIN_GET_DISK_ERRORS)
def get_disk_errors(call: Call) -> dict[str, Any]:
    maxerrors = int(call.args["maxerrors"])
    if maxerrors > DOMAIN_DISK_ERRORS_MAX:
        raise internal_error("maxerrors too large")
    found = _domain(call).get_disk_errors(maxerrors, _flags(call))
    errors = [{"disk": error.disk, "error": int(error.error)} for error in found.errors]
    return {"errors": errors, "nerrors": found.result}


@handles(P.DOMAIN_SEND_PROCESS_SIGNAL)
def send_process_signal(call: Call) -> None:
    args = call.args
    _domain(call).send_process_signal(int(args["pid_value"]), int(args["signum"]), _flags(call))


@handles(P.DOMAIN_MEMORY_PEEK)
def memory_peek(call: Call) -> dict[str, Any]:
    size = int(call.args["size"])
    if size > DOMAIN_MEMORY_PEEK_BUFFER_MAX:
        raise internal_error("size > maximum buffer size")
    return {"buffer": _domain(call).memory_peek(int(call.args["offset"]), size, _flags(call))}


@handles(P.DOMAIN_BLOCK_PEEK)
def block_peek(call: Call) -> dict[str, Any]:
    args = call.args
    size = int(args["size"])
    if size > DOMAIN_BLOCK_PEEK_BUFFER_MAX:
        raise internal_error("size > maximum buffer size")
    return {"buffer": _domain(call).block_peek(args["path"], int(args["offset"]), size, _flags(call))}


@handles(P.DOMAIN_SET_USER_PASSWORD)
def set_user_password(call: Call) -> None:
    args = call.args
    _domain(call).set_user_password(args["user"], args["password"], _flags(call))


@handles(P.DOMAIN_GET_LAUNCH_SECURITY_INFO)
def get_launch_security_info(call: Call) -> dict[str, Any]:
    return {"params": wire_params(_domain(call).launch_security_info(_flags(call)))}


@handles(P.DOMAIN_CORE_DUMP)
def core_dump(call: Call) -> None:
    _domain(call).core_dump(call.args["to"], _flags(call))


@handles(P.DOMAIN_CORE_DUMP_WITH_FORMAT)
def core_dump_with_format(call: Call) -> None:
    args = call.args
    _domain(call).core_dump(args["to"], _flags(call), int(args["dumpformat"]))


@handles(P.DOMAIN_CREATE_XML_WITH_FILES)
def create_xml_with_files(call: Call) -> dict[str, Any]:
    domain = call.conn.create_domain_with_files(call.args["xml_desc"], call.files, _flags(call))
    return {"dom": wire.wire_domain(domain)}


@handles(P.DOMAIN_CREATE_WITH_FILES)
def create_with_files(call: Call) -> dict[str, Any]:
    domain = _domain(call)
    domain.start_with_files(call.files, _flags(call))
    domain.id  # noqa: B018 - refreshes the handle: the reply carries the new id
    return {"dom": wire.wire_domain(domain)}

"""The guest agent's calls beside the lifecycle ones: the guest's vCPUs (virsh guestvcpus), a user's
authorized SSH keys (get-user-sshkeys, set-user-sshkeys) and the agent's response timeout
(guest-agent-timeout). As libvirtd's: the lists a client sends or asks for are bounded by the wire's
limits before the public API sees them; every call but the vCPUs' query is a write."""

from __future__ import annotations

from typing import Any

from virt.connection import Domain
from virt.remote.calls.domaincalls import DOMAIN_AUTHORIZED_SSH_KEYS_MAX
from virt.remote.message_types import DOMAIN_GUEST_VCPU_PARAMS_MAX
from virt.remote.procedure_numbers import RemoteProcedure as P
from virt.remote.typedparams import to_wire

from . import wire
from .registry import Call, handles, internal_error


def _domain(call: Call) -> Domain:
    return wire.domain(call.conn, call.args["dom"])


def _flags(call: Call) -> int:
    return int(call.args["flags"])


@handles(P.DOMAIN_GET_GUEST_VCPUS)
def get_guest_vcpus(call: Call) -> dict[str, Any]:
    params = _domain(call).guest_vcpus(_flags(call))
    if len(params) > DOMAIN_GUEST_VCPU_PARAMS_MAX:
        raise internal_error("nparams too large")
    return {"params": to_wire(params)}


@handles(P.DOMAIN_SET_GUEST_VCPUS)
def set_guest_vcpus(call: Call) -> None:
    args = call.args
    _domain(call).set_guest_vcpus(args["cpumap"], bool(args["state"]), _flags(call))


@handles(P.DOMAIN_AUTHORIZED_SSH_KEYS_GET)
def get_authorized_ssh_keys(call: Call) -> dict[str, Any]:
    keys = _domain(call).authorized_ssh_keys(call.args["user"], _flags(call))
    if len(keys) > DOMAIN_AUTHORIZED_SSH_KEYS_MAX:
        raise internal_error("Number of keys 2049, which exceeds max limit: 2048")
    return {"keys": keys}


@handles(P.DOMAIN_AUTHORIZED_SSH_KEYS_SET)
def set_authorized_ssh_keys(call: Call) -> None:
    args = call.args
    _domain(call).set_authorized_ssh_keys(args["user"], list(args["keys"]), _flags(call))


@handles(P.DOMAIN_AGENT_SET_RESPONSE_TIMEOUT)
def agent_set_response_timeout(call: Call) -> dict[str, Any]:
    _domain(call).set_agent_response_timeout(int(call.args["timeout"]), _flags(call))
    return {"result": 0}

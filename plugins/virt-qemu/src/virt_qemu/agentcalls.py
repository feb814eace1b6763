"""The guest agent's calls of ``qemu:///`` connections beside the lifecycle ones (a mixin of
QemuConnection), with the rules and words of libvirt 9.0's QEMU driver: the guest's view of its
vCPUs (``guest-get-vcpus`` / ``guest-set-vcpus``), a user's authorized SSH keys
(``guest-ssh-get-authorized-keys``, ``-add-``, ``-remove-``) and how long the agent is waited for.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from virt.domainchanges import parse_cpuset
from virt.domainstats import ParamType, TypedParameter
from virt.errors import ErrorDomain, ErrorNumber, InvalidArgument, libvirt_error
from virt.guestagent import SSHKeysFlags
from virt.xml.convert import CPUSET

from virt_qemu import errors
from virt_qemu.guestcalls import agent_execute, check_flags, malformed

if TYPE_CHECKING:
    from virt.driver import DomainRef

    from virt_qemu.driver import QemuDriver

GUEST_VCPU_MAX_ID = 4096
"""The highest vCPU number a cpumap may name (libvirt's QEMU_GUEST_VCPU_MAX_ID)."""
AGENT_TIMEOUT_MIN = -2


class _GuestVcpu:
    __slots__ = ("id", "offlinable", "online")

    def __init__(self, entry: Any) -> None:
        if not isinstance(entry, dict) or not isinstance(entry.get("logical-id"), int):
            raise malformed("guest-get-vcpus", "lacks 'logical-id'")
        if not isinstance(entry.get("online"), bool):
            raise malformed("guest-get-vcpus", "lacks 'online'")
        if not isinstance(entry.get("can-offline"), bool):
            raise malformed("guest-get-vcpus", "lacks 'can-offline'")
        self.id: int = entry["logical-id"]
        self.online: bool = entry["online"]
        self.offlinable: bool = entry["can-offline"]


class QemuAgentCalls:
    """The guest agent's vCPU, SSH key and timeout methods of QemuConnection."""

    if TYPE_CHECKING:

        @property
        def qemu(self) -> QemuDriver: ...

    def _guest_vcpus(self, ref: DomainRef) -> list[_GuestVcpu]:
        answer = agent_execute(self.qemu, ref, "guest-get-vcpus")
        if not isinstance(answer, list):
            raise malformed("guest-get-vcpus", "was not an array")
        return [_GuestVcpu(entry) for entry in answer]

    def get_domain_guest_vcpus(self, ref: DomainRef, flags: int) -> list[TypedParameter]:
        check_flags(flags, 0, "qemuDomainGetGuestVcpus")
        vcpus = self._guest_vcpus(ref)
        lists = {
            "vcpus": frozenset(v.id for v in vcpus),
            "online": frozenset(v.id for v in vcpus if v.online),
            "offlinable": frozenset(v.id for v in vcpus if v.offlinable),
        }
        return [TypedParameter(name, ParamType.STRING, CPUSET.format(ids)) for name, ids in lists.items()]

    def set_domain_guest_vcpus(self, ref: DomainRef, cpumap: str, state: bool, flags: int) -> None:
        check_flags(flags, 0, "qemuDomainSetGuestVcpus")
        try:
            wanted = set(parse_cpuset(cpumap))
        except InvalidArgument:
            wanted = {GUEST_VCPU_MAX_ID + 1}
        if any(n > GUEST_VCPU_MAX_ID for n in wanted):
            raise libvirt_error(ErrorNumber.INVALID_ARG, f"Failed to parse bitmap '{cpumap}'", ErrorDomain.NONE)
        changes = []
        for vcpu in self._guest_vcpus(ref):
            if vcpu.id not in wanted:
                continue
            if not state and not vcpu.offlinable:
                raise errors.error(ErrorNumber.OPERATION_UNSUPPORTED, f"vCPU '{vcpu.id}' is not offlinable")
            changes.append({"logical-id": vcpu.id, "online": bool(state)})
            wanted.discard(vcpu.id)
        if wanted:
            raise errors.error(ErrorNumber.INVALID_ARG, f"guest is missing vCPUs '{CPUSET.format(frozenset(wanted))}'")
        # the agent may stop at the first vCPU it fails on: what is left is asked again, as libvirt does
        while changes:
            done = agent_execute(self.qemu, ref, "guest-set-vcpus", {"vcpus": changes})
            if not isinstance(done, int) or done < 0 or done > len(changes):
                raise malformed("guest-set-vcpus", f"gave a count out of range: {done!r}")
            if done == 0:
                raise errors.error(ErrorNumber.INTERNAL_ERROR, "guest agent didn't manage to offline/online any vCPU")
            changes = changes[done:]

    def get_domain_authorized_ssh_keys(self, ref: DomainRef, user: str, flags: int) -> list[str]:
        check_flags(flags, 0, "qemuDomainAuthorizedSSHKeysGet")
        answer = agent_execute(self.qemu, ref, "guest-ssh-get-authorized-keys", {"username": user})
        keys = answer.get("keys") if isinstance(answer, dict) else None
        if not isinstance(keys, list) or not all(isinstance(key, str) for key in keys):
            raise malformed("guest-ssh-get-authorized-keys", "lacks 'keys' array")
        return list(keys)

    def set_domain_authorized_ssh_keys(self, ref: DomainRef, user: str, keys: Sequence[str], flags: int) -> None:
        check_flags(flags, SSHKeysFlags.APPEND | SSHKeysFlags.REMOVE, "qemuDomainAuthorizedSSHKeysSet")
        if flags & SSHKeysFlags.REMOVE:
            agent_execute(self.qemu, ref, "guest-ssh-remove-authorized-keys", {"username": user, "keys": list(keys)})
            return
        reset = not flags & SSHKeysFlags.APPEND
        arguments = {"username": user, "keys": list(keys), "reset": reset}
        agent_execute(self.qemu, ref, "guest-ssh-add-authorized-keys", arguments)

    def set_domain_agent_response_timeout(self, ref: DomainRef, timeout: int, flags: int) -> None:
        check_flags(flags, 0, "qemuDomainAgentSetResponseTimeout")
        if timeout < AGENT_TIMEOUT_MIN:
            raise errors.error(
                ErrorNumber.INVALID_ARG,
                f"guest agent timeout '{timeout}' is less than the minimum '{AGENT_TIMEOUT_MIN}'",
            )
        with self.qemu.locked(ref) as obj:
            obj.agent_timeout = timeout

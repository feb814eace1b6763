"""The calls of ``qemu:///`` connections answered by the guest (a mixin of QemuConnection): interface
addresses (guest agent, or the host's ARP table), mounted filesystems, freezing, thawing and trimming
them, a user's password, and the host name, with the rules and words of libvirt 9.0's QEMU driver.

Every agent command goes through :func:`agent_execute`: the agent's port is checked under the
domain's lock, then the conversation (``guest-sync-delimited`` and the command, through
``AgentConnection.execute``) runs without it, one per domain at a time.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from virt.domainchanges import (
    AddressSource,
    DomainInterface,
    FilesystemInfo,
    HostnameSource,
    IPAddress,
    IPAddressType,
)
from virt.errors import ErrorDomain, ErrorNumber, InvalidArgument, libvirt_error

from virt_qemu import errors

if TYPE_CHECKING:
    from virt.driver import DomainRef
    from virt.xml import Domain
    from virt.xml.devices import Disk

    from virt_qemu.driver import QemuDriver

ARP_TABLE = Path("/proc/net/arp")
_ADDRESS_TYPES = {"ipv4": IPAddressType.IPV4, "ipv6": IPAddressType.IPV6}
_DRIVE_BUSES = {"scsi": "scsi", "sata": "sata", "ide": "ide"}
"""A drive-addressed disk's bus, and the controller type that holds it."""


def agent_execute(qemu: QemuDriver, ref: DomainRef, command: str, arguments: dict[str, Any] | None = None) -> Any:
    """``command`` through the domain's guest agent: its ``return`` value, or libvirt's agent errors."""
    from virt_qemu import agent

    with qemu.locked(ref) as obj:
        running = qemu._usable(obj)
        channel = agent.find_channel(obj.current, running.run_dir)
        path = qemu._agent_socket(obj, channel, reboot=False)
        timeout = agent.command_timeout(obj.agent_timeout)
    with agent.held(running, path, timeout) as conversation:
        return conversation.execute(command, arguments, timeout=timeout)


PASSWORD_ENCRYPTED = 1
"""VIR_DOMAIN_PASSWORD_ENCRYPTED: the password is already crypted."""


def check_flags(flags: int, accepted: int, function: str) -> None:
    if flags & ~accepted:
        raise InvalidArgument(
            f"unsupported flags (0x{flags & ~accepted:x}) in function {function}",
            ErrorNumber.INVALID_ARG,
            ErrorDomain.QEMU,
        )


def malformed(command: str, detail: str) -> Exception:
    return errors.internal(f"qemu agent reply to {command} {detail}")


class QemuGuestOperations:
    """The guest-answered methods of QemuConnection."""

    if TYPE_CHECKING:

        @property
        def qemu(self) -> QemuDriver: ...

    # -- addresses ----------------------------------------------------------------------------------
    def get_domain_interface_addresses(self, ref: DomainRef, source: AddressSource) -> list[DomainInterface]:
        if source == AddressSource.AGENT:
            return interfaces_from_agent(agent_execute(self.qemu, ref, "guest-network-get-interfaces"))
        with self.qemu.locked(ref) as obj:
            if not obj.active:
                raise errors.not_running()
            definition = obj.current
        if source == AddressSource.ARP:
            return interfaces_from_arp(definition, _read_arp())
        if source == AddressSource.LEASE:
            from virt.localstate.networks import interfaces_from_leases

            return interfaces_from_leases(self.qemu.paths.mode, definition)
        raise libvirt_error(
            ErrorNumber.ARGUMENT_UNSUPPORTED, f"Unknown IP address data source {int(source)}", ErrorDomain.QEMU
        )

    # -- filesystems --------------------------------------------------------------------------------
    def get_domain_filesystems(self, ref: DomainRef) -> list[FilesystemInfo]:
        answer = agent_execute(self.qemu, ref, "guest-get-fsinfo")
        with self.qemu.locked(ref) as obj:
            definition = obj.current
        return filesystems_from_agent(answer, definition)

    def freeze_domain_filesystems(self, ref: DomainRef, mountpoints: Sequence[str]) -> int:
        if mountpoints:
            answer = agent_execute(self.qemu, ref, "guest-fsfreeze-freeze-list", {"mountpoints": list(mountpoints)})
        else:
            answer = agent_execute(self.qemu, ref, "guest-fsfreeze-freeze")
        return _count(answer, "guest-fsfreeze-freeze")

    def thaw_domain_filesystems(self, ref: DomainRef, mountpoints: Sequence[str]) -> int:
        if mountpoints:
            raise libvirt_error(
                ErrorNumber.ARGUMENT_UNSUPPORTED, "specifying mountpoints is not supported", ErrorDomain.QEMU
            )
        return _count(agent_execute(self.qemu, ref, "guest-fsfreeze-thaw"), "guest-fsfreeze-thaw")

    def trim_domain_filesystems(self, ref: DomainRef, mountpoint: str | None, minimum: int, flags: int) -> None:
        check_flags(flags, 0, "qemuDomainFSTrim")
        if mountpoint is not None:
            raise libvirt_error(
                ErrorNumber.ARGUMENT_UNSUPPORTED, "Specifying mount point is not supported for now", ErrorDomain.QEMU
            )
        self._require_active(ref)
        agent_execute(self.qemu, ref, "guest-fstrim", {"minimum": minimum})

    # -- users ----------------------------------------------------------------------------------------
    def set_domain_user_password(self, ref: DomainRef, user: str, password: str, flags: int) -> None:
        import base64

        check_flags(flags, PASSWORD_ENCRYPTED, "qemuDomainSetUserPassword")
        self._require_active(ref)
        arguments = {
            "crypted": bool(flags & PASSWORD_ENCRYPTED),
            "username": user,
            "password": base64.b64encode(password.encode()).decode(),
        }
        agent_execute(self.qemu, ref, "guest-set-user-password", arguments)

    def _require_active(self, ref: DomainRef) -> None:
        with self.qemu.locked(ref) as obj:
            if not obj.active:
                raise errors.not_running()

    # -- host name ----------------------------------------------------------------------------------
    def get_domain_hostname(self, ref: DomainRef, source: HostnameSource) -> str:
        if source & HostnameSource.LEASE and source & HostnameSource.AGENT:
            raise InvalidArgument(
                "Flags 'VIR_DOMAIN_GET_HOSTNAME_LEASE' and 'VIR_DOMAIN_GET_HOSTNAME_AGENT' are mutually exclusive",
                ErrorNumber.INVALID_ARG,
                ErrorDomain.QEMU,
            )
        if source & HostnameSource.LEASE:
            from virt.localstate.networks import hostname_from_leases

            with self.qemu.locked(ref) as obj:
                if not obj.active:
                    raise errors.not_running()
                definition = obj.current
            hostname = hostname_from_leases(self.qemu.paths.mode, definition)
            if hostname is None:
                raise libvirt_error(
                    ErrorNumber.NO_HOSTNAME, f"no hostname found for domain {definition.name}", ErrorDomain.QEMU
                )
            return hostname
        answer = agent_execute(self.qemu, ref, "guest-get-host-name")
        name = answer.get("host-name") if isinstance(answer, dict) else None
        if not isinstance(name, str):
            raise malformed("guest-get-host-name", "was missing 'host-name' field")
        return name


def _count(answer: Any, command: str) -> int:
    if not isinstance(answer, int):
        raise malformed(command, "was not a number")
    return answer


def interfaces_from_agent(answer: Any) -> list[DomainInterface]:
    """libvirt's qemuAgentGetInterfaces: one entry per interface, an alias (``eth0:1``) merged into its
    interface, addresses in the agent's order."""
    command = "guest-network-get-interfaces"
    if not isinstance(answer, list):
        raise malformed(command, "was not an array")
    found: dict[str, DomainInterface] = {}
    for entry in answer:
        if not isinstance(entry, dict) or not isinstance(entry.get("name"), str):
            raise malformed(command, "had an interface without a name")
        name = entry["name"].split(":", 1)[0]
        hwaddr = entry.get("hardware-address")
        addresses: list[IPAddress] = []
        for item in entry.get("ip-addresses") or []:
            kind = _ADDRESS_TYPES.get(item.get("ip-address-type"))
            if kind is None:
                raise errors.internal(f"unknown ip address type '{item.get('ip-address-type')}'")
            if not isinstance(item.get("ip-address"), str):
                raise errors.internal("qemu agent reply missing 'ip-address' in reply of guest-network-get-interfaces")
            if not isinstance(item.get("prefix"), int):
                raise errors.internal("malformed 'prefix' field")
            addresses.append(IPAddress(kind, item["ip-address"], item["prefix"]))
        known = found.get(name)
        if known is None:
            found[name] = DomainInterface(name, hwaddr if isinstance(hwaddr, str) else None, tuple(addresses))
        else:
            found[name] = DomainInterface(name, known.hwaddr, known.addresses + tuple(addresses))
    return list(found.values())


def _read_arp() -> list[tuple[str, str]]:
    """(IPv4 address, MAC) of the host's complete neighbour entries."""
    try:
        lines = ARP_TABLE.read_text().splitlines()[1:]
    except OSError:
        return []
    entries = []
    for line in lines:
        fields = line.split()
        if len(fields) >= 4 and fields[2] != "0x0":  # flags 0: an incomplete entry
            entries.append((fields[0], fields[3].lower()))
    return entries


def interfaces_from_arp(definition: Domain, table: list[tuple[str, str]]) -> list[DomainInterface]:
    """libvirt's qemuARPGetInterfaces: each NIC whose MAC the host's neighbour table knows."""
    found = []
    devices = definition.devices
    for nic in devices.interfaces if devices is not None else []:
        mac = (nic.mac.address or "").lower() if nic.mac is not None else ""
        addresses = tuple(IPAddress(IPAddressType.IPV4, ip, 0) for ip, hw in table if hw == mac)
        if mac and addresses:
            name = nic.target.dev if nic.target is not None and nic.target.dev else ""
            found.append(DomainInterface(name, mac, addresses))
    return found


def filesystems_from_agent(answer: Any, definition: Domain) -> list[FilesystemInfo]:
    """libvirt's qemuAgentGetFSInfo and qemuAgentFSInfoToPublic: each mount with the domain's disks under it."""
    command = "guest-get-fsinfo"
    if not isinstance(answer, list):
        raise malformed(command, "was not an array")
    found = []
    for entry in answer:
        if not isinstance(entry, dict):
            raise malformed(command, "had an entry that is not an object")
        for field in ("mountpoint", "name", "type"):
            if not isinstance(entry.get(field), str):
                raise errors.internal(f"'{field}' missing in reply of {command}")
        targets = []
        for disk in entry.get("disk") or []:
            match = _disk_for(definition, disk) if isinstance(disk, dict) else None
            if match is not None and match.target is not None and match.target.dev:
                targets.append(match.target.dev)
        found.append(FilesystemInfo(entry["mountpoint"], entry["name"], entry["type"], tuple(targets)))
    return found


def _pci(address: Any) -> tuple[int, int, int, int] | None:
    if address is None or getattr(address, "type", None) != "pci":
        return None
    try:
        return tuple(int(getattr(address, f) or "0", 0) for f in ("domain", "bus", "slot", "function"))  # type: ignore[return-value]
    except ValueError:
        return None


def _disk_for(definition: Domain, disk: dict[str, Any]) -> Disk | None:
    """virDomainDiskByAddress: the disk at the agent's PCI function, or on a controller there at bus/target/unit."""
    controller = disk.get("pci-controller")
    if not isinstance(controller, dict):
        return None
    wanted = tuple(int(controller.get(f, -1)) for f in ("domain", "bus", "slot", "function"))
    devices = definition.devices
    if devices is None:
        return None
    for candidate in devices.disks:
        address = candidate.address
        if _pci(address) == wanted:
            return candidate
        bus = candidate.target.bus if candidate.target is not None else None
        if address is None or address.type != "drive" or bus not in _DRIVE_BUSES:
            continue
        holder = next(
            (
                c
                for c in devices.controllers
                if c.type == _DRIVE_BUSES[bus] and str(c.index or 0) == (address.controller or "0")
            ),
            None,
        )
        drive = tuple(int(getattr(address, f) or "0") for f in ("bus", "target", "unit"))
        if (
            holder is not None
            and _pci(holder.address) == wanted
            and drive == (disk.get("bus"), disk.get("target"), disk.get("unit"))
        ):
            return candidate
    return None

"""Procedures that change a domain's resources, or ask its guest: memory, vCPUs and their pinning,
keys, metadata, managed save, and the guest agent's addresses, filesystems and host name.

Each maps the wire's flags to the API's arguments and refuses unknown flag bits as the driver
would (``unsupported flags (0x8) in function qemuDomainSendKey``); read-only and ACL rules are the
dispatcher's, from each procedure's table entry.
"""

from __future__ import annotations

from typing import Any

from virt.connection import Domain, check_memory_stats_period
from virt.domainchanges import (
    AddressSource,
    HostnameSource,
    Impact,
    MetadataType,
    SaveFlags,
)
from virt.domainstats import cpus_of_map
from virt.errors import ErrorNumber, libvirt_error
from virt.remote.procedure_numbers import RemoteProcedure as P

from . import wire
from .registry import Call, handles

_IMPACT = int(Impact.LIVE | Impact.CONFIG)
_MEM_MAXIMUM = 4  # virDomainMemoryModFlags
_VCPU_MAXIMUM, _VCPU_HOTPLUGGABLE = 4, 16  # virDomainVcpuFlags


def _domain(call: Call) -> Domain:
    return wire.domain(call.conn, call.args["dom"])


def _impact(flags: int) -> Impact:
    return Impact(flags & _IMPACT)


# -- memory ------------------------------------------------------------------------------------------
@handles(P.DOMAIN_SET_MEMORY_FLAGS)
def set_memory_flags(call: Call) -> None:
    flags = call.check_flags(_IMPACT | _MEM_MAXIMUM, "DomainSetMemoryFlags")
    domain, memory = _domain(call), int(call.args["memory"])
    if flags & _MEM_MAXIMUM:
        domain.set_max_memory(memory, _impact(flags))
    else:
        domain.set_memory(memory, _impact(flags))


@handles(P.DOMAIN_SET_MEMORY_STATS_PERIOD)
def set_memory_stats_period(call: Call) -> None:
    period = int(call.args["period"])
    check_memory_stats_period(period)  # libvirt refuses a negative period before the driver sees the flags
    flags = call.check_flags(_IMPACT, "DomainSetMemoryStatsPeriod")
    _domain(call).set_memory_stats_period(period, _impact(flags))


@handles(P.DOMAIN_SET_MEMORY)
def set_memory(call: Call) -> None:
    # virDomainSetMemory changes the running guest (the drivers' SetMemoryFlags with AFFECT_LIVE)
    _domain(call).set_memory(int(call.args["memory"]), Impact.LIVE)


@handles(P.DOMAIN_SET_MAX_MEMORY)
def set_max_memory(call: Call) -> None:
    _domain(call).set_max_memory(int(call.args["memory"]))


# -- processors --------------------------------------------------------------------------------------
@handles(P.DOMAIN_SET_VCPUS_FLAGS)
def set_vcpus_flags(call: Call) -> None:
    # VIR_DOMAIN_VCPU_GUEST (the guest's own CPU hotplug through its agent) is not served
    flags = call.check_flags(_IMPACT | _VCPU_MAXIMUM | _VCPU_HOTPLUGGABLE, "DomainSetVcpusFlags")
    _domain(call).set_vcpus(
        int(call.args["nvcpus"]),
        _impact(flags),
        maximum=bool(flags & _VCPU_MAXIMUM),
        hotpluggable=bool(flags & _VCPU_HOTPLUGGABLE),
    )


@handles(P.DOMAIN_SET_VCPUS)
def set_vcpus(call: Call) -> None:
    _domain(call).set_vcpus(int(call.args["nvcpus"]), Impact.LIVE)


# the pin-info queries are the statistics procedures'
@handles(P.DOMAIN_PIN_VCPU_FLAGS)
def pin_vcpu_flags(call: Call) -> None:
    flags = call.check_flags(_IMPACT, "DomainPinVcpuFlags")
    _domain(call).pin_vcpu(int(call.args["vcpu"]), cpus_of_map(call.args["cpumap"]), _impact(flags))


@handles(P.DOMAIN_PIN_VCPU)
def pin_vcpu(call: Call) -> None:
    _domain(call).pin_vcpu(int(call.args["vcpu"]), cpus_of_map(call.args["cpumap"]))


@handles(P.DOMAIN_PIN_EMULATOR)
def pin_emulator(call: Call) -> None:
    flags = call.check_flags(_IMPACT, "DomainPinEmulator")
    _domain(call).pin_emulator(cpus_of_map(call.args["cpumap"]), _impact(flags))


# -- keys and metadata -------------------------------------------------------------------------------
@handles(P.DOMAIN_SEND_KEY)
def send_key(call: Call) -> None:
    call.check_flags(0, "DomainSendKey")
    args = call.args
    _domain(call).send_key(list(args["keycodes"]), int(args["codeset"]), int(args["holdtime"]))


@handles(P.DOMAIN_GET_METADATA)
def get_metadata(call: Call) -> dict[str, Any]:
    flags = call.check_flags(_IMPACT, "DomainGetMetadata")
    args = call.args
    return {"metadata": _domain(call).metadata(_metadata_type(args["type"]), args["uri"], _impact(flags))}


@handles(P.DOMAIN_SET_METADATA)
def set_metadata(call: Call) -> None:
    flags = call.check_flags(_IMPACT, "DomainSetMetadata")
    args = call.args
    _domain(call).set_metadata(
        _metadata_type(args["type"]), args["metadata"], key=args["key"], uri=args["uri"], impact=_impact(flags)
    )


def _metadata_type(value: int) -> MetadataType:
    from virt.domainchanges import unknown_metadata_type

    try:
        return MetadataType(value)
    except ValueError:
        raise unknown_metadata_type(value) from None


# -- managed save ------------------------------------------------------------------------------------
@handles(P.DOMAIN_MANAGED_SAVE)
def managed_save(call: Call) -> None:
    flags = call.check_flags(int(SaveFlags.BYPASS_CACHE | SaveFlags.RUNNING | SaveFlags.PAUSED), "DomainManagedSave")
    _domain(call).managed_save(SaveFlags(flags))


@handles(P.DOMAIN_MANAGED_SAVE_REMOVE)
def managed_save_remove(call: Call) -> None:
    call.check_flags(0, "DomainManagedSaveRemove")
    _domain(call).remove_managed_save()


# -- the guest's own view ----------------------------------------------------------------------------
@handles(P.DOMAIN_INTERFACE_ADDRESSES)
def interface_addresses(call: Call) -> dict[str, Any]:
    call.check_flags(0, "DomainInterfaceAddresses")
    source = int(call.args["source"])
    if source not in set(AddressSource):
        driver = call.conn.driver
        raise libvirt_error(
            ErrorNumber.ARGUMENT_UNSUPPORTED, f"Unknown IP address data source {source}", driver.error_domain
        )
    interfaces = _domain(call).interface_addresses(AddressSource(source))
    return {
        "ifaces": [
            {
                "name": iface.name,
                "hwaddr": iface.hwaddr,
                "addrs": [{"type": int(a.type), "addr": a.address, "prefix": a.prefix} for a in iface.addresses],
            }
            for iface in interfaces
        ]
    }


@handles(P.DOMAIN_GET_FSINFO)
def get_fsinfo(call: Call) -> dict[str, Any]:
    call.check_flags(0, "DomainGetFSInfo")
    found = _domain(call).filesystems()
    info = [
        {"mountpoint": fs.mountpoint, "name": fs.name, "fstype": fs.fstype, "dev_aliases": list(fs.devices)}
        for fs in found
    ]
    return {"info": info, "ret": len(info)}


@handles(P.DOMAIN_FSFREEZE)
def fsfreeze(call: Call) -> dict[str, Any]:
    call.check_flags(0, "DomainFSFreeze")
    return {"filesystems": _domain(call).freeze_filesystems(list(call.args["mountpoints"]))}


@handles(P.DOMAIN_FSTHAW)
def fsthaw(call: Call) -> dict[str, Any]:
    call.check_flags(0, "DomainFSThaw")
    return {"filesystems": _domain(call).thaw_filesystems(list(call.args["mountpoints"]))}


@handles(P.DOMAIN_GET_HOSTNAME)
def get_hostname(call: Call) -> dict[str, Any]:
    flags = call.check_flags(int(HostnameSource.LEASE | HostnameSource.AGENT), "DomainGetHostname")
    return {"hostname": _domain(call).hostname(HostnameSource(flags))}

"""Domain procedures: lookup, lifecycle, definition, state and information."""

from __future__ import annotations

from virt.remote import xdr
from virt.remote.message_types import (
    CONNECT_GET_ALL_DOMAIN_STATS_MAX,
    CPUMAPS_MAX,
    DOMAIN_FSINFO_DISKS_MAX,
    DOMAIN_FSINFO_MAX,
    DOMAIN_INTERFACE_MAX,
    DOMAIN_IP_ADDR_MAX,
    DOMAIN_LIST_MAX,
    DOMAIN_MEMORY_STATS_MAX,
    DOMAIN_MESSAGES_MAX,
    NONNULL_DOMAIN,
    NONNULL_STRING,
    REMOTE_STRING,
    SECURITY_LABEL_LIST_MAX,
    SECURITY_LABEL_MAX,
    VCPUINFO_MAX,
    CharString,
    Procedure,
    call,
    flags_include,
    typed_params,
)
from virt.remote.procedure_numbers import RemoteProcedure as P

# Flags of virDomainGetXMLDesc (VIR_DOMAIN_XML_SECURE, VIR_DOMAIN_XML_MIGRATABLE) and
# virDomainGetVcpusFlags (VIR_DOMAIN_VCPU_GUEST) that read-only connections may not use.
XML_SECURE_FLAGS = 1 | 8
# VIR_DOMAIN_SAVE_IMAGE_XML_SECURE, refused to read-only clients by the managed-save XML call.
SAVE_IMAGE_XML_SECURE = 1
VCPU_GUEST_FLAG = 8
# virDomainInterfaceAddresses' source that asks the guest agent (refused to read-only clients).
INTERFACE_ADDRESSES_SRC_AGENT = 1

_DOM = ("dom", NONNULL_DOMAIN)
_FLAGS = ("flags", xdr.UInt)
_DOM_RET = [_DOM]
_SECURITY_LABEL = xdr.Struct(
    "remote_domain_get_security_label_ret", ("label", CharString(SECURITY_LABEL_MAX)), ("enforcing", xdr.Int)
)
_VCPU_INFO = xdr.Struct(
    "remote_vcpu_info", ("number", xdr.UInt), ("state", xdr.Int), ("cpu_time", xdr.UHyper), ("cpu", xdr.Int)
)
_MEMORY_STAT = xdr.Struct("remote_domain_memory_stat", ("tag", xdr.Int), ("val", xdr.UHyper))
_STATS_RECORD = xdr.Struct(
    "remote_domain_stats_record", _DOM, ("params", typed_params(CONNECT_GET_ALL_DOMAIN_STATS_MAX))
)
_IP_ADDR = xdr.Struct("remote_domain_ip_addr", ("type", xdr.Int), ("addr", NONNULL_STRING), ("prefix", xdr.UInt))
_INTERFACE = xdr.Struct(
    "remote_domain_interface",
    ("name", NONNULL_STRING),
    ("hwaddr", REMOTE_STRING),
    ("addrs", xdr.Array(_IP_ADDR, DOMAIN_IP_ADDR_MAX)),
)
_FSINFO = xdr.Struct(
    "remote_domain_fsinfo",
    ("mountpoint", NONNULL_STRING),
    ("name", NONNULL_STRING),
    ("fstype", NONNULL_STRING),
    ("dev_aliases", xdr.Array(NONNULL_STRING, DOMAIN_FSINFO_DISKS_MAX)),
)
_HYPERS = ("rd_req", "rd_bytes", "wr_req", "wr_bytes", "errs")
_INTERFACE_COUNTERS = ("rx_bytes", "rx_packets", "rx_errs", "rx_drop", "tx_bytes", "tx_packets", "tx_errs", "tx_drop")
_JOB_COUNTERS = (
    "timeElapsed",
    "timeRemaining",
    "dataTotal",
    "dataProcessed",
    "dataRemaining",
    "memTotal",
    "memProcessed",
    "memRemaining",
    "fileTotal",
    "fileProcessed",
    "fileRemaining",
)


def _agent_addresses(args: dict[str, object]) -> bool:
    return args.get("source") == INTERFACE_ADDRESSES_SRC_AGENT


PROCEDURES: tuple[Procedure, ...] = (
    # Listing and lookup.
    call(
        P.CONNECT_LIST_ALL_DOMAINS,
        [("need_results", xdr.Int), _FLAGS],
        [("domains", xdr.Array(NONNULL_DOMAIN, DOMAIN_LIST_MAX)), ("ret", xdr.UInt)],
    ),
    call(P.CONNECT_NUM_OF_DOMAINS, None, [("num", xdr.Int)]),
    call(P.CONNECT_LIST_DOMAINS, [("maxids", xdr.Int)], [("ids", xdr.Array(xdr.Int, DOMAIN_LIST_MAX))]),
    call(P.CONNECT_NUM_OF_DEFINED_DOMAINS, None, [("num", xdr.Int)]),
    call(
        P.CONNECT_LIST_DEFINED_DOMAINS,
        [("maxnames", xdr.Int)],
        [("names", xdr.Array(NONNULL_STRING, DOMAIN_LIST_MAX))],
    ),
    call(P.DOMAIN_LOOKUP_BY_ID, [("id", xdr.Int)], _DOM_RET),
    call(P.DOMAIN_LOOKUP_BY_NAME, [("name", NONNULL_STRING)], _DOM_RET),
    call(P.DOMAIN_LOOKUP_BY_UUID, [("uuid", xdr.UUID)], _DOM_RET),
    # Definition and lifecycle.
    call(P.DOMAIN_CREATE_XML, [("xml_desc", NONNULL_STRING), _FLAGS], _DOM_RET, write="virDomainCreateXML"),
    call(P.DOMAIN_DEFINE_XML, [("xml", NONNULL_STRING)], _DOM_RET, write="virDomainDefineXML"),
    call(P.DOMAIN_DEFINE_XML_FLAGS, [("xml", NONNULL_STRING), _FLAGS], _DOM_RET, write="virDomainDefineXMLFlags"),
    call(P.DOMAIN_UNDEFINE, [_DOM], write="virDomainUndefine"),
    call(P.DOMAIN_UNDEFINE_FLAGS, [_DOM, _FLAGS], write="virDomainUndefineFlags"),
    call(P.DOMAIN_CREATE, [_DOM], write="virDomainCreate"),
    call(P.DOMAIN_CREATE_WITH_FLAGS, [_DOM, _FLAGS], _DOM_RET, write="virDomainCreateWithFlags"),
    call(P.DOMAIN_SHUTDOWN, [_DOM], write="virDomainShutdown"),
    call(P.DOMAIN_SHUTDOWN_FLAGS, [_DOM, _FLAGS], write="virDomainShutdownFlags"),
    call(P.DOMAIN_REBOOT, [_DOM, _FLAGS], write="virDomainReboot"),
    call(P.DOMAIN_RESET, [_DOM, _FLAGS], write="virDomainReset"),
    call(P.DOMAIN_DESTROY, [_DOM], write="virDomainDestroy"),
    call(P.DOMAIN_DESTROY_FLAGS, [_DOM, _FLAGS], write="virDomainDestroyFlags"),
    call(P.DOMAIN_SUSPEND, [_DOM], write="virDomainSuspend"),
    call(P.DOMAIN_RESUME, [_DOM], write="virDomainResume"),
    call(P.DOMAIN_SAVE, [_DOM, ("to", NONNULL_STRING)], write="virDomainSave"),
    call(P.DOMAIN_RESTORE, [("from", NONNULL_STRING)], write="virDomainRestore"),
    call(P.DOMAIN_MANAGED_SAVE, [_DOM, _FLAGS], write="virDomainManagedSave"),
    call(P.DOMAIN_MANAGED_SAVE_REMOVE, [_DOM, _FLAGS], write="virDomainManagedSaveRemove"),
    call(P.DOMAIN_HAS_MANAGED_SAVE_IMAGE, [_DOM, _FLAGS], [("result", xdr.Int)]),
    call(
        P.DOMAIN_MANAGED_SAVE_GET_XML_DESC,
        [_DOM, _FLAGS],
        [("xml", NONNULL_STRING)],
        write_when=(flags_include(SAVE_IMAGE_XML_SECURE), "virDomainManagedSaveGetXMLDesc"),
        denial="virDomainManagedSaveGetXMLDesc with secure flag",
    ),
    call(
        P.DOMAIN_MANAGED_SAVE_DEFINE_XML,
        [_DOM, ("dxml", REMOTE_STRING), _FLAGS],
        write="virDomainManagedSaveDefineXML",
    ),
    call(
        P.DOMAIN_RENAME,
        [_DOM, ("new_name", REMOTE_STRING), _FLAGS],
        [("retcode", xdr.Int)],
        write="virDomainRename",
    ),
    # State and information.
    call(P.DOMAIN_GET_STATE, [_DOM, _FLAGS], [("state", xdr.Int), ("reason", xdr.Int)]),
    call(
        P.DOMAIN_GET_INFO,
        [_DOM],
        [
            ("state", xdr.UChar),
            ("maxMem", xdr.UHyper),
            ("memory", xdr.UHyper),
            ("nrVirtCpu", xdr.UShort),
            ("cpuTime", xdr.UHyper),
        ],
    ),
    call(
        P.DOMAIN_GET_XML_DESC,
        [_DOM, _FLAGS],
        [("xml", NONNULL_STRING)],
        write_when=(flags_include(XML_SECURE_FLAGS), "virDomainGetXMLDesc"),
        denial="virDomainGetXMLDesc with secure flag",
    ),
    call(P.DOMAIN_GET_OS_TYPE, [_DOM], [("type", NONNULL_STRING)]),
    call(P.DOMAIN_GET_MAX_MEMORY, [_DOM], [("memory", xdr.UHyper)]),
    call(P.DOMAIN_GET_MAX_VCPUS, [_DOM], [("num", xdr.Int)]),
    call(
        P.DOMAIN_GET_VCPUS_FLAGS,
        [_DOM, _FLAGS],
        [("num", xdr.Int)],
        write_when=(flags_include(VCPU_GUEST_FLAG), "virDomainGetVcpusFlags"),
    ),
    call(
        P.DOMAIN_GET_VCPUS,
        [_DOM, ("maxinfo", xdr.Int), ("maplen", xdr.Int)],
        [("info", xdr.Array(_VCPU_INFO, VCPUINFO_MAX)), ("cpumaps", xdr.Opaque(CPUMAPS_MAX))],
    ),
    call(P.DOMAIN_IS_ACTIVE, [_DOM], [("active", xdr.Int)]),
    call(P.DOMAIN_IS_PERSISTENT, [_DOM], [("persistent", xdr.Int)]),
    call(P.DOMAIN_IS_UPDATED, [_DOM], [("updated", xdr.Int)]),
    call(P.DOMAIN_GET_AUTOSTART, [_DOM], [("autostart", xdr.Int)]),
    call(P.DOMAIN_SET_AUTOSTART, [_DOM, ("autostart", xdr.Int)], write="virDomainSetAutostart"),
    call(P.DOMAIN_GET_SECURITY_LABEL, [_DOM], _SECURITY_LABEL),
    call(
        P.DOMAIN_GET_SECURITY_LABEL_LIST,
        [_DOM],
        [("labels", xdr.Array(_SECURITY_LABEL, SECURITY_LABEL_LIST_MAX)), ("ret", xdr.Int)],
    ),
    call(
        P.DOMAIN_GET_CONTROL_INFO,
        [_DOM, _FLAGS],
        [("state", xdr.UInt), ("details", xdr.UInt), ("stateTime", xdr.UHyper)],
    ),
    call(P.DOMAIN_GET_JOB_INFO, [_DOM], [("type", xdr.Int), *((name, xdr.UHyper) for name in _JOB_COUNTERS)]),
    call(P.DOMAIN_ABORT_JOB, [_DOM], write="virDomainAbortJob"),
    # The guest agent answers these, so libvirt keeps them from read-only clients.
    call(P.DOMAIN_GET_HOSTNAME, [_DOM, _FLAGS], [("hostname", NONNULL_STRING)], write="virDomainGetHostname"),
    call(
        P.DOMAIN_GET_FSINFO,
        [_DOM, _FLAGS],
        [("info", xdr.Array(_FSINFO, DOMAIN_FSINFO_MAX)), ("ret", xdr.UInt)],
        write="virDomainGetFSInfo",
    ),
    call(P.DOMAIN_GET_TIME, [_DOM, _FLAGS], [("seconds", xdr.Hyper), ("nseconds", xdr.UInt)], write="virDomainGetTime"),
    call(
        P.DOMAIN_INTERFACE_ADDRESSES,
        [_DOM, ("source", xdr.UInt), _FLAGS],
        [("ifaces", xdr.Array(_INTERFACE, DOMAIN_INTERFACE_MAX))],
        write_when=(_agent_addresses, "virDomainInterfaceAddresses"),
    ),
    call(
        P.DOMAIN_GET_METADATA,
        [_DOM, ("type", xdr.Int), ("uri", REMOTE_STRING), _FLAGS],
        [("metadata", NONNULL_STRING)],
    ),
    call(
        P.DOMAIN_SET_METADATA,
        [_DOM, ("type", xdr.Int), ("metadata", REMOTE_STRING), ("key", REMOTE_STRING), ("uri", REMOTE_STRING), _FLAGS],
        write="virDomainSetMetadata",
    ),
    call(P.DOMAIN_GET_MESSAGES, [_DOM, _FLAGS], [("msgs", xdr.Array(NONNULL_STRING, DOMAIN_MESSAGES_MAX))]),
    # Resources and devices.
    call(P.DOMAIN_SET_MAX_MEMORY, [_DOM, ("memory", xdr.UHyper)], write="virDomainSetMaxMemory"),
    call(P.DOMAIN_SET_MEMORY, [_DOM, ("memory", xdr.UHyper)], write="virDomainSetMemory"),
    call(P.DOMAIN_SET_MEMORY_FLAGS, [_DOM, ("memory", xdr.UHyper), _FLAGS], write="virDomainSetMemoryFlags"),
    call(P.DOMAIN_SET_VCPUS, [_DOM, ("nvcpus", xdr.UInt)], write="virDomainSetVcpus"),
    call(P.DOMAIN_SET_VCPUS_FLAGS, [_DOM, ("nvcpus", xdr.UInt), _FLAGS], write="virDomainSetVcpusFlags"),
    call(P.DOMAIN_ATTACH_DEVICE, [_DOM, ("xml", NONNULL_STRING)], write="virDomainAttachDevice"),
    call(P.DOMAIN_ATTACH_DEVICE_FLAGS, [_DOM, ("xml", NONNULL_STRING), _FLAGS], write="virDomainAttachDeviceFlags"),
    call(P.DOMAIN_DETACH_DEVICE, [_DOM, ("xml", NONNULL_STRING)], write="virDomainDetachDevice"),
    call(P.DOMAIN_DETACH_DEVICE_FLAGS, [_DOM, ("xml", NONNULL_STRING), _FLAGS], write="virDomainDetachDeviceFlags"),
    call(P.DOMAIN_UPDATE_DEVICE_FLAGS, [_DOM, ("xml", NONNULL_STRING), _FLAGS], write="virDomainUpdateDeviceFlags"),
    call(P.DOMAIN_DETACH_DEVICE_ALIAS, [_DOM, ("alias", NONNULL_STRING), _FLAGS], write="virDomainDetachDeviceAlias"),
    call(P.DOMAIN_GET_SCHEDULER_TYPE, [_DOM], [("type", NONNULL_STRING), ("nparams", xdr.Int)]),
    # Statistics.
    call(P.DOMAIN_BLOCK_STATS, [_DOM, ("path", NONNULL_STRING)], [(name, xdr.Hyper) for name in _HYPERS]),
    call(
        P.DOMAIN_INTERFACE_STATS,
        [_DOM, ("path", NONNULL_STRING)],
        [(name, xdr.Hyper) for name in _INTERFACE_COUNTERS],
    ),
    call(
        P.DOMAIN_MEMORY_STATS,
        [_DOM, ("maxStats", xdr.UInt), _FLAGS],
        [("stats", xdr.Array(_MEMORY_STAT, DOMAIN_MEMORY_STATS_MAX))],
    ),
    call(
        P.DOMAIN_GET_BLOCK_INFO,
        [_DOM, ("path", NONNULL_STRING), _FLAGS],
        [("allocation", xdr.UHyper), ("capacity", xdr.UHyper), ("physical", xdr.UHyper)],
    ),
    call(
        P.CONNECT_GET_ALL_DOMAIN_STATS,
        [("doms", xdr.Array(NONNULL_DOMAIN, DOMAIN_LIST_MAX)), ("stats", xdr.UInt), _FLAGS],
        [("retStats", xdr.Array(_STATS_RECORD, DOMAIN_LIST_MAX))],
    ),
)

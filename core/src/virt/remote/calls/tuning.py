"""Domain tuning, statistics, block jobs, saving and guest-agent procedures (virsh schedinfo,
memtune, blkiotune, domstats' older relatives, blockjob, save, dump, send-key, domfsfreeze...)."""

from __future__ import annotations

from virt.remote import xdr
from virt.remote.message_types import (
    CPUMAP_MAX,
    CPUMAPS_MAX,
    DOMAIN_BLKIO_PARAMETERS_MAX,
    DOMAIN_BLOCK_IO_TUNE_PARAMETERS_MAX,
    DOMAIN_BLOCK_STATS_PARAMETERS_MAX,
    DOMAIN_DISK_ERRORS_MAX,
    DOMAIN_FSFREEZE_MOUNTPOINTS_MAX,
    DOMAIN_GET_CPU_STATS_MAX,
    DOMAIN_GUEST_VCPU_PARAMS_MAX,
    DOMAIN_INTERFACE_PARAMETERS_MAX,
    DOMAIN_JOB_STATS_MAX,
    DOMAIN_MEMORY_PARAMETERS_MAX,
    DOMAIN_NUMA_PARAMETERS_MAX,
    DOMAIN_PERF_EVENTS_MAX,
    DOMAIN_SCHEDULER_PARAMETERS_MAX,
    DOMAIN_SEND_KEY_MAX,
    IOTHREAD_INFO_MAX,
    NONNULL_DOMAIN,
    NONNULL_STRING,
    REMOTE_STRING,
    Procedure,
    call,
    typed_params,
)
from virt.remote.procedure_numbers import RemoteProcedure as P

DOMAIN_IOTHREAD_PARAMS_MAX = 64
"""REMOTE_DOMAIN_IOTHREAD_PARAMS_MAX."""
DOMAIN_BLOCK_COPY_PARAMETERS_MAX = 16
"""REMOTE_DOMAIN_BLOCK_COPY_PARAMETERS_MAX."""
_DOM = ("dom", NONNULL_DOMAIN)
_FLAGS = ("flags", xdr.UInt)
_NPARAMS = ("nparams", xdr.Int)
_PATH = ("path", NONNULL_STRING)
_CPUMAP = ("cpumap", xdr.Opaque(CPUMAP_MAX))
_SCHEDULER_PARAMS = ("params", typed_params(DOMAIN_SCHEDULER_PARAMETERS_MAX))
_DISK_ERROR = xdr.Struct("remote_domain_disk_error", ("disk", NONNULL_STRING), ("error", xdr.Int))
_IOTHREAD = xdr.Struct("remote_domain_iothread_info", ("iothread_id", xdr.UInt), _CPUMAP)
_MOUNTPOINTS = ("mountpoints", xdr.Array(NONNULL_STRING, DOMAIN_FSFREEZE_MOUNTPOINTS_MAX))


def _tunables(get: P, set: P, limit: int, api: str, *, device: str = "") -> tuple[Procedure, Procedure]:
    """A get/set pair of typed-parameter tunables: get {dom[, device], nparams, flags} -> {params,
    nparams}; set {dom[, device], params, flags}."""
    params = ("params", typed_params(limit))
    target = [(device, NONNULL_STRING)] if device else []
    return (
        call(get, [_DOM, *target, _NPARAMS, _FLAGS], [params, _NPARAMS]),
        call(set, [_DOM, *target, params, _FLAGS], write=api),
    )


PROCEDURES: tuple[Procedure, ...] = (
    # Scheduler.
    call(P.DOMAIN_GET_SCHEDULER_PARAMETERS, [_DOM, _NPARAMS], [_SCHEDULER_PARAMS]),
    call(P.DOMAIN_GET_SCHEDULER_PARAMETERS_FLAGS, [_DOM, _NPARAMS, _FLAGS], [_SCHEDULER_PARAMS]),
    call(P.DOMAIN_SET_SCHEDULER_PARAMETERS, [_DOM, _SCHEDULER_PARAMS], write="virDomainSetSchedulerParameters"),
    call(
        P.DOMAIN_SET_SCHEDULER_PARAMETERS_FLAGS,
        [_DOM, _SCHEDULER_PARAMS, _FLAGS],
        write="virDomainSetSchedulerParametersFlags",
    ),
    # Typed-parameter tunables.
    *_tunables(
        P.DOMAIN_GET_MEMORY_PARAMETERS,
        P.DOMAIN_SET_MEMORY_PARAMETERS,
        DOMAIN_MEMORY_PARAMETERS_MAX,
        "virDomainSetMemoryParameters",
    ),
    *_tunables(
        P.DOMAIN_GET_BLKIO_PARAMETERS,
        P.DOMAIN_SET_BLKIO_PARAMETERS,
        DOMAIN_BLKIO_PARAMETERS_MAX,
        "virDomainSetBlkioParameters",
    ),
    *_tunables(
        P.DOMAIN_GET_NUMA_PARAMETERS,
        P.DOMAIN_SET_NUMA_PARAMETERS,
        DOMAIN_NUMA_PARAMETERS_MAX,
        "virDomainSetNumaParameters",
    ),
    *_tunables(
        P.DOMAIN_GET_INTERFACE_PARAMETERS,
        P.DOMAIN_SET_INTERFACE_PARAMETERS,
        DOMAIN_INTERFACE_PARAMETERS_MAX,
        "virDomainSetInterfaceParameters",
        device="device",
    ),
    call(
        P.DOMAIN_GET_BLOCK_IO_TUNE,
        # The disk may be NULL here (all disks), unlike in the setter.
        [_DOM, ("disk", REMOTE_STRING), _NPARAMS, _FLAGS],
        [("params", typed_params(DOMAIN_BLOCK_IO_TUNE_PARAMETERS_MAX)), _NPARAMS],
    ),
    call(
        P.DOMAIN_SET_BLOCK_IO_TUNE,
        [_DOM, ("disk", NONNULL_STRING), ("params", typed_params(DOMAIN_BLOCK_IO_TUNE_PARAMETERS_MAX)), _FLAGS],
        write="virDomainSetBlockIoTune",
    ),
    call(P.DOMAIN_GET_PERF_EVENTS, [_DOM, _FLAGS], [("params", typed_params(DOMAIN_PERF_EVENTS_MAX))]),
    call(
        P.DOMAIN_SET_PERF_EVENTS,
        [_DOM, ("params", typed_params(DOMAIN_PERF_EVENTS_MAX)), _FLAGS],
        write="virDomainSetPerfEvents",
    ),
    call(P.DOMAIN_SET_MEMORY_STATS_PERIOD, [_DOM, ("period", xdr.Int), _FLAGS], write="virDomainSetMemoryStatsPeriod"),
    # CPU placement.
    call(
        P.DOMAIN_GET_VCPU_PIN_INFO,
        [_DOM, ("ncpumaps", xdr.Int), ("maplen", xdr.Int), _FLAGS],
        [("cpumaps", xdr.Opaque(CPUMAPS_MAX)), ("num", xdr.Int)],
    ),
    call(P.DOMAIN_PIN_VCPU, [_DOM, ("vcpu", xdr.UInt), _CPUMAP], write="virDomainPinVcpu"),
    call(P.DOMAIN_PIN_VCPU_FLAGS, [_DOM, ("vcpu", xdr.UInt), _CPUMAP, _FLAGS], write="virDomainPinVcpuFlags"),
    call(
        P.DOMAIN_GET_EMULATOR_PIN_INFO,
        [_DOM, ("maplen", xdr.Int), _FLAGS],
        [("cpumaps", xdr.Opaque(CPUMAPS_MAX)), ("ret", xdr.Int)],
    ),
    call(P.DOMAIN_PIN_EMULATOR, [_DOM, _CPUMAP, _FLAGS], write="virDomainPinEmulator"),
    call(
        P.DOMAIN_GET_IOTHREAD_INFO,
        [_DOM, _FLAGS],
        [("info", xdr.Array(_IOTHREAD, IOTHREAD_INFO_MAX)), ("ret", xdr.UInt)],
    ),
    call(
        P.DOMAIN_PIN_IOTHREAD,
        [_DOM, ("iothreads_id", xdr.UInt), _CPUMAP, _FLAGS],
        write="virDomainPinIOThread",
    ),
    call(P.DOMAIN_ADD_IOTHREAD, [_DOM, ("iothread_id", xdr.UInt), _FLAGS], write="virDomainAddIOThread"),
    call(P.DOMAIN_DEL_IOTHREAD, [_DOM, ("iothread_id", xdr.UInt), _FLAGS], write="virDomainDelIOThread"),
    call(
        P.DOMAIN_SET_IOTHREAD_PARAMS,
        [_DOM, ("iothread_id", xdr.UInt), ("params", typed_params(DOMAIN_IOTHREAD_PARAMS_MAX)), _FLAGS],
        write="virDomainSetIOThreadParams",
    ),
    # Statistics.
    call(
        P.DOMAIN_BLOCK_STATS_FLAGS,
        [_DOM, _PATH, _NPARAMS, _FLAGS],
        [("params", typed_params(DOMAIN_BLOCK_STATS_PARAMETERS_MAX)), _NPARAMS],
    ),
    call(
        P.DOMAIN_GET_CPU_STATS,
        [_DOM, ("nparams", xdr.UInt), ("start_cpu", xdr.Int), ("ncpus", xdr.UInt), _FLAGS],
        [("params", typed_params(DOMAIN_GET_CPU_STATS_MAX)), _NPARAMS],
    ),
    call(
        P.DOMAIN_GET_JOB_STATS,
        [_DOM, _FLAGS],
        [("type", xdr.Int), ("params", typed_params(DOMAIN_JOB_STATS_MAX))],
    ),
    call(
        P.DOMAIN_GET_DISK_ERRORS,
        [_DOM, ("maxerrors", xdr.UInt), _FLAGS],
        [("errors", xdr.Array(_DISK_ERROR, DOMAIN_DISK_ERRORS_MAX)), ("nerrors", xdr.Int)],
    ),
    # Block devices and their jobs.
    call(
        P.DOMAIN_BLOCK_RESIZE,
        [_DOM, ("disk", NONNULL_STRING), ("size", xdr.UHyper), _FLAGS],
        write="virDomainBlockResize",
    ),
    call(
        P.DOMAIN_GET_BLOCK_JOB_INFO,
        [_DOM, _PATH, _FLAGS],
        [
            ("found", xdr.Int),
            ("type", xdr.Int),
            ("bandwidth", xdr.UHyper),
            ("cur", xdr.UHyper),
            ("end", xdr.UHyper),
        ],
    ),
    call(P.DOMAIN_BLOCK_JOB_ABORT, [_DOM, _PATH, _FLAGS], write="virDomainBlockJobAbort"),
    call(
        P.DOMAIN_BLOCK_JOB_SET_SPEED,
        [_DOM, _PATH, ("bandwidth", xdr.UHyper), _FLAGS],
        write="virDomainBlockJobSetSpeed",
    ),
    call(P.DOMAIN_BLOCK_PULL, [_DOM, _PATH, ("bandwidth", xdr.UHyper), _FLAGS], write="virDomainBlockPull"),
    call(
        P.DOMAIN_BLOCK_REBASE,
        [_DOM, _PATH, ("base", REMOTE_STRING), ("bandwidth", xdr.UHyper), _FLAGS],
        write="virDomainBlockRebase",
    ),
    call(
        P.DOMAIN_BLOCK_COMMIT,
        [
            _DOM,
            ("disk", NONNULL_STRING),
            ("base", REMOTE_STRING),
            ("top", REMOTE_STRING),
            ("bandwidth", xdr.UHyper),
            _FLAGS,
        ],
        write="virDomainBlockCommit",
    ),
    call(
        P.DOMAIN_BLOCK_COPY,
        [
            _DOM,
            _PATH,
            ("destxml", NONNULL_STRING),
            ("params", typed_params(DOMAIN_BLOCK_COPY_PARAMETERS_MAX)),
            _FLAGS,
        ],
        write="virDomainBlockCopy",
    ),
    # Saving and dumping.
    call(
        P.DOMAIN_SAVE_FLAGS,
        [_DOM, ("to", NONNULL_STRING), ("dxml", REMOTE_STRING), _FLAGS],
        write="virDomainSaveFlags",
    ),
    call(
        P.DOMAIN_RESTORE_FLAGS,
        [("from", NONNULL_STRING), ("dxml", REMOTE_STRING), _FLAGS],
        write="virDomainRestoreFlags",
    ),
    call(
        P.DOMAIN_SAVE_IMAGE_GET_XML_DESC,
        [("file", NONNULL_STRING), _FLAGS],
        [("xml", NONNULL_STRING)],
        # It reads any file the daemon can, so libvirt keeps it from read-only clients.
        write="virDomainSaveImageGetXMLDesc",
    ),
    call(
        P.DOMAIN_SAVE_IMAGE_DEFINE_XML,
        [("file", NONNULL_STRING), ("dxml", NONNULL_STRING), _FLAGS],
        write="virDomainSaveImageDefineXML",
    ),
    call(P.DOMAIN_CORE_DUMP, [_DOM, ("to", NONNULL_STRING), _FLAGS], write="virDomainCoreDump"),
    call(
        P.DOMAIN_CORE_DUMP_WITH_FORMAT,
        [_DOM, ("to", NONNULL_STRING), ("dumpformat", xdr.UInt), _FLAGS],
        write="virDomainCoreDumpWithFormat",
    ),
    # Input, time, power management and the guest agent.
    call(
        P.DOMAIN_SEND_KEY,
        [
            _DOM,
            ("codeset", xdr.UInt),
            ("holdtime", xdr.UInt),
            ("keycodes", xdr.Array(xdr.UInt, DOMAIN_SEND_KEY_MAX)),
            _FLAGS,
        ],
        write="virDomainSendKey",
    ),
    call(P.DOMAIN_INJECT_NMI, [_DOM, _FLAGS], write="virDomainInjectNMI"),
    call(
        P.DOMAIN_SET_TIME,
        [_DOM, ("seconds", xdr.Hyper), ("nseconds", xdr.UInt), _FLAGS],
        write="virDomainSetTime",
    ),
    call(
        P.DOMAIN_PM_SUSPEND_FOR_DURATION,
        [_DOM, ("target", xdr.UInt), ("duration", xdr.UHyper), _FLAGS],
        write="virDomainPMSuspendForDuration",
    ),
    call(P.DOMAIN_PM_WAKEUP, [_DOM, _FLAGS], write="virDomainPMWakeup"),
    call(P.DOMAIN_FSFREEZE, [_DOM, _MOUNTPOINTS, _FLAGS], [("filesystems", xdr.Int)], write="virDomainFSFreeze"),
    call(P.DOMAIN_FSTHAW, [_DOM, _MOUNTPOINTS, _FLAGS], [("filesystems", xdr.Int)], write="virDomainFSThaw"),
    call(
        P.DOMAIN_FSTRIM,
        [_DOM, ("mountPoint", REMOTE_STRING), ("minimum", xdr.UHyper), _FLAGS],
        write="virDomainFSTrim",
    ),
    call(
        P.DOMAIN_SET_USER_PASSWORD,
        [_DOM, ("user", REMOTE_STRING), ("password", REMOTE_STRING), _FLAGS],
        write="virDomainSetUserPassword",
    ),
    call(P.DOMAIN_GET_GUEST_VCPUS, [_DOM, _FLAGS], [("params", typed_params(DOMAIN_GUEST_VCPU_PARAMS_MAX))]),
    call(
        P.DOMAIN_SET_GUEST_VCPUS,
        [_DOM, ("cpumap", NONNULL_STRING), ("state", xdr.Int), _FLAGS],
        write="virDomainSetGuestVcpus",
    ),
)

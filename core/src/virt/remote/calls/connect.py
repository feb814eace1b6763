"""Connection set-up, authentication and host (node) procedures."""

from __future__ import annotations

from virt.remote import xdr
from virt.remote.message_types import (
    AUTH_SASL_DATA_MAX,
    AUTH_TYPE_LIST_MAX,
    CONNECT_CPU_MODELS_MAX,
    CPU_BASELINE_MAX,
    CPUMAP_MAX,
    NODE_CPU_STATS_MAX,
    NODE_MAX_CELLS,
    NODE_MEMORY_PARAMETERS_MAX,
    NODE_MEMORY_STATS_MAX,
    NONNULL_STRING,
    REMOTE_STRING,
    SECURITY_DOI_MAX,
    SECURITY_MODEL_MAX,
    CharBytes,
    CharString,
    Procedure,
    call,
    typed_params,
)
from virt.remote.procedure_numbers import RemoteProcedure as P

_SASL_DATA = CharBytes(AUTH_SASL_DATA_MAX)
_NODE_STAT = xdr.Struct("remote_node_get_cpu_stats", ("field", NONNULL_STRING), ("value", xdr.UHyper))
_NODE_MEMORY_STAT = xdr.Struct("remote_node_get_memory_stats", ("field", NONNULL_STRING), ("value", xdr.UHyper))

PROCEDURES: tuple[Procedure, ...] = (
    # Authentication: the only calls allowed before the client is authenticated.
    call(P.AUTH_LIST, None, [("types", xdr.Array(xdr.Int, AUTH_TYPE_LIST_MAX))]),
    call(P.AUTH_SASL_INIT, None, [("mechlist", NONNULL_STRING)]),
    call(
        P.AUTH_SASL_START,
        [("mech", NONNULL_STRING), ("nil", xdr.Int), ("data", _SASL_DATA)],
        [("complete", xdr.Int), ("nil", xdr.Int), ("data", _SASL_DATA)],
    ),
    call(
        P.AUTH_SASL_STEP,
        [("nil", xdr.Int), ("data", _SASL_DATA)],
        [("complete", xdr.Int), ("nil", xdr.Int), ("data", _SASL_DATA)],
    ),
    call(P.AUTH_POLKIT, None, [("complete", xdr.Int)]),
    # The connection itself.
    call(P.CONNECT_OPEN, [("name", REMOTE_STRING), ("flags", xdr.UInt)]),
    call(P.CONNECT_CLOSE),
    call(P.CONNECT_SUPPORTS_FEATURE, [("feature", xdr.Int)], [("supported", xdr.Int)]),
    call(P.CONNECT_GET_TYPE, None, [("type", NONNULL_STRING)]),
    call(P.CONNECT_GET_VERSION, None, [("hv_ver", xdr.UHyper)]),
    call(P.CONNECT_GET_LIB_VERSION, None, [("lib_ver", xdr.UHyper)]),
    call(P.CONNECT_GET_HOSTNAME, None, [("hostname", NONNULL_STRING)]),
    call(P.CONNECT_GET_URI, None, [("uri", NONNULL_STRING)]),
    call(P.CONNECT_GET_SYSINFO, [("flags", xdr.UInt)], [("sysinfo", NONNULL_STRING)]),
    call(P.CONNECT_GET_MAX_VCPUS, [("type", REMOTE_STRING)], [("max_vcpus", xdr.Int)]),
    call(P.CONNECT_IS_SECURE, None, [("secure", xdr.Int)]),
    call(P.CONNECT_GET_CAPABILITIES, None, [("capabilities", NONNULL_STRING)]),
    call(
        P.CONNECT_GET_DOMAIN_CAPABILITIES,
        [
            ("emulatorbin", REMOTE_STRING),
            ("arch", REMOTE_STRING),
            ("machine", REMOTE_STRING),
            ("virttype", REMOTE_STRING),
            ("flags", xdr.UInt),
        ],
        [("capabilities", NONNULL_STRING)],
        # It may run emulator binaries to probe them, so libvirt keeps it from read-only clients.
        write="virConnectGetDomainCapabilities",
    ),
    call(P.CONNECT_REGISTER_CLOSE_CALLBACK),
    call(P.CONNECT_UNREGISTER_CLOSE_CALLBACK),
    call(
        P.CONNECT_DOMAIN_XML_FROM_NATIVE,
        [("nativeFormat", NONNULL_STRING), ("nativeConfig", NONNULL_STRING), ("flags", xdr.UInt)],
        [("domainXml", NONNULL_STRING)],
        write="virConnectDomainXMLFromNative",
    ),
    call(
        P.CONNECT_DOMAIN_XML_TO_NATIVE,
        [("nativeFormat", NONNULL_STRING), ("domainXml", NONNULL_STRING), ("flags", xdr.UInt)],
        [("nativeConfig", NONNULL_STRING)],
        write="virConnectDomainXMLToNative",
    ),
    call(P.CONNECT_COMPARE_CPU, [("xml", NONNULL_STRING), ("flags", xdr.UInt)], [("result", xdr.Int)]),
    call(
        P.CONNECT_BASELINE_CPU,
        [("xmlCPUs", xdr.Array(NONNULL_STRING, CPU_BASELINE_MAX)), ("flags", xdr.UInt)],
        [("cpu", NONNULL_STRING)],
    ),
    call(
        P.CONNECT_BASELINE_HYPERVISOR_CPU,
        [
            ("emulator", REMOTE_STRING),
            ("arch", REMOTE_STRING),
            ("machine", REMOTE_STRING),
            ("virttype", REMOTE_STRING),
            ("xmlCPUs", xdr.Array(NONNULL_STRING, CPU_BASELINE_MAX)),
            ("flags", xdr.UInt),
        ],
        [("cpu", NONNULL_STRING)],
        write="virConnectBaselineHypervisorCPU",
    ),
    call(
        P.CONNECT_GET_CPU_MODEL_NAMES,
        [("arch", NONNULL_STRING), ("need_results", xdr.Int), ("flags", xdr.UInt)],
        [("models", xdr.Array(NONNULL_STRING, CONNECT_CPU_MODELS_MAX)), ("ret", xdr.Int)],
    ),
    # The host.
    call(
        P.NODE_GET_INFO,
        None,
        [
            ("model", xdr.CharArray(32)),
            ("memory", xdr.UHyper),
            ("cpus", xdr.Int),
            ("mhz", xdr.Int),
            ("nodes", xdr.Int),
            ("sockets", xdr.Int),
            ("cores", xdr.Int),
            ("threads", xdr.Int),
        ],
    ),
    call(P.NODE_GET_FREE_MEMORY, None, [("freeMem", xdr.UHyper)]),
    call(
        P.NODE_GET_CELLS_FREE_MEMORY,
        [("startCell", xdr.Int), ("maxcells", xdr.Int)],
        [("cells", xdr.Array(xdr.UHyper, NODE_MAX_CELLS))],
    ),
    call(
        P.NODE_GET_SECURITY_MODEL,
        None,
        [("model", CharString(SECURITY_MODEL_MAX)), ("doi", CharString(SECURITY_DOI_MAX))],
    ),
    call(
        P.NODE_GET_CPU_STATS,
        [("cpuNum", xdr.Int), ("nparams", xdr.Int), ("flags", xdr.UInt)],
        [("params", xdr.Array(_NODE_STAT, NODE_CPU_STATS_MAX)), ("nparams", xdr.Int)],
    ),
    call(
        P.NODE_GET_MEMORY_STATS,
        [("nparams", xdr.Int), ("cellNum", xdr.Int), ("flags", xdr.UInt)],
        [("params", xdr.Array(_NODE_MEMORY_STAT, NODE_MEMORY_STATS_MAX)), ("nparams", xdr.Int)],
    ),
    call(
        P.NODE_GET_FREE_PAGES,
        [
            ("pages", xdr.Array(xdr.UInt, NODE_MAX_CELLS)),
            ("startCell", xdr.Int),
            ("cellCount", xdr.UInt),
            ("flags", xdr.UInt),
        ],
        [("counts", xdr.Array(xdr.UHyper, NODE_MAX_CELLS))],
    ),
    call(
        P.NODE_GET_MEMORY_PARAMETERS,
        [("nparams", xdr.Int), ("flags", xdr.UInt)],
        [("params", typed_params(NODE_MEMORY_PARAMETERS_MAX)), ("nparams", xdr.Int)],
    ),
    call(
        P.NODE_SET_MEMORY_PARAMETERS,
        [("params", typed_params(NODE_MEMORY_PARAMETERS_MAX)), ("flags", xdr.UInt)],
        write="virNodeSetMemoryParameters",
    ),
    call(
        P.NODE_SUSPEND_FOR_DURATION,
        [("target", xdr.UInt), ("duration", xdr.UHyper), ("flags", xdr.UInt)],
        write="virNodeSuspendForDuration",
    ),
    call(
        P.NODE_GET_CPU_MAP,
        [("need_map", xdr.Int), ("need_online", xdr.Int), ("flags", xdr.UInt)],
        [("cpumap", xdr.Opaque(CPUMAP_MAX)), ("online", xdr.UInt), ("ret", xdr.Int)],
    ),
)

"""Errors: one exception type, libvirt's error numbers and domains, and subclasses worth catching."""

from __future__ import annotations

import enum


class ErrorNumber(enum.IntEnum):
    """libvirt's virErrorNumber: the numbers travel on the wire, so they never change."""

    OK = 0
    INTERNAL_ERROR = 1
    NO_MEMORY = 2
    NO_SUPPORT = 3
    UNKNOWN_HOST = 4
    NO_CONNECT = 5
    INVALID_CONN = 6
    INVALID_DOMAIN = 7
    INVALID_ARG = 8
    OPERATION_FAILED = 9
    GET_FAILED = 10
    POST_FAILED = 11
    HTTP_ERROR = 12
    SEXPR_SERIAL = 13
    NO_XEN = 14
    XEN_CALL = 15
    OS_TYPE = 16
    NO_KERNEL = 17
    NO_ROOT = 18
    NO_SOURCE = 19
    NO_TARGET = 20
    NO_NAME = 21
    NO_OS = 22
    NO_DEVICE = 23
    NO_XENSTORE = 24
    DRIVER_FULL = 25
    CALL_FAILED = 26
    XML_ERROR = 27
    DOM_EXIST = 28
    OPERATION_DENIED = 29
    OPEN_FAILED = 30
    READ_FAILED = 31
    PARSE_FAILED = 32
    CONF_SYNTAX = 33
    WRITE_FAILED = 34
    XML_DETAIL = 35
    INVALID_NETWORK = 36
    NETWORK_EXIST = 37
    SYSTEM_ERROR = 38
    RPC = 39
    GNUTLS_ERROR = 40
    WAR_NO_NETWORK = 41
    NO_DOMAIN = 42
    NO_NETWORK = 43
    INVALID_MAC = 44
    AUTH_FAILED = 45
    INVALID_STORAGE_POOL = 46
    INVALID_STORAGE_VOL = 47
    WAR_NO_STORAGE = 48
    NO_STORAGE_POOL = 49
    NO_STORAGE_VOL = 50
    WAR_NO_NODE = 51
    INVALID_NODE_DEVICE = 52
    NO_NODE_DEVICE = 53
    NO_SECURITY_MODEL = 54
    OPERATION_INVALID = 55
    WAR_NO_INTERFACE = 56
    NO_INTERFACE = 57
    INVALID_INTERFACE = 58
    MULTIPLE_INTERFACES = 59
    WAR_NO_NWFILTER = 60
    INVALID_NWFILTER = 61
    NO_NWFILTER = 62
    BUILD_FIREWALL = 63
    WAR_NO_SECRET = 64
    INVALID_SECRET = 65
    NO_SECRET = 66
    CONFIG_UNSUPPORTED = 67
    OPERATION_TIMEOUT = 68
    MIGRATE_PERSIST_FAILED = 69
    HOOK_SCRIPT_FAILED = 70
    INVALID_DOMAIN_SNAPSHOT = 71
    NO_DOMAIN_SNAPSHOT = 72
    INVALID_STREAM = 73
    ARGUMENT_UNSUPPORTED = 74
    STORAGE_PROBE_FAILED = 75
    STORAGE_POOL_BUILT = 76
    SNAPSHOT_REVERT_RISKY = 77
    OPERATION_ABORTED = 78
    AUTH_CANCELLED = 79
    NO_DOMAIN_METADATA = 80
    MIGRATE_UNSAFE = 81
    OVERFLOW = 82
    BLOCK_COPY_ACTIVE = 83
    OPERATION_UNSUPPORTED = 84
    SSH = 85
    AGENT_UNRESPONSIVE = 86
    RESOURCE_BUSY = 87
    ACCESS_DENIED = 88
    DBUS_SERVICE = 89
    STORAGE_VOL_EXIST = 90
    CPU_INCOMPATIBLE = 91
    XML_INVALID_SCHEMA = 92
    MIGRATE_FINISH_OK = 93
    AUTH_UNAVAILABLE = 94
    NO_SERVER = 95
    NO_CLIENT = 96
    AGENT_UNSYNCED = 97
    LIBSSH = 98
    DEVICE_MISSING = 99
    INVALID_NWFILTER_BINDING = 100
    NO_NWFILTER_BINDING = 101
    INVALID_DOMAIN_CHECKPOINT = 102
    NO_DOMAIN_CHECKPOINT = 103
    NO_DOMAIN_BACKUP = 104
    INVALID_NETWORK_PORT = 105
    NETWORK_PORT_EXIST = 106
    NO_NETWORK_PORT = 107
    NO_HOSTNAME = 108
    CHECKPOINT_INCONSISTENT = 109
    MULTIPLE_DOMAINS = 110


class ErrorDomain(enum.IntEnum):
    """libvirt's virErrorDomain: which part of the stack raised the error."""

    NONE = 0
    XEN = 1
    XEND = 2
    XENSTORE = 3
    SEXPR = 4
    XML = 5
    DOM = 6
    RPC = 7
    PROXY = 8
    CONF = 9
    QEMU = 10
    NET = 11
    TEST = 12
    REMOTE = 13
    OPENVZ = 14
    XENXM = 15
    STATS_LINUX = 16
    LXC = 17
    STORAGE = 18
    NETWORK = 19
    DOMAIN = 20
    UML = 21
    NODEDEV = 22
    XEN_INOTIFY = 23
    SECURITY = 24
    VBOX = 25
    INTERFACE = 26
    ONE = 27
    ESX = 28
    PHYP = 29
    SECRET = 30
    CPU = 31
    XENAPI = 32
    NWFILTER = 33
    HOOK = 34
    DOMAIN_SNAPSHOT = 35
    AUDIT = 36
    SYSINFO = 37
    STREAMS = 38
    VMWARE = 39
    EVENT = 40
    LIBXL = 41
    LOCKING = 42
    HYPERV = 43
    CAPABILITIES = 44
    URI = 45
    AUTH = 46
    DBUS = 47
    PARALLELS = 48
    DEVICE = 49
    SSH = 50
    LOCKSPACE = 51
    INITCTL = 52
    IDENTITY = 53
    CGROUP = 54
    ACCESS = 55
    SYSTEMD = 56
    BHYVE = 57
    CRYPTO = 58
    FIREWALL = 59
    POLKIT = 60
    THREAD = 61
    ADMIN = 62
    LOGGING = 63
    XENXL = 64
    PERF = 65
    LIBSSH = 66
    RESCTRL = 67
    FIREWALLD = 68
    DOMAIN_CHECKPOINT = 69
    TPM = 70
    BPF = 71
    CH = 72


class VirtError(Exception):
    """Every error virt raises: a message for people, a stable code and domain for programs."""

    default_code = ErrorNumber.INTERNAL_ERROR

    def __init__(
        self,
        message: str,
        code: ErrorNumber | None = None,
        domain: ErrorDomain = ErrorDomain.NONE,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = self.default_code if code is None else code
        self.domain = domain

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.message!r}, code={self.code.name}, domain={self.domain.name})"


class NotFound(VirtError):
    """No object by that name, UUID or id (NO_DOMAIN, NO_NETWORK, NO_STORAGE_POOL, ...)."""

    default_code = ErrorNumber.NO_DOMAIN


class OperationInvalid(VirtError):
    """The operation does not fit the object's current state (starting a running domain, ...)."""

    default_code = ErrorNumber.OPERATION_INVALID


class OperationDenied(VirtError):
    """The connection may not change anything (read-only) or the ACL refuses the operation."""

    default_code = ErrorNumber.OPERATION_DENIED


class InvalidArgument(VirtError):
    """An argument of the call is wrong; the message names it."""

    default_code = ErrorNumber.INVALID_ARG


class XMLError(VirtError):
    """XML that cannot be parsed or does not describe a valid object; the message names the path."""

    default_code = ErrorNumber.XML_ERROR


class NotSupported(VirtError):
    """The driver lacks the operation; the message names the driver and the operation."""

    default_code = ErrorNumber.NO_SUPPORT


class AuthError(VirtError):
    """Authentication failed or was cancelled."""

    default_code = ErrorNumber.AUTH_FAILED


class ConnectionError(VirtError):
    """No driver could open the URI, or an open connection broke."""

    default_code = ErrorNumber.NO_CONNECT


class URIError(InvalidArgument):
    """A malformed URI; the message says which part is wrong."""


# The words libvirt puts before a message, by error number (its virErrorMsg): virsh prints the
# whole text, so drivers that speak like libvirt build their messages with them.
_LIBVIRT_PREFIXES = {
    ErrorNumber.INTERNAL_ERROR: "internal error",
    ErrorNumber.OPERATION_INVALID: "Requested operation is not valid",
    ErrorNumber.OPERATION_FAILED: "operation failed",
    ErrorNumber.NO_DOMAIN_SNAPSHOT: "Domain snapshot not found",
    ErrorNumber.NO_DOMAIN_CHECKPOINT: "Domain checkpoint not found",
    ErrorNumber.SNAPSHOT_REVERT_RISKY: "revert requires force",
    ErrorNumber.OPERATION_TIMEOUT: "Timed out during operation",
    ErrorNumber.INVALID_ARG: "invalid argument",
    ErrorNumber.XML_ERROR: "XML error",
    ErrorNumber.CONFIG_UNSUPPORTED: "unsupported configuration",
    ErrorNumber.NO_DOMAIN: "Domain not found",
    ErrorNumber.NO_NETWORK: "Network not found",
    ErrorNumber.NO_STORAGE_POOL: "Storage pool not found",
    ErrorNumber.NO_STORAGE_VOL: "Storage volume not found",
    ErrorNumber.NO_NODE_DEVICE: "Node device not found",
    ErrorNumber.NO_NWFILTER: "Network filter not found",
    ErrorNumber.NO_NWFILTER_BINDING: "Network filter binding not found",
    ErrorNumber.AUTH_FAILED: "authentication failed",
    ErrorNumber.RESOURCE_BUSY: "resource busy",
    ErrorNumber.ARGUMENT_UNSUPPORTED: "argument unsupported",
    ErrorNumber.AGENT_UNRESPONSIVE: "Guest agent is not responding",
    ErrorNumber.OPERATION_UNSUPPORTED: "Operation not supported",
    ErrorNumber.DEVICE_MISSING: "device not found",
    ErrorNumber.STORAGE_POOL_BUILT: "Storage pool already built",
    ErrorNumber.NO_HOSTNAME: "no hostname found",
    ErrorNumber.NO_INTERFACE: "Interface not found",
    ErrorNumber.MULTIPLE_INTERFACES: "multiple matching interfaces found",
    ErrorNumber.BLOCK_COPY_ACTIVE: "block copy still active",
    ErrorNumber.OVERFLOW: "numerical overflow",
}

_CLASSES: dict[ErrorNumber, type[VirtError]] = {
    ErrorNumber.OPERATION_INVALID: OperationInvalid,
    ErrorNumber.OPERATION_DENIED: OperationDenied,
    ErrorNumber.INVALID_ARG: InvalidArgument,
    ErrorNumber.XML_ERROR: XMLError,
    ErrorNumber.NO_NAME: XMLError,
    ErrorNumber.NO_SUPPORT: NotSupported,
    ErrorNumber.NO_DOMAIN: NotFound,
    ErrorNumber.NO_NETWORK: NotFound,
    ErrorNumber.NO_STORAGE_POOL: NotFound,
    ErrorNumber.NO_STORAGE_VOL: NotFound,
    ErrorNumber.NO_INTERFACE: NotFound,
    ErrorNumber.NO_NWFILTER: NotFound,
    ErrorNumber.NO_NWFILTER_BINDING: NotFound,
    ErrorNumber.AUTH_FAILED: AuthError,
    ErrorNumber.NO_CONNECT: ConnectionError,
}


def error_class(code: ErrorNumber) -> type[VirtError]:
    """The subclass of VirtError that stands for ``code`` (VirtError itself when none does)."""
    return _CLASSES.get(code, VirtError)


def unknown_cause() -> VirtError:
    """What a client sees when libvirt fails without reporting why (some of its parsers do)."""
    return VirtError("An error occurred, but the cause is unknown", ErrorNumber.INTERNAL_ERROR, ErrorDomain.NONE)


def libvirt_error(code: ErrorNumber, detail: str | None = None, domain: ErrorDomain = ErrorDomain.NONE) -> VirtError:
    """The exception libvirt raises for ``code`` with ``detail``, worded as libvirt words it (raise the result)."""
    prefix = _LIBVIRT_PREFIXES.get(code)
    if prefix is None:
        message = detail or code.name.lower().replace("_", " ")
    else:
        message = f"{prefix}: {detail}" if detail else prefix
    return error_class(code)(message, code, domain)

"""The values of the host calls beside the domain's lifecycle: native configuration formats
(virConnectDomainXMLFromNative/ToNative), CPU comparison (virConnectCompareCPU), power management
of the host and of guests (virNodeSuspendForDuration, virDomainPMSuspendForDuration, virDomainPMWakeup),
SCSI hosts by WWN (virNodeDeviceLookupSCSIHostByWWN) and a domain's security labels
(virDomainGetSecurityLabelList). The Python API is on ``virt.Connection`` and ``virt.Domain``."""

from __future__ import annotations

import enum
from collections.abc import Callable
from typing import TypeVar

from virt.errors import ErrorDomain, ErrorNumber, NotSupported

_T = TypeVar("_T")


class CPUCompareResult(enum.IntEnum):
    """virCPUCompareResult."""

    ERROR = -1
    INCOMPATIBLE = 0
    IDENTICAL = 1
    SUPERSET = 2


class CompareCPUFlags(enum.IntFlag):
    """virConnectCompareCPUFlags."""

    FAIL_INCOMPATIBLE = 1
    VALIDATE_XML = 2


class SuspendTarget(enum.IntEnum):
    """virNodeSuspendTarget (the host's and a guest's): to memory, to disk, or both (hybrid)."""

    MEM = 0
    DISK = 1
    HYBRID = 2


SUSPEND_TARGET_NAMES = {"mem": SuspendTarget.MEM, "disk": SuspendTarget.DISK, "hybrid": SuspendTarget.HYBRID}
"""virsh's words for the targets (dompmsuspend, nodesuspend)."""


def libvirt_words(api: str, error_domain: ErrorDomain, call: Callable[[], _T]) -> _T:
    """``call()``, a driver lacking the operation refusing in libvirt's library words
    ("this function is not supported by the connection driver: <api>"), as through a daemon."""
    try:
        return call()
    except NotSupported as exc:
        if not exc.message.startswith("this function is not supported by the connection driver '"):
            raise
        detail = f"this function is not supported by the connection driver: {api}"
        raise NotSupported(detail, ErrorNumber.NO_SUPPORT, error_domain) from None

"""The values of the host calls beside the domain's lifecycle: native configuration formats
(virConnectDomainXMLFromNative/ToNative), CPU comparison (virConnectCompareCPU), power management
of the host and of guests (virNodeSuspendForDuration, virDomainPMSuspendForDuration, virDomainPMWakeup),
SCSI hosts by WWN (virNodeDeviceLookupSCSIHostByWWN) and a domain's security labels
(virDomainGetSecurityLabelList). The Python API is on ``virt.Connection`` and ``virt.Domain``."""

from __future__ import annotations

import enum


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

"""virConnectBaselineCPU on the test driver: libvirt's testConnectBaselineCPU takes the expand flag
only and leaves the work to the CPU drivers (``virt.cpubaseline``)."""

from __future__ import annotations

from collections.abc import Sequence

from virt.cpubaseline import EXPAND_FEATURES, baseline_cpu
from virt.errors import ErrorDomain, ErrorNumber, InvalidArgument


class CPUBaselineOperations:
    """Mixed into TestConnection."""

    def baseline_cpu(self, xml_cpus: Sequence[str], flags: int) -> str:
        if flags & ~EXPAND_FEATURES:
            raise InvalidArgument(
                f"unsupported flags (0x{flags & ~EXPAND_FEATURES:x}) in function testConnectBaselineCPU",
                ErrorNumber.INVALID_ARG,
                ErrorDomain.TEST,
            )
        return baseline_cpu(xml_cpus, expand_features=bool(flags & EXPAND_FEATURES))

"""virConnectBaselineCPU (virsh cpu-baseline): the driver's baseline of the host CPUs sent."""

from __future__ import annotations

from typing import Any

from virt.errors import ErrorDomain, ErrorNumber, InvalidArgument
from virt.remote.procedure_numbers import RemoteProcedure as P

from .registry import Call, handles


@handles(P.CONNECT_BASELINE_CPU)
def baseline_cpu(call: Call) -> dict[str, Any]:
    xml_cpus = [str(text) for text in call.args["xmlCPUs"]]
    if not xml_cpus:
        # libvirtd hands an empty array on as NULL, which virConnectBaselineCPU itself refuses
        raise InvalidArgument(
            "xmlCPUs in virConnectBaselineCPU must not be NULL", ErrorNumber.INVALID_ARG, ErrorDomain.DOMAIN
        )
    return {"cpu": call.conn.baseline_cpu(xml_cpus, int(call.args["flags"]))}

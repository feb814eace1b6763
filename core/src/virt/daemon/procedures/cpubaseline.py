"""virConnectBaselineCPU (virsh cpu-baseline) and virConnectBaselineHypervisorCPU
(hypervisor-cpu-baseline): the driver's baseline of the host CPUs sent."""

from __future__ import annotations

from typing import Any

from virt.errors import ErrorDomain, ErrorNumber, InvalidArgument
from virt.remote.procedure_numbers import RemoteProcedure as P

from .registry import Call, handles


def _xml_cpus(call: Call, function: str) -> list[str]:
    xml_cpus = [str(text) for text in call.args["xmlCPUs"]]
    if not xml_cpus:
        # libvirtd hands an empty array on as NULL, which the API itself refuses
        raise InvalidArgument(f"xmlCPUs in {function} must not be NULL", ErrorNumber.INVALID_ARG, ErrorDomain.DOMAIN)
    return xml_cpus


@handles(P.CONNECT_BASELINE_CPU)
def baseline_cpu(call: Call) -> dict[str, Any]:
    xml_cpus = _xml_cpus(call, "virConnectBaselineCPU")
    return {"cpu": call.conn.baseline_cpu(xml_cpus, int(call.args["flags"]))}


@handles(P.CONNECT_BASELINE_HYPERVISOR_CPU)
def baseline_hypervisor_cpu(call: Call) -> dict[str, Any]:
    args = call.args
    xml_cpus = _xml_cpus(call, "virConnectBaselineHypervisorCPU")
    # the driver's own refusal, which the dispatcher words as libvirtd does when it lacks the call
    cpu = call.conn.driver.baseline_hypervisor_cpu(
        args["emulator"], args["arch"], args["machine"], args["virttype"], xml_cpus, int(args["flags"])
    )
    return {"cpu": cpu}

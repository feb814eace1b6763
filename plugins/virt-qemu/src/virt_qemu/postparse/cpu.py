"""The default CPU model libvirt writes into a definition without one (qemuDomainDefSetDefaultCPU).

QEMU 7.2's x86 machines report ``qemu64`` as their default CPU type (query-machines'
default-cpu-type); libvirt records it with every check off, since the model may not be runnable
as such on the host.
"""

from __future__ import annotations

from virt.xml import Domain
from virt.xml.domain import CPU, CPUModel

from virt_qemu.postparse import machine

X86_DEFAULT_MODEL = "qemu64"


def set_default(domain: Domain, model_name: str = X86_DEFAULT_MODEL) -> None:
    """``model_name``: the machine type's own default CPU where it has one (486 on isapc)."""
    cpu = domain.cpu
    if cpu is not None and ((cpu.mode or "custom") != "custom" or (cpu.model is not None and cpu.model.name)):
        return
    if not machine.is_x86(domain) or machine.machine_name(domain) in ("microvm",):
        return
    if cpu is None:
        cpu = domain.cpu = CPU()
    cpu.mode, cpu.match, cpu.check = "custom", "exact", "none"
    model = cpu.model or CPUModel()
    model.name, model.fallback = model_name, "forbid"
    cpu.model = model

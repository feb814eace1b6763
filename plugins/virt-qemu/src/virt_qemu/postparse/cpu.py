"""The default CPU model libvirt writes into a definition without one (qemuDomainDefSetDefaultCPU),
and how closely a CPU is compared with the host's at start (qemuDomainDefCPUPostParse).

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


def set_default_check(domain: Domain) -> None:
    """A CPU without ``check`` gets libvirt's: none for host-passthrough and maximum (nothing to
    compare), partial for host-model; a custom model is compared (partially) under KVM only, TCG
    runs any model. A <cpu> with no model (topology, NUMA cells) is left as written."""
    cpu = domain.cpu
    if cpu is None or cpu.check is not None:
        return
    mode = cpu.mode or "custom"
    if mode == "custom" and (cpu.model is None or not cpu.model.name):
        return
    if mode in ("host-passthrough", "maximum"):
        cpu.check = "none"
    elif mode == "host-model":
        cpu.check = "partial"
    elif mode == "custom":
        cpu.check = "none" if domain.type == "qemu" else "partial"


def set_migratable(domain: Domain) -> None:
    """An x86 host-passthrough CPU says whether it may migrate: libvirt records ``migratable='on'``
    when the binary's host CPU has that property (every x86 QEMU since 2.12, all virt-qemu builds for),
    so the guest keeps QEMU's migratable feature set after an upgrade that would change the default."""
    cpu = domain.cpu
    if cpu is not None and cpu.mode == "host-passthrough" and cpu.migratable is None and machine.is_x86(domain):
        cpu.migratable = "on"

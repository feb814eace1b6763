"""QemuConnection: one open ``qemu:///system`` or ``qemu:///session`` connection.

It is a thin door onto the process's shared driver instance for that URI (``driver.acquire``),
which owns the state folder and the QEMU processes; closing the last connection lets go of the
instance, never of the guests.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from virt.errors import ErrorDomain, ErrorNumber, InvalidArgument, VirtError
from virt.localstate.connection import LocalConnection
from virt.localstate.networks import LocalNetworkOperations

from virt_qemu import errors
from virt_qemu.agentcalls import QemuAgentCalls
from virt_qemu.blockjobcalls import QemuBlockJobOperations
from virt_qemu.controlcalls import QemuControlOperations
from virt_qemu.displaycalls import QemuDisplayOperations
from virt_qemu.driver import QemuDriver, acquire, release
from virt_qemu.guestcalls import QemuGuestOperations
from virt_qemu.hostcalls import QemuHostCalls
from virt_qemu.hotplug import QemuDeviceOperations
from virt_qemu.migrationcalls import QemuMigrationOperations
from virt_qemu.paths import DriverPaths
from virt_qemu.savecalls import QemuSaveOperations
from virt_qemu.snapshotcalls import QemuSnapshotOperations
from virt_qemu.statscalls import QemuStatsOperations
from virt_qemu.tuning import QemuTuningOperations

if TYPE_CHECKING:
    from collections.abc import Sequence

    from virt.driver import DomainRef
    from virt.uri import URI
    from virt.xml import Capabilities, DomainCapabilities


TCG_MAX_VCPUS = 16
"""What libvirt's QEMU driver answers virConnectGetMaxVcpus for TCG guests (or no type)."""
KVM_FALLBACK_VCPUS = 4
"""KVM's documented limit for a kernel that tells none (libvirt's virHostCPUGetKVMMaxVCPUs)."""


class QemuConnection(
    LocalNetworkOperations,
    QemuMigrationOperations,
    QemuDisplayOperations,
    QemuStatsOperations,
    QemuTuningOperations,
    QemuGuestOperations,
    QemuAgentCalls,
    QemuControlOperations,
    QemuSaveOperations,
    QemuSnapshotOperations,
    QemuDeviceOperations,
    QemuHostCalls,
    QemuBlockJobOperations,
    LocalConnection[QemuDriver],
):
    """The lookups, definitions, lifecycle and properties of domains are ``LocalConnection``'s; displays,
    statistics, changes and the guest's answers are the mixins'."""

    driver_name = "QEMU"
    error_domain = ErrorDomain.QEMU

    def __init__(self, uri: URI, *, readonly: bool = False) -> None:
        super().__init__(uri, readonly=readonly)
        if uri.host or uri.transport:
            raise errors.error(ErrorNumber.INVALID_ARG, f"the QEMU driver serves local URIs only, not {uri}")
        self._driver = acquire(DriverPaths.for_uri(uri))

    @property
    def qemu(self) -> QemuDriver:
        return self.local

    def _release(self, driver: QemuDriver) -> None:
        release(driver)

    # -- host -------------------------------------------------------------------------------------
    def get_version(self) -> int:
        _, caps = self.qemu.binary_and_caps(None, None)
        major, minor, micro = caps.version
        return major * 1_000_000 + minor * 1_000 + micro

    def get_capabilities(self) -> Capabilities:
        from virt_qemu.capsxml import host_capabilities

        return host_capabilities(self.qemu.all_caps())

    def get_domain_capabilities(
        self,
        *,
        emulator: str | None = None,
        arch: str | None = None,
        machine: str | None = None,
        virt_type: str | None = None,
    ) -> DomainCapabilities:
        from virt_qemu.capsxml import domain_capabilities

        _, caps = self.qemu.binary_and_caps(arch, emulator)
        if arch is not None and arch != caps.arch:
            raise errors.error(ErrorNumber.INVALID_ARG, f"emulator '{caps.binary}' does not support arch '{arch}'")
        virt_type = virt_type or ("kvm" if caps.kvm else "qemu")
        if virt_type not in ("kvm", "qemu"):
            raise errors.error(ErrorNumber.INVALID_ARG, f"unknown virttype: {virt_type}")
        if virt_type == "kvm" and not caps.kvm:
            raise errors.error(ErrorNumber.CONFIG_UNSUPPORTED, "KVM is not available on this host")
        return domain_capabilities(caps, machine, virt_type)

    def get_max_vcpus(self, virt_type: str | None) -> int:
        """As libvirt's QEMU driver: 16 for TCG, what /dev/kvm says for KVM (qemuConnectGetMaxVcpus)."""
        from virt_qemu.capsxml import kvm_max_vcpus

        if virt_type is None or virt_type.lower() == "qemu":
            return TCG_MAX_VCPUS
        if virt_type.lower() == "kvm":
            if not os.access("/dev/kvm", os.R_OK):
                raise VirtError("Unable to open /dev/kvm: No such file or directory", ErrorNumber.SYSTEM_ERROR)
            return kvm_max_vcpus() or KVM_FALLBACK_VCPUS
        raise errors.error(ErrorNumber.INVALID_ARG, f"unknown type '{virt_type}'")

    def get_cpu_model_names(self, arch: str, flags: int) -> list[str]:
        from virt import cpumodels

        if flags:
            raise InvalidArgument(
                f"unsupported flags (0x{flags:x}) in function qemuConnectGetCPUModelNames",
                ErrorNumber.INVALID_ARG,
                ErrorDomain.QEMU,
            )
        return cpumodels.models(arch, ErrorDomain.QEMU)

    def baseline_cpu(self, xml_cpus: Sequence[str], flags: int) -> str:
        """qemuConnectBaselineCPU: the CPU drivers' baseline, its features expanded, and the
        non-migratable ones left out, as the flags ask."""
        from virt.cpubaseline import EXPAND_FEATURES, MIGRATABLE, baseline_cpu

        if flags & ~(EXPAND_FEATURES | MIGRATABLE):
            raise InvalidArgument(
                f"unsupported flags (0x{flags & ~(EXPAND_FEATURES | MIGRATABLE):x}) in function qemuConnectBaselineCPU",
                ErrorNumber.INVALID_ARG,
                ErrorDomain.QEMU,
            )
        return baseline_cpu(
            xml_cpus, expand_features=bool(flags & EXPAND_FEATURES), migratable=bool(flags & MIGRATABLE)
        )

    # -- lifecycle (the rest is LocalConnection's) ---------------------------------------------------
    def rename_domain(self, ref: DomainRef, new_name: str, flags: int) -> None:
        if flags:
            raise InvalidArgument(
                f"unsupported flags (0x{flags:x}) in function qemuDomainRename",
                ErrorNumber.INVALID_ARG,
                ErrorDomain.QEMU,
            )
        if "/" in new_name:
            raise errors.error(ErrorNumber.XML_ERROR, f"name {new_name} cannot contain '/'")
        self.qemu.rename(ref, new_name)

    def reset_domain(self, ref: DomainRef) -> None:
        self.qemu.reset(ref)

"""QemuConnection: one open ``qemu:///system`` or ``qemu:///session`` connection.

It is a thin door onto the process's shared driver instance for that URI (``driver.acquire``),
which owns the state folder and the QEMU processes; closing the last connection lets go of the
instance, never of the guests.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from virt.errors import ErrorDomain, ErrorNumber
from virt.localstate.connection import LocalConnection
from virt.localstate.networks import LocalNetworkOperations

from virt_qemu import errors
from virt_qemu.displaycalls import QemuDisplayOperations
from virt_qemu.driver import QemuDriver, acquire, release
from virt_qemu.guestcalls import QemuGuestOperations
from virt_qemu.paths import DriverPaths
from virt_qemu.savecalls import QemuSaveOperations
from virt_qemu.statscalls import QemuStatsOperations
from virt_qemu.tuning import QemuTuningOperations

if TYPE_CHECKING:
    from virt.driver import DomainRef
    from virt.uri import URI
    from virt.xml import Capabilities, DomainCapabilities


class QemuConnection(
    LocalNetworkOperations,
    QemuDisplayOperations,
    QemuStatsOperations,
    QemuTuningOperations,
    QemuGuestOperations,
    QemuSaveOperations,
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

    # -- lifecycle (the rest is LocalConnection's) ---------------------------------------------------
    def reset_domain(self, ref: DomainRef) -> None:
        self.qemu.reset(ref)

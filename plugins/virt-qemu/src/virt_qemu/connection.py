"""QemuConnection: one open ``qemu:///system`` or ``qemu:///session`` connection.

It is a thin door onto the process's shared driver instance for that URI (``driver.acquire``),
which owns the state folder and the QEMU processes; closing the last connection lets go of the
instance, never of the guests.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING

from virt.driver import DomainRef, DriverConnection
from virt.errors import ErrorDomain, ErrorNumber
from virt.localstate import hostinfo

from virt_qemu import errors
from virt_qemu.driver import QemuDriver, acquire, release
from virt_qemu.paths import DriverPaths

if TYPE_CHECKING:
    from virt.events import DomainEvent
    from virt.info import DomainFilter, DomainInfo, NodeInfo
    from virt.states import DomainState, ShutdownMode
    from virt.uri import URI
    from virt.xml import Capabilities, Domain, DomainCapabilities

    from virt_qemu.runtime import DomainObj


def _ref(obj: DomainObj) -> DomainRef:
    return DomainRef(name=obj.name, uuid=obj.uuid, id=obj.id)


class QemuConnection(DriverConnection):
    driver_name = "QEMU"
    error_domain = ErrorDomain.QEMU

    def __init__(self, uri: URI, *, readonly: bool = False) -> None:
        super().__init__(uri, readonly=readonly)
        if uri.host or uri.transport:
            raise errors.error(ErrorNumber.INVALID_ARG, f"the QEMU driver serves local URIs only, not {uri}")
        self._driver: QemuDriver | None = acquire(DriverPaths.for_uri(uri))
        self._unsubscribes: list[Callable[[], None]] = []

    @property
    def qemu(self) -> QemuDriver:
        assert self._driver is not None, "the connection is closed"
        return self._driver

    def close(self) -> None:
        if self._driver is not None:
            # the instance outlives this connection when others share it: stop its events reaching us
            for unsubscribe in self._unsubscribes:
                unsubscribe()
            self._unsubscribes.clear()
            driver, self._driver = self._driver, None
            release(driver)

    # -- events -----------------------------------------------------------------------------------
    def subscribe_domain_events(self, callback: Callable[[DomainEvent], None]) -> Callable[[], None]:
        """Events of the process's driver instance (every connection's changes, and QEMU's own),
        delivered by the instance's event hub thread."""
        unsubscribe = self.qemu.events.subscribe(callback)
        self._unsubscribes.append(unsubscribe)
        return unsubscribe

    # -- host -------------------------------------------------------------------------------------
    def get_version(self) -> int:
        _, caps = self.qemu.binary_and_caps(None, None)
        major, minor, micro = caps.version
        return major * 1_000_000 + minor * 1_000 + micro

    def get_hostname(self) -> str:
        return hostinfo.hostname()

    def get_node_info(self) -> NodeInfo:
        return hostinfo.node_info()

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
            raise errors.error(
                ErrorNumber.INVALID_ARG, f"emulator '{caps.binary}' does not support arch '{arch}'"
            )
        virt_type = virt_type or ("kvm" if caps.kvm else "qemu")
        if virt_type not in ("kvm", "qemu"):
            raise errors.error(ErrorNumber.INVALID_ARG, f"unknown virttype: {virt_type}")
        if virt_type == "kvm" and not caps.kvm:
            raise errors.error(ErrorNumber.CONFIG_UNSUPPORTED, "KVM is not available on this host")
        return domain_capabilities(caps, machine, virt_type)

    # -- lookups ----------------------------------------------------------------------------------
    def list_domains(self, filter: DomainFilter) -> list[DomainRef]:
        return [_ref(obj) for obj in self.qemu.listing(filter)]

    def lookup_domain_by_name(self, name: str) -> DomainRef:
        obj = self.qemu.by_name(name)
        if obj is None:
            raise errors.no_domain(f"no domain with matching name '{name}'")
        return _ref(obj)

    def lookup_domain_by_uuid(self, uuid: uuid.UUID) -> DomainRef:
        obj = self.qemu.by_uuid(uuid)
        if obj is None:
            raise errors.no_domain(f"no domain with matching uuid '{uuid}'")
        return _ref(obj)

    def lookup_domain_by_id(self, id: int) -> DomainRef:
        obj = self.qemu.by_id(id)
        if obj is None:
            raise errors.no_domain(f"no domain with matching id {id}")
        return _ref(obj)

    # -- definitions ------------------------------------------------------------------------------
    def define_domain(self, domain: Domain) -> DomainRef:
        return _ref(self.qemu.define(domain))

    def create_domain(self, domain: Domain) -> DomainRef:
        return _ref(self.qemu.create(domain))

    def undefine_domain(self, ref: DomainRef) -> None:
        self.qemu.undefine(ref)

    def get_domain_definition(self, ref: DomainRef, *, inactive: bool = False, secure: bool = False) -> Domain:
        return self.qemu.definition(ref, inactive=inactive)

    # -- lifecycle --------------------------------------------------------------------------------
    def start_domain(self, ref: DomainRef) -> None:
        self.qemu.start(ref)

    def shutdown_domain(self, ref: DomainRef, mode: ShutdownMode) -> None:
        self.qemu.shutdown(ref, mode)

    def reboot_domain(self, ref: DomainRef, mode: ShutdownMode) -> None:
        self.qemu.reboot(ref, mode)

    def reset_domain(self, ref: DomainRef) -> None:
        self.qemu.reset(ref)

    def destroy_domain(self, ref: DomainRef) -> None:
        self.qemu.destroy(ref)

    def suspend_domain(self, ref: DomainRef) -> None:
        self.qemu.suspend(ref)

    def resume_domain(self, ref: DomainRef) -> None:
        self.qemu.resume(ref)

    # -- state and properties ---------------------------------------------------------------------
    def get_domain_state(self, ref: DomainRef) -> tuple[DomainState, int]:
        obj = self.qemu.find(ref)
        with obj.lock:
            return obj.state, obj.reason

    def get_domain_info(self, ref: DomainRef) -> DomainInfo:
        return self.qemu.info(ref)

    def get_domain_os_type(self, ref: DomainRef) -> str:
        self.qemu.find(ref)
        return "hvm"

    def is_domain_active(self, ref: DomainRef) -> bool:
        return self.qemu.find(ref).active

    def is_domain_persistent(self, ref: DomainRef) -> bool:
        return self.qemu.find(ref).persistent

    def get_domain_autostart(self, ref: DomainRef) -> bool:
        return self.qemu.find(ref).autostart

    def set_domain_autostart(self, ref: DomainRef, autostart: bool) -> None:
        self.qemu.set_autostart(ref, bool(autostart))

    def has_managed_save(self, ref: DomainRef) -> bool:
        self.qemu.find(ref)
        return False  # managed save is not implemented yet

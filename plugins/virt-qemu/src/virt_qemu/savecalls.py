"""The saved-state calls of ``qemu:///`` connections (a mixin of QemuConnection): save and restore,
managed save, the save images' XML and start's FORCE_BOOT, with libvirt 9.0's flags and words;
the work is the driver's (``savestate``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from virt.domainsave import SaveFlags, StartFlags
from virt.errors import ErrorNumber

from virt_qemu import errors

if TYPE_CHECKING:
    from virt.driver import DomainRef

    from virt_qemu.driver import QemuDriver

_SAVE_TAKEN = SaveFlags.BYPASS_CACHE | SaveFlags.RUNNING | SaveFlags.PAUSED
_START_TAKEN = StartFlags.FORCE_BOOT | StartFlags.PAUSED


def _check(flags: int, taken: int, function: str) -> None:
    refused = flags & ~taken
    if refused:
        raise errors.error(ErrorNumber.INVALID_ARG, f"unsupported flags (0x{int(refused):x}) in function {function}")


def _shown(xml: str, secure: bool) -> str:
    """The image's definition as a dump shows it: without its secrets (display passwords...) unless
    ``secure`` (the image itself keeps them, as libvirt's does)."""
    if secure:
        return xml
    from virt.xml import Domain

    definition = Domain.from_xml(xml)
    definition.hide_secrets()
    return definition.to_xml()


class QemuSaveOperations:
    """The save, restore and managed-save methods of QemuConnection."""

    if TYPE_CHECKING:

        @property
        def qemu(self) -> QemuDriver: ...

    def start_domain_flags(self, ref: DomainRef, flags: StartFlags) -> None:
        _check(flags & ~StartFlags.BYPASS_CACHE, _START_TAKEN, "qemuDomainCreateWithFlags")
        self.qemu.start(
            ref,
            force_boot=bool(flags & StartFlags.FORCE_BOOT),
            paused=bool(flags & StartFlags.PAUSED),
            bypass_cache=bool(flags & StartFlags.BYPASS_CACHE),
        )

    def managed_save_domain(self, ref: DomainRef, flags: SaveFlags) -> None:
        _check(flags, _SAVE_TAKEN, "qemuDomainManagedSave")
        self.qemu.managed_save(ref, flags)

    def remove_managed_save(self, ref: DomainRef) -> None:
        self.qemu.remove_managed_save(ref)

    def get_managed_save_xml(self, ref: DomainRef, secure: bool) -> str:
        return _shown(self.qemu.managed_save_xml(ref), secure)

    def define_managed_save_xml(self, ref: DomainRef, xml: str | None, flags: SaveFlags) -> None:
        _check(flags, SaveFlags.RUNNING | SaveFlags.PAUSED, "qemuDomainManagedSaveDefineXML")
        self.qemu.define_managed_save_xml(ref, xml, flags)

    def save_domain(self, ref: DomainRef, path: str, xml: str | None, flags: SaveFlags) -> None:
        _check(flags, _SAVE_TAKEN, "qemuDomainSaveFlags")
        self.qemu.save(ref, path, xml, flags)

    def restore_domain(self, path: str, xml: str | None, flags: SaveFlags) -> None:
        _check(flags, _SAVE_TAKEN, "qemuDomainRestoreFlags")
        self.qemu.restore(path, xml, flags)

    def get_save_image_xml(self, path: str, secure: bool) -> str:
        return _shown(self.qemu.save_image_xml(path), secure)

    def define_save_image_xml(self, path: str, xml: str, flags: SaveFlags) -> None:
        _check(flags, SaveFlags.RUNNING | SaveFlags.PAUSED, "qemuDomainSaveImageDefineXML")
        self.qemu.define_save_image_xml(path, xml, flags)

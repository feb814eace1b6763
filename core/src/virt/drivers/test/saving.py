"""Save and restore of libvirt 9.0's test driver (a mixin of TestConnection), as observed with
python3-libvirt on test:///default.

Its save file is its own: the magic ``TestGuestMagic`` with its NUL, the XML's length (a 32-bit
int in the host's byte order), then the running definition's XML. A restore starts the domain
running whatever state it was saved in (the test driver keeps none), as a transient domain when
it is not defined. It takes no flags; it has no managed-save XML calls (not supported, in the library's words).
"""

from __future__ import annotations

import os
import struct
from typing import TYPE_CHECKING

from virt.domainsave import SaveFlags
from virt.drivers.test import errors
from virt.errors import ErrorDomain, ErrorNumber, InvalidArgument, NotSupported, VirtError
from virt.events import DomainEventType, StartedDetail, StoppedDetail
from virt.states import DomainState, RunningReason, ShutoffReason

if TYPE_CHECKING:
    from contextlib import _GeneratorContextManager

    from virt.domainsave import StartFlags
    from virt.driver import DomainRef
    from virt.drivers.test.host import Host
    from virt.drivers.test.objects import DomainObj
    from virt.xml import Domain

MAGIC = b"TestGuestMagic\0"
_LENGTH = struct.Struct("=i")


def _unsupported(flags: int, function: str) -> VirtError:
    return InvalidArgument(
        f"unsupported flags (0x{flags:x}) in function {function}", ErrorNumber.INVALID_ARG, ErrorDomain.TEST
    )


def _no_flags(flags: int, function: str) -> None:
    if flags:
        raise _unsupported(int(flags), function)


def _system_error(detail: str, exc: OSError) -> VirtError:
    return errors.error(ErrorNumber.SYSTEM_ERROR, f"{detail}: {exc.strerror or exc}")


def _lacks(api: str) -> VirtError:
    """libvirt's test driver has no such call: the library's own words for it."""
    return NotSupported(f"this function is not supported by the connection driver: {api}", domain=ErrorDomain.DOMAIN)


def read_image(path: str) -> str:
    """The XML of the test driver's save file ``path`` (its checks, its words)."""
    try:
        with open(path, "rb") as file:
            head = file.read(len(MAGIC) + _LENGTH.size)
            if len(head) < len(MAGIC):
                raise errors.error(ErrorNumber.SYSTEM_ERROR, f"incomplete save header in '{path}'")
            if head[: len(MAGIC)] != MAGIC:
                raise errors.internal("mismatched header magic")
            if len(head) < len(MAGIC) + _LENGTH.size:
                raise errors.error(ErrorNumber.SYSTEM_ERROR, f"failed to read metadata length in '{path}'")
            (length,) = _LENGTH.unpack(head[len(MAGIC) :])
            if length < 1 or length > 8192 * 1024:
                raise errors.internal("length of metadata out of range")
            xml = file.read(length)
            if len(xml) != length:
                raise errors.error(ErrorNumber.SYSTEM_ERROR, f"incomplete metadata in '{path}'")
    except OSError as exc:
        raise _system_error(f"cannot read domain image '{path}'", exc) from exc
    return xml.decode(errors="replace")


def write_image(path: str, xml: str, name: str) -> None:
    data = xml.encode()
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o600)
    except OSError as exc:
        raise _system_error(f"saving domain '{name}' to '{path}': open failed", exc) from exc
    try:
        os.write(fd, MAGIC + _LENGTH.pack(len(data)) + data)
    except OSError as exc:
        raise _system_error(f"saving domain '{name}' to '{path}': write failed", exc) from exc
    finally:
        os.close(fd)


class SaveOperations:
    """virDomainSave(Flags), virDomainRestore(Flags), the save-image XML calls and start's flags."""

    if TYPE_CHECKING:
        host: Host

        def _changing(self) -> _GeneratorContextManager[None]: ...
        def _domain(self, ref: DomainRef) -> DomainObj: ...
        def _event(self, obj: DomainObj, type_: DomainEventType, detail: int) -> None: ...
        def _stop(self, obj: DomainObj, reason: ShutoffReason, detail: StoppedDetail) -> None: ...
        def get_domain_xml(self, ref: DomainRef, *, inactive: bool = False, secure: bool = False) -> str: ...

    def start_domain_flags(self, ref: DomainRef, flags: StartFlags) -> None:
        _no_flags(flags, "testDomainCreateWithFlags")

    def save_domain(self, ref: DomainRef, path: str, xml: str | None, flags: SaveFlags) -> None:
        _no_flags(flags, "testDomainSaveFlags")
        if xml is not None:
            raise errors.error(ErrorNumber.ARGUMENT_UNSUPPORTED, "xml modification unsupported")
        from virt.drivers.test.domains import ref_of

        with self._changing():
            obj = self._domain(ref)
            if not obj.active or obj.state == DomainState.SHUTOFF:
                raise errors.error(ErrorNumber.OPERATION_INVALID, "domain is not running", ErrorDomain.DOMAIN)
            write_image(path, self.get_domain_xml(ref_of(obj), secure=True), obj.name)
            self._stop(obj, ShutoffReason.SAVED, StoppedDetail.SAVED)

    def restore_domain(self, path: str, xml: str | None, flags: SaveFlags) -> None:
        _no_flags(flags, "testDomainRestoreFlags")
        if xml is not None:
            raise errors.error(ErrorNumber.ARGUMENT_UNSUPPORTED, "xml modification unsupported")
        from virt.drivers.test.domains import add, prepare, start
        from virt.xml import Domain

        definition = prepare(Domain.from_xml(read_image(path)))
        with self._changing():
            obj = add(self.host, definition, live=True)
            start(self.host, obj, RunningReason.RESTORED, definition)
            self._event(obj, DomainEventType.STARTED, StartedDetail.RESTORED)

    def get_save_image_xml(self, path: str, secure: bool) -> str:
        return self._image_definition(path).to_xml()

    def define_save_image_xml(self, path: str, xml: str, flags: SaveFlags) -> None:
        # RUNNING and PAUSED are taken and mean nothing: a restore always runs the domain
        _no_flags(flags & ~(SaveFlags.RUNNING | SaveFlags.PAUSED), "testDomainSaveImageDefineXML")
        from virt.xml import Domain

        saved = self._image_definition(path)
        # libvirt's test driver takes any domain here (no check that it is the saved guest)
        write_image(path, Domain.from_xml(xml).to_xml(), saved.name or "")

    def get_managed_save_xml(self, ref: DomainRef, secure: bool) -> str:
        raise _lacks("virDomainManagedSaveGetXMLDesc")

    def define_managed_save_xml(self, ref: DomainRef, xml: str | None, flags: SaveFlags) -> None:
        raise _lacks("virDomainManagedSaveDefineXML")

    @staticmethod
    def _image_definition(path: str) -> Domain:
        from virt.drivers.test import models
        from virt.xml import Domain

        definition = Domain.from_xml(read_image(path))
        definition.id = None
        models.complete_domain(definition)
        return definition

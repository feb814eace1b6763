"""The values and shared rules of saving a domain's state: virDomainSave(Flags), virDomainRestore(Flags),
the save-image XML calls, managed save's XML calls, and the start flags that decide whether a
managed save image is used.

The rules (which flags go together, what a replacement XML may change, relative paths) are the
ones every driver applies the same way; the words of the errors are libvirt's.
"""

from __future__ import annotations

import enum
import os
from typing import TYPE_CHECKING

from virt.domainchanges import SaveFlags
from virt.errors import ErrorDomain, ErrorNumber, InvalidArgument, libvirt_error

if TYPE_CHECKING:
    from virt.xml import Domain

__all__ = ["SaveFlags", "SaveImageXMLFlags", "StartFlags"]


class StartFlags(enum.IntFlag):
    """virDomainCreateFlags."""

    NONE = 0
    PAUSED = 1
    AUTODESTROY = 2
    BYPASS_CACHE = 4
    FORCE_BOOT = 8
    VALIDATE = 16
    RESET_NVRAM = 32


class SaveImageXMLFlags(enum.IntFlag):
    """virDomainSaveImageXMLFlags (the managed-save XML calls take the same)."""

    NONE = 0
    SECURE = 1


def check_running_paused(flags: int) -> None:
    """RUNNING and PAUSED together: libvirt's VIR_EXCLUSIVE_FLAGS error."""
    if flags & SaveFlags.RUNNING and flags & SaveFlags.PAUSED:
        raise InvalidArgument(
            "Flags 'VIR_DOMAIN_SAVE_RUNNING' and 'VIR_DOMAIN_SAVE_PAUSED' are mutually exclusive",
            ErrorNumber.INVALID_ARG,
            ErrorDomain.DOMAIN,
        )


def absolute(path: str) -> str:
    """``path`` made absolute against the caller's working directory: the file is opened by another
    process (the daemon, the driver), as libvirt's client library does with virFileAbsPath."""
    if not path:
        raise InvalidArgument("path must not be empty", ErrorNumber.INVALID_ARG, ErrorDomain.DOMAIN)
    if "\0" in path:
        raise InvalidArgument("path must not contain NUL characters", ErrorNumber.INVALID_ARG, ErrorDomain.DOMAIN)
    return os.path.abspath(path)  # noqa: PTH100 - normalised, symlinks kept (resolve() would follow them)


def replacement_fits(saved: Domain, replacement: Domain) -> None:
    """A replacement XML (``dxml``) must describe the same guest as the saved one (the state in the
    image only fits that guest): libvirt's ABI stability check, for what a save image depends on most
    (identity, memory, processors); the words are libvirt's."""
    checks = (
        ("uuid", replacement.uuid, saved.uuid),
        ("name", replacement.name, saved.name),
        ("max memory", replacement.memory, saved.memory),
        ("vCPU max", _vcpus(replacement), _vcpus(saved)),
    )
    for what, target, source in checks:
        if target != source:
            quoted = what == "name"
            shown = (f"'{target}'", f"'{source}'") if quoted else (str(target), str(source))
            raise libvirt_error(
                ErrorNumber.CONFIG_UNSUPPORTED,
                f"Target domain {what} {shown[0]} does not match source {shown[1]}",
                ErrorDomain.DOMAIN,
            )


def _vcpus(domain: Domain) -> int | None:
    return domain.vcpu.count if domain.vcpu is not None else None

"""The errors of the bhyve-argv converters, worded as libvirt's bhyve driver words them."""

from __future__ import annotations

from virt.errors import ErrorDomain, ErrorNumber, VirtError, libvirt_error


def unsupported(detail: str) -> VirtError:
    """What bhyve (or libvirt's bhyve driver) cannot do: VIR_ERR_CONFIG_UNSUPPORTED."""
    return libvirt_error(ErrorNumber.CONFIG_UNSUPPORTED, detail, ErrorDomain.BHYVE)


def failed(detail: str) -> VirtError:
    """A command line that cannot be read: VIR_ERR_OPERATION_FAILED, naming the argument."""
    return libvirt_error(ErrorNumber.OPERATION_FAILED, detail, ErrorDomain.BHYVE)


def invalid_arg(detail: str) -> VirtError:
    return libvirt_error(ErrorNumber.INVALID_ARG, detail, ErrorDomain.BHYVE)


def internal(detail: str) -> VirtError:
    return libvirt_error(ErrorNumber.INTERNAL_ERROR, detail, ErrorDomain.BHYVE)


def xml_error(detail: str) -> VirtError:
    return libvirt_error(ErrorNumber.XML_ERROR, detail, ErrorDomain.BHYVE)

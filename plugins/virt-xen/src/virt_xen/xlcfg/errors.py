"""The errors of the converters: every one names what is wrong, and a config's names its line."""

from __future__ import annotations

from virt.errors import ErrorDomain, ErrorNumber, VirtError


def malformed(key: str, line: int, detail: str) -> VirtError:
    """A setting whose value the mapping cannot take (libvirt: 'config value KEY was malformed')."""
    return VirtError(
        f"config value {key} was malformed (line {line}): {detail}", ErrorNumber.CONF_SYNTAX, ErrorDomain.XENXL
    )


def missing(key: str, why: str) -> VirtError:
    """A setting the config must have and has not (there is no line to name)."""
    return VirtError(f"config value {key} was missing: {why}", ErrorNumber.CONF_SYNTAX, ErrorDomain.XENXL)


def unsupported(detail: str) -> VirtError:
    """Something a domain (or a config) says that the format cannot say (libvirt's CONFIG_UNSUPPORTED)."""
    return VirtError(f"unsupported configuration: {detail}", ErrorNumber.CONFIG_UNSUPPORTED, ErrorDomain.XENXL)


class BadValue(Exception):
    """A value inside a setting (a disk spec, a vif spec...) that is wrong; the reader turns it
    into a VirtError naming the setting and its line."""

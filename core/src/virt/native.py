"""Domain XML to and from the native configuration formats plugins register (``virt domxml-to-native``)."""

from __future__ import annotations

from virt.errors import NotSupported
from virt.plugins import Plugins, get_plugins
from virt.registry import NativeFormat


def _format(name: str, plugins: Plugins | None) -> NativeFormat:
    registry = (plugins or get_plugins()).native_formats
    found = registry.get(name)
    if found is None:
        known = ", ".join(sorted(f.name for f in registry)) or "none"
        raise NotSupported(f"native format '{name}' is not supported (installed formats: {known})")
    return found


def from_native(format: str, text: str, *, plugins: Plugins | None = None) -> str:
    """Domain XML for ``text``, a configuration in native ``format``."""
    return _format(format, plugins).converter("from_native")(text).to_xml()  # type: ignore[no-any-return]


def to_native(format: str, xml: str, *, plugins: Plugins | None = None) -> str:
    """The configuration in native ``format`` for domain ``xml``."""
    from virt.xml import Domain

    return _format(format, plugins).converter("to_native")(Domain.from_xml(xml))  # type: ignore[no-any-return]

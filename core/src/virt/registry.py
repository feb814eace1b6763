"""The typed registry that ``register_drivers`` hooks fill in, and the lookup of a driver for a URI."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

import attrs

from virt.errors import ConnectionError, ErrorNumber, VirtError

if TYPE_CHECKING:
    from virt.driver import DriverConnection
    from virt.uri import URI

ConnectionFactory = type["DriverConnection"] | str
"""A DriverConnection subclass, or ``"module:Class"`` so that heavy imports wait for the first open."""


@attrs.frozen
class DriverSpec:
    """One registered driver."""

    name: str
    schemes: tuple[str, ...]
    connection: ConnectionFactory = attrs.field(repr=False)
    probe: Callable[[], str | None] | None = attrs.field(default=None, repr=False)
    """Returns the URI this driver would serve by default on this host, or None."""
    plugin: str = ""
    remote: bool = False
    """True for the driver that serves URIs with a transport or a host."""

    def connection_class(self) -> type[DriverConnection]:
        """The DriverConnection subclass, imported on first use."""
        if not isinstance(self.connection, str):
            return self.connection
        module_name, _, attr = self.connection.partition(":")
        try:
            return getattr(importlib.import_module(module_name), attr)  # type: ignore[no-any-return]
        except (ImportError, AttributeError) as exc:
            raise ConnectionError(
                f"driver '{self.name}' of plugin '{self.plugin}' cannot be loaded: {type(exc).__name__}: {exc}",
                ErrorNumber.NO_CONNECT,
            ) from exc


class DriverRegistry:
    """What ``register_drivers`` hooks receive: call it to add a driver."""

    def __init__(self) -> None:
        self._drivers: dict[str, DriverSpec] = {}
        self.current_plugin = ""

    def __call__(
        self,
        name: str,
        *,
        schemes: tuple[str, ...] | list[str],
        connection: ConnectionFactory,
        probe: Callable[[], str | None] | None = None,
        remote: bool = False,
    ) -> None:
        """Register driver ``name`` serving URI ``schemes`` with ``connection`` as its DriverConnection."""
        if name in self._drivers:
            first = self._drivers[name].plugin
            raise VirtError(f"driver '{name}' is registered twice (plugins '{first}' and '{self.current_plugin}')")
        self._drivers[name] = DriverSpec(
            name=name,
            schemes=tuple(s.lower() for s in schemes),
            connection=connection,
            probe=probe,
            plugin=self.current_plugin,
            remote=remote,
        )

    def __iter__(self) -> Iterator[DriverSpec]:
        return iter(self._drivers.values())

    def __len__(self) -> int:
        return len(self._drivers)

    def get(self, name: str) -> DriverSpec | None:
        """The driver called ``name``."""
        return self._drivers.get(name)

    def for_uri(self, uri: URI) -> DriverSpec | None:
        """The driver serving ``uri``: the remote driver for remote URIs, else the one owning its scheme."""
        for spec in self._drivers.values():
            if spec.remote == uri.is_remote and (spec.remote or uri.scheme in spec.schemes):
                return spec
        return None

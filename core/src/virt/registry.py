"""The typed registry that ``register_drivers`` hooks fill in, and the lookup of a driver for a URI."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import attrs

from virt.errors import ConnectionError, ErrorNumber, NotSupported, VirtError

if TYPE_CHECKING:
    from virt.driver import DriverConnection
    from virt.uri import URI
    from virt.xml import Domain

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
    session_daemon: bool = False
    """True when ``SCHEME:///session`` belongs to the user's virtd (started on demand), not to an
    in-process connection: every program of the user then sees the same guests, as with libvirt."""
    own_hosts: bool = False
    """True for a client-side driver that reaches the host named in its URIs itself (ESX over the
    vSphere API): ``SCHEME://host/`` opens it in-process instead of going to the remote driver."""
    own_transports: tuple[str, ...] = ()
    """Transports over which the driver reaches a remote host itself (Xen runs ``xl`` over ssh on
    the dom0 named in ``xen+ssh://``): such URIs open it in-process, not the remote driver."""

    def connection_class(self) -> type[DriverConnection]:
        """The DriverConnection subclass, imported on first use."""
        if not isinstance(self.connection, str):
            return self.connection
        try:
            return load_reference(self.connection)  # type: ignore[no-any-return]
        except (ImportError, AttributeError) as exc:
            raise ConnectionError(
                f"driver '{self.name}' of plugin '{self.plugin}' cannot be loaded: {type(exc).__name__}: {exc}",
                ErrorNumber.NO_CONNECT,
            ) from exc


def load_reference(reference: str) -> Any:
    """The object a ``"package.module:name"`` reference names, importing its module."""
    module_name, _, attr = reference.partition(":")
    return getattr(importlib.import_module(module_name), attr)


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
        session_daemon: bool = False,
        own_hosts: bool = False,
        own_transports: tuple[str, ...] | list[str] = (),
    ) -> None:
        """Register driver ``name`` serving URI ``schemes`` with ``connection`` as its DriverConnection.

        ``session_daemon=True``: ``SCHEME:///session`` goes to the user's virtd, which runs the
        driver (see ``virt.remote.session``); other URIs of the driver open it in-process.
        ``own_hosts=True``: URIs of ``schemes`` with a host but no transport are this driver's, not
        the remote driver's (the driver talks to that host itself, as libvirt's ESX driver does).
        ``own_transports=["ssh"]``: ``SCHEME+ssh://host/`` URIs are this driver's too.
        """
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
            session_daemon=session_daemon,
            own_hosts=own_hosts,
            own_transports=tuple(t.lower() for t in own_transports),
        )

    def remove_plugin(self, name: str) -> None:
        """Forget every driver plugin ``name`` registered (its hook failed half-way)."""
        self._drivers = {k: v for k, v in self._drivers.items() if v.plugin != name}

    def __iter__(self) -> Iterator[DriverSpec]:
        return iter(self._drivers.values())

    def __len__(self) -> int:
        return len(self._drivers)

    def get(self, name: str) -> DriverSpec | None:
        """The driver called ``name``."""
        return self._drivers.get(name)

    def for_uri(self, uri: URI) -> DriverSpec | None:
        """The driver serving ``uri``: a driver that reaches its hosts itself for its schemes without a
        transport (or over one of its own transports), else the remote driver for remote URIs, else
        the one owning the scheme."""
        for spec in self._drivers.values():
            if uri.scheme not in spec.schemes:
                continue
            if (spec.own_hosts and uri.transport is None) or (uri.transport in spec.own_transports):
                return spec
        for spec in self._drivers.values():
            if spec.remote == uri.is_remote and (spec.remote or uri.scheme in spec.schemes):
                return spec
        return None


FromNative = Callable[[str], "Domain"] | str
ToNative = Callable[["Domain"], str] | str


@attrs.frozen
class NativeFormat:
    """Converters between domain models and one native configuration format."""

    name: str
    from_native: FromNative | None = attrs.field(default=None, repr=False)
    to_native: ToNative | None = attrs.field(default=None, repr=False)
    plugin: str = ""

    def converter(self, direction: str) -> Callable[..., Any]:
        """The ``from_native`` or ``to_native`` callable, imported on first use; NotSupported if absent."""
        found = getattr(self, direction)
        if found is None:
            what = direction.replace("_", " ")
            raise NotSupported(f"plugin '{self.plugin}' has no {what} converter for '{self.name}'")
        if isinstance(found, str):
            try:
                return load_reference(found)  # type: ignore[no-any-return]
            except (ImportError, AttributeError) as exc:
                raise VirtError(
                    f"format '{self.name}' of plugin '{self.plugin}' cannot be loaded: {type(exc).__name__}: {exc}"
                ) from exc
        return found  # type: ignore[no-any-return]


class NativeFormatRegistry:
    """What ``register_native_formats`` hooks receive: call it to add a format."""

    def __init__(self) -> None:
        self._formats: dict[str, NativeFormat] = {}
        self.current_plugin = ""

    def __call__(self, name: str, *, from_native: FromNative | None = None, to_native: ToNative | None = None) -> None:
        """Register format ``name`` with its converters (callables or ``"module:function"``)."""
        if name in self._formats:
            first = self._formats[name].plugin
            raise VirtError(f"format '{name}' is registered twice (plugins '{first}' and '{self.current_plugin}')")
        self._formats[name] = NativeFormat(name, from_native, to_native, self.current_plugin)

    def remove_plugin(self, name: str) -> None:
        """Forget every format plugin ``name`` registered (its hook failed half-way)."""
        self._formats = {k: v for k, v in self._formats.items() if v.plugin != name}

    def __iter__(self) -> Iterator[NativeFormat]:
        return iter(self._formats.values())

    def get(self, name: str) -> NativeFormat | None:
        """The format called ``name``."""
        return self._formats.get(name)


StorageBackendFactory = Callable[[], Any] | str
"""A callable making the backend (a ``virt.storage.backend.PoolBackend``), or ``"module:Class"``."""


@attrs.frozen
class StorageBackendSpec:
    """One registered storage pool backend."""

    pool_type: str
    backend: StorageBackendFactory = attrs.field(repr=False)
    plugin: str = ""

    def make(self) -> Any:
        """A new backend object, its module imported on first use."""
        factory = self.backend
        if isinstance(factory, str):
            try:
                factory = load_reference(factory)
            except (ImportError, AttributeError) as exc:
                raise VirtError(
                    f"storage backend '{self.pool_type}' of plugin '{self.plugin}' cannot be loaded: "
                    f"{type(exc).__name__}: {exc}"
                ) from exc
        assert callable(factory)
        return factory()


class StorageBackendRegistry:
    """What ``register_storage_backends`` hooks receive: call it to add the backend of a pool type."""

    def __init__(self) -> None:
        self._backends: dict[str, StorageBackendSpec] = {}
        self.current_plugin = ""

    def __call__(self, pool_type: str, *, backend: StorageBackendFactory) -> None:
        """Register ``backend`` (a PoolBackend class or ``"module:Class"``) for pools of ``pool_type``."""
        if pool_type in self._backends:
            first = self._backends[pool_type].plugin
            raise VirtError(
                f"storage pool type '{pool_type}' is registered twice (plugins '{first}' and '{self.current_plugin}')"
            )
        self._backends[pool_type] = StorageBackendSpec(pool_type, backend, self.current_plugin)

    def remove_plugin(self, name: str) -> None:
        """Forget every backend plugin ``name`` registered (its hook failed half-way)."""
        self._backends = {k: v for k, v in self._backends.items() if v.plugin != name}

    def __iter__(self) -> Iterator[StorageBackendSpec]:
        return iter(self._backends.values())

    def get(self, pool_type: str) -> StorageBackendSpec | None:
        """The backend of ``pool_type`` pools."""
        return self._backends.get(pool_type)

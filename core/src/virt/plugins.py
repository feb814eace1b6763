"""The plugin manager: built-in plugins, then the ``virt.drivers`` entry points.

``VIRT_LOAD_PLUGINS=a,b`` loads only those plugins (empty: none); ``VIRT_DISABLED_PLUGINS=a,b``
blocks some. A name matches an entry point's name or its distribution's name. A plugin that
fails to import, or whose hook fails, is recorded in ``broken`` and the others still load.
"""

from __future__ import annotations

import os
import re
import sys
import threading
from collections.abc import Iterable
from typing import Protocol

import attrs
import pluggy

from virt import hookspecs
from virt.registry import DriverRegistry, NativeFormatRegistry, StorageBackendRegistry

if sys.version_info >= (3, 12):
    from importlib import metadata as importlib_metadata
else:
    import importlib_metadata

ENTRY_POINT_GROUP = "virt.drivers"

BUILTIN_PLUGINS = (
    "virt.drivers.test.plugin",
    "virt.remote.plugin",
    "virt.cli.builtin",
    "virt.storage.plugin",
    "virt.nwfilters.plugin",
)


@attrs.frozen
class PluginInfo:
    """One plugin as ``virt plugins`` shows it."""

    name: str
    distribution: str | None = None
    version: str | None = None
    builtin: bool = False
    hooks: tuple[str, ...] = ()
    error: str | None = None


class Registry(Protocol):
    """What ``Plugins.collect`` needs of a registry: whose calls it is taking, and a way to take them back."""

    current_plugin: str

    def remove_plugin(self, name: str) -> None: ...


def _normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _entry_point_info(entry_point: importlib_metadata.EntryPoint) -> PluginInfo:
    dist = entry_point.dist
    return PluginInfo(
        name=entry_point.name,
        distribution=dist.name if dist else None,
        version=dist.version if dist else None,
    )


def _names_from_env(variable: str) -> set[str] | None:
    value = os.environ.get(variable)
    if value is None:
        return None
    return {_normalise(part) for part in value.split(",") if part.strip()}


class Plugins:
    """The loaded plugins and what they registered."""

    def __init__(self) -> None:
        self.manager = pluggy.PluginManager("virt")
        self.manager.add_hookspecs(hookspecs)
        self.broken: dict[str, PluginInfo] = {}
        self._entry_points: dict[str, importlib_metadata.EntryPoint] = {}
        self._drivers: DriverRegistry | None = None
        self._native_formats: NativeFormatRegistry | None = None
        self._storage_backends: StorageBackendRegistry | None = None

    def load(self) -> None:
        """Load the built-in plugins and the allowed entry points."""
        import importlib

        for module_name in BUILTIN_PLUGINS:
            try:
                self.manager.register(importlib.import_module(module_name), name=module_name)
            except Exception as exc:  # noqa: BLE001 - `virt plugins` must still be able to show it
                self._mark_broken(module_name, exc)
        allowed = _names_from_env("VIRT_LOAD_PLUGINS")
        blocked = _names_from_env("VIRT_DISABLED_PLUGINS") or set()
        for entry_point in importlib_metadata.entry_points(group=ENTRY_POINT_GROUP):
            names = {_normalise(entry_point.name)}
            if allowed is not None or blocked:
                # the distribution's name means reading its metadata: only when a filter needs it
                names |= {_normalise(entry_point.dist.name)} if entry_point.dist else set()
            if (allowed is not None and not names & allowed) or names & blocked:
                continue
            if self.manager.get_plugin(entry_point.name) is not None:
                continue
            try:
                module = entry_point.load()
                self.manager.register(module, name=entry_point.name)
            except Exception as exc:  # noqa: BLE001 - a broken plugin must not break the others
                info = _entry_point_info(entry_point)
                self.broken[entry_point.name] = attrs.evolve(info, error=f"{type(exc).__name__}: {exc}")
                continue
            self._entry_points[entry_point.name] = entry_point

    def _plugin_name(self, plugin: object) -> str:
        return self.manager.get_name(plugin) or repr(plugin)

    @property
    def drivers(self) -> DriverRegistry:
        """Every driver the plugins registered (collected on first use)."""
        if self._drivers is None:
            self._drivers = DriverRegistry()
            self.collect("register_drivers", self._drivers)
        return self._drivers

    @property
    def native_formats(self) -> NativeFormatRegistry:
        """Every native configuration format the plugins registered (collected on first use)."""
        if self._native_formats is None:
            self._native_formats = NativeFormatRegistry()
            self.collect("register_native_formats", self._native_formats)
        return self._native_formats

    @property
    def storage_backends(self) -> StorageBackendRegistry:
        """Every storage pool backend the plugins registered (collected on first use)."""
        if self._storage_backends is None:
            self._storage_backends = StorageBackendRegistry()
            self.collect("register_storage_backends", self._storage_backends)
        return self._storage_backends

    def collect(self, hook_name: str, registry: Registry) -> None:
        """Call every implementation of a ``register_*`` hook in registration order (built-ins first),
        telling the registry whose calls it gets; a plugin whose hook fails is recorded as broken and
        what it had registered is taken back."""
        caller = getattr(self.manager.hook, hook_name)
        (argument,) = caller.spec.argnames
        for impl in caller.get_hookimpls():
            registry.current_plugin = impl.plugin_name
            try:
                impl.function(**{argument: registry})
            except Exception as exc:  # noqa: BLE001 - report the plugin, keep the rest
                registry.remove_plugin(impl.plugin_name)
                self._mark_broken(impl.plugin_name, exc)
        registry.current_plugin = ""

    def _mark_broken(self, name: str, exc: BaseException) -> None:
        entry_point = self._entry_points.pop(name, None)
        info = _entry_point_info(entry_point) if entry_point else PluginInfo(name=name, builtin=name in BUILTIN_PLUGINS)
        self.broken[name] = attrs.evolve(info, error=f"{type(exc).__name__}: {exc}")

    def describe(self, include_builtin: bool = False) -> list[PluginInfo]:
        """The plugins, loaded and broken, for ``virt plugins``."""
        result = []
        for plugin in self.manager.get_plugins():
            name = self._plugin_name(plugin)
            builtin = name in BUILTIN_PLUGINS
            if builtin and not include_builtin:
                continue
            hooks = tuple(sorted(h.name for h in self.manager.get_hookcallers(plugin) or ()))
            entry_point = self._entry_points.get(name)
            info = _entry_point_info(entry_point) if entry_point else PluginInfo(name=name, builtin=builtin)
            result.append(attrs.evolve(info, hooks=hooks))
        result.extend(self.broken.values())
        return sorted(result, key=lambda p: (not p.builtin, p.name))

    def broken_for(self, scheme: str) -> list[PluginInfo]:
        """Broken plugins that probably serve ``scheme`` (by entry point or distribution name)."""
        wanted = {_normalise(scheme), _normalise(f"virt-{scheme}")}
        return [
            p
            for p in self.broken.values()
            if _normalise(p.name) in wanted or (p.distribution and _normalise(p.distribution) in wanted)
        ]


_lock = threading.Lock()
_plugins: Plugins | None = None


def get_plugins() -> Plugins:
    """The process-wide plugins, loaded on first use."""
    global _plugins
    with _lock:
        if _plugins is None:
            plugins = Plugins()
            plugins.load()
            _plugins = plugins
        return _plugins


def reset(extra: Iterable[object] = ()) -> Plugins:
    """Forget the loaded plugins and load them again, adding ``extra`` plugin objects (for tests)."""
    global _plugins
    with _lock:
        plugins = Plugins()
        plugins.load()
        for plugin in extra:
            plugins.manager.register(plugin)
        _plugins = plugins
    return plugins

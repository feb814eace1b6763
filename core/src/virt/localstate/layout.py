"""Where a local driver keeps its files, per mode, and the folders every such driver has.

``system`` (root): ``/var/lib/virt/DRIVER`` (state), ``/run/virt/DRIVER`` (run),
``/var/cache/virt/DRIVER``, ``/var/log/virt/DRIVER``. ``session`` (a user): the XDG folders,
``$XDG_CONFIG_HOME/virt/DRIVER`` (state), ``$XDG_RUNTIME_DIR/virt/DRIVER`` (run; without a
runtime folder ``$XDG_CACHE_HOME/virt/DRIVER/run``), ``$XDG_CACHE_HOME/virt/DRIVER``,
``$XDG_STATE_HOME/virt/DRIVER/log``. ``VIRT_DRIVER_ROOT=DIR`` (``VIRT_QEMU_ROOT``...) puts every
folder under one directory instead (tests, side-by-side runs); how a driver lays out its folders
below that root is its own (``under_root``).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import attrs

from virt.errors import ErrorNumber

if TYPE_CHECKING:
    from virt.uri import URI


@attrs.frozen
class Dirs:
    """The four roots of one driver instance."""

    state: Path
    """Persistent definitions and autostart marks; kept across reboots."""
    run: Path
    """Status files of running domains, sockets, the owner lock; gone at reboot."""
    cache: Path
    log: Path


def root_override(driver: str) -> Path | None:
    """``$VIRT_<DRIVER>_ROOT`` when set and not empty (``driver``: ``qemu``, ``lxc``...)."""
    value = os.environ.get(f"VIRT_{driver.upper()}_ROOT")
    return Path(value) if value else None


def under_root(base: Path) -> Dirs:
    """``base/state``, ``base/run``, ``base/cache``, ``base/log``."""
    return Dirs(base / "state", base / "run", base / "cache", base / "log")


def system_dirs(driver: str) -> Dirs:
    """The system-wide folders of ``driver`` (root's)."""
    return Dirs(
        Path("/var/lib/virt") / driver,
        Path("/run/virt") / driver,
        Path("/var/cache/virt") / driver,
        Path("/var/log/virt") / driver,
    )


def _xdg(variable: str, default: Path) -> Path:
    value = os.environ.get(variable)
    return Path(value) if value else default


def session_dirs(driver: str) -> Dirs:
    """The calling user's folders of ``driver``, after the XDG base directory variables."""
    home = Path.home()
    runtime = os.environ.get("XDG_RUNTIME_DIR")
    cache = _xdg("XDG_CACHE_HOME", home / ".cache") / "virt" / driver
    run = Path(runtime) / "virt" / driver if runtime else cache / "run"
    return Dirs(
        _xdg("XDG_CONFIG_HOME", home / ".config") / "virt" / driver,
        run,
        cache,
        _xdg("XDG_STATE_HOME", home / ".local" / "state") / "virt" / driver / "log",
    )


class StateLayout:
    """The folders every local driver has below its ``state_dir`` and ``run_dir``.

    A mixin for the driver's own (frozen attrs) paths class, which declares both fields.
    """

    __slots__ = ()
    state_dir: Path
    run_dir: Path

    @property
    def domains_dir(self) -> Path:
        """Persistent definitions, ``NAME.xml``."""
        return self.state_dir / "domains"

    @property
    def autostart_dir(self) -> Path:
        """Autostart marks, ``NAME.xml`` symlinks to the definitions."""
        return self.state_dir / "autostart"

    @property
    def status_dir(self) -> Path:
        """Status files of running domains, ``NAME.xml``."""
        return self.run_dir / "status"

    @property
    def lock_file(self) -> Path:
        """The owner lock (``ownerlock``)."""
        return self.run_dir / "driver.lock"


def host_folders(driver: str, uri: URI, refuse: Callable[[ErrorNumber, str], Exception]) -> tuple[Dirs, str]:
    """The folders of a driver that runs its tools on this host (``DRIVER:///system``, root only) or
    on a remote one over ssh (``DRIVER+ssh://[user@]host[:port]/system``), and the instance's key:
    ``local`` or ``USER@HOST:PORT``. A remote host's definitions and status files live on this
    machine under the state folder (root's, else the user's), ``hosts/USER@HOST:PORT``, the status
    files there too (``status-run``): the guests on the remote host outlive a reboot of this one.
    ``VIRT_<DRIVER>_ROOT`` puts everything under one folder. ``refuse(code, message)`` makes the
    driver's error for a URI that names no such place."""
    import re

    path = uri.path.strip("/")
    if path not in ("", "system"):
        raise refuse(ErrorNumber.INVALID_ARG, f"unexpected {driver} URI path '{uri.path}', try {driver}:///system")
    if uri.transport not in (None, "ssh"):
        raise refuse(
            ErrorNumber.INVALID_ARG,
            f"the {driver} driver reaches a remote host over ssh only ({driver}+ssh://), not '{uri.transport}'",
        )
    override = root_override(driver)
    if uri.transport is None:
        if uri.host:
            raise refuse(
                ErrorNumber.INVALID_ARG, f"URI {uri}: a remote host is reached with {driver}+ssh://{uri.host}/system"
            )
        if os.geteuid() != 0:
            raise refuse(
                ErrorNumber.OPERATION_DENIED, f"{driver}:///system needs root: it runs the hypervisor's tools here"
            )
        return (under_root(override.absolute()) if override is not None else system_dirs(driver)), "local"
    if not uri.host:
        raise refuse(ErrorNumber.INVALID_ARG, f"URI {uri} names no host")
    key = f"{uri.user or os.environ.get('USER', 'root')}@{uri.host}:{uri.port or 22}"
    if not re.fullmatch(r"[\w.@:%\[\]-]+", key):
        raise refuse(ErrorNumber.INVALID_ARG, f"URI {uri}: host name '{uri.host}' cannot name a folder")
    if override is not None:
        dirs = under_root(override.absolute())
    else:
        dirs = system_dirs(driver) if os.geteuid() == 0 else session_dirs(driver)
    base = dirs.state / "hosts" / key
    return Dirs(base, base / "status-run", base / "cache", base / "log"), key

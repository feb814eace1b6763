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
from pathlib import Path

import attrs


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

"""Registers the ``nwfilter`` driver (``nwfilter:///system``) through the hook every driver uses."""

from __future__ import annotations

from typing import TYPE_CHECKING

from virt.hookspecs import hookimpl

if TYPE_CHECKING:
    from virt.registry import DriverRegistry


@hookimpl
def register_drivers(register: DriverRegistry) -> None:
    register("nwfilter", schemes=("nwfilter",), connection="virt.nwfilters.connection:NWFilterConnection")

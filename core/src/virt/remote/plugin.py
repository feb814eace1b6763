"""Registers the remote client driver: every URI with a transport or a host goes over libvirt's
protocol to virtd or libvirtd. Kept tiny: the client's modules load on the first remote open."""

from __future__ import annotations

from typing import TYPE_CHECKING

from virt.hookspecs import hookimpl

if TYPE_CHECKING:
    from virt.registry import DriverRegistry


@hookimpl
def register_drivers(register: DriverRegistry) -> None:
    register("remote", schemes=(), connection="virt.remote.connection:RemoteConnection", remote=True)

"""Registers the ``test`` driver. Kept tiny: the driver's modules load on the first open."""

from __future__ import annotations

from typing import TYPE_CHECKING

from virt.hookspecs import hookimpl

if TYPE_CHECKING:
    from virt.registry import DriverRegistry

DEFAULT_URI = "test:///default"


def probe() -> str:
    """The embedded default host is always there, so the test driver can serve as the last resort."""
    return DEFAULT_URI


@hookimpl
def register_drivers(register: DriverRegistry) -> None:
    register(
        "test",
        schemes=("test",),
        connection="virt.drivers.test.connection:TestConnection",
        probe=probe,
    )

"""The plugin module the ``virt.drivers`` entry point names: hooks only, nothing heavy."""

from __future__ import annotations

import virt


@virt.hookimpl
def register_drivers(register) -> None:  # type: ignore[no-untyped-def]
    register(
        "example",
        schemes=["example"],
        connection="virt_example.connection:ExampleConnection",
        probe=lambda: None,
    )

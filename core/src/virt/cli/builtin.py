"""The built-in plugin: registers virt's own commands through the same hook as third-party plugins."""

from __future__ import annotations

from virt.cli.registry import CommandRegistry
from virt.hookspecs import hookimpl


@hookimpl
def register_commands(commands: CommandRegistry) -> None:
    from virt.cli.commands import (
        console,
        control,
        display,
        domain,
        events,
        guestops,
        help,
        host,
        hostfacts,
        interface,
        monitor,
        native,
        network,
        nodedev,
        plugins,
        pool,
        rename,
        saving,
        scheduler,
        secret,
        stats,
        storage,
        tuning,
        volume,
    )

    for module in (
        host,
        hostfacts,
        domain,
        tuning,
        scheduler,
        saving,
        console,
        display,
        native,
        monitor,
        stats,
        control,
        guestops,
        rename,
        events,
        network,
        interface,
        nodedev,
        secret,
        storage,
        pool,
        volume,
        plugins,
        help,
    ):
        module.register(commands)

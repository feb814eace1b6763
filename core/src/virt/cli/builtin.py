"""The built-in plugin: registers virt's own commands through the same hook as third-party plugins."""

from __future__ import annotations

from virt.cli.registry import CommandRegistry
from virt.hookspecs import hookimpl


@hookimpl
def register_commands(commands: CommandRegistry) -> None:
    from virt.cli.commands import (
        blockjobs,
        checkpoint,
        console,
        control,
        cpubaseline,
        devices,
        display,
        domain,
        domaincalls,
        events,
        guestagent,
        guestops,
        help,
        host,
        hostcalls,
        hostfacts,
        interface,
        iothreads,
        migrate,
        monitor,
        native,
        network,
        networkport,  # network ports
        nodedev,
        nwfilter,
        objectevents,
        plugins,
        pool,
        rename,
        saving,
        scheduler,
        secret,
        snapshot,
        stats,
        storage,
        tunables,
        tuning,
        volume,
    )

    for module in (
        host,
        hostfacts,
        cpubaseline,
        hostcalls,
        domain,
        tuning,
        devices,
        tunables,
        iothreads,
        scheduler,
        saving,
        migrate,
        blockjobs,
        console,
        display,
        native,
        monitor,
        stats,
        control,
        guestops,
        guestagent,
        rename,
        domaincalls,
        snapshot,
        checkpoint,
        events,
        objectevents,
        network,
        networkport,  # network ports
        interface,
        nodedev,
        nwfilter,
        secret,
        storage,
        pool,
        volume,
        plugins,
        help,
    ):
        module.register(commands)

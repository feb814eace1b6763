"""``pool-event`` and ``nodedev-event``: virsh's listeners for storage pool and node device events,
with its options, output and messages (virsh-pool.c, virsh-nodedev.c). As with ``event``, an
in-process driver shows this process's changes; over a daemon, the host's."""

from __future__ import annotations

import argparse
import queue
from collections.abc import Callable
from typing import TYPE_CHECKING

from virt.cli.context import CommandError, Context
from virt.cli.registry import Argument, CommandRegistry, complete_pools

if TYPE_CHECKING:
    from virt.connection import StoragePool
    from virt.nodedevevents import NodeDeviceEvent
    from virt.nodedevices import NodeDevice
    from virt.poolevents import StoragePoolEvent


def _event_id(args: argparse.Namespace, names: list[str]) -> int:
    """The event id ``--event`` names (its index in virsh's list), with virsh's errors; and
    ``--timeout`` checked, as virsh does before looking the object up."""
    from virt.cli.commands.events import timeout_of

    if args.event is None:
        raise CommandError("either --list or --event <type> is required")
    if args.event not in names:
        raise CommandError(f"unknown event type {args.event}")
    timeout_of(args.timeout)
    return names.index(args.event)


def _line(args: argparse.Namespace, text: str, when: float) -> str:
    from virt.cli.commands.events import timestamp_text

    return f"{timestamp_text(when)}: {text}" if args.timestamp else text


def _wait(ctx: Context, args: argparse.Namespace, lines: queue.SimpleQueue[str], stop: Callable[[], None]) -> int:
    """Print the lines until virsh would stop, then deregister (``stop``)."""
    from virt.cli.commands.events import listen, timeout_of

    try:
        count = listen(ctx, lines, loop=args.loop, timeout=timeout_of(args.timeout))
    finally:
        if ctx.connected:
            stop()
    ctx.print(f"events received: {count}")
    return 0 if count else 1  # virsh fails, silently, when nothing came


def run_pool_event(ctx: Context, args: argparse.Namespace) -> int:
    from virt.poolevents import StoragePoolEventID

    names = [event_id.label for event_id in StoragePoolEventID]
    if args.list:
        for name in names:
            ctx.print(name)
        return 0
    event_id = _event_id(args, names)
    pool = ctx.pool(args.pool) if args.pool is not None else None
    lines: queue.SimpleQueue[str] = queue.SimpleQueue()

    def on_event(handle: StoragePool, event: StoragePoolEvent) -> None:
        if event.type is None:
            text = f"event '{event.id.label}' for storage pool {handle.name}"
        else:
            text = f"event 'lifecycle' for storage pool {handle.name}: {event.type.label}"
        lines.put(_line(args, text, event.timestamp))

    handle = ctx.conn.add_storage_pool_event_callback(on_event, pool, event_id)
    return _wait(ctx, args, lines, lambda: ctx.conn.remove_storage_pool_event_callback(handle))


def run_nodedev_event(ctx: Context, args: argparse.Namespace) -> int:
    from virt.cli.commands.nodedev import find_device
    from virt.nodedevevents import NodeDeviceEventID

    names = [event_id.label for event_id in NodeDeviceEventID]
    if args.list:
        for name in names:
            ctx.print(name)
        return 0
    event_id = _event_id(args, names)
    device = find_device(ctx, args.device) if args.device is not None else None
    lines: queue.SimpleQueue[str] = queue.SimpleQueue()

    def on_event(handle: NodeDevice, event: NodeDeviceEvent) -> None:
        if event.type is None:
            text = f"event '{event.id.label}' for node device {handle.name}"
        else:
            text = f"event 'lifecycle' for node device {handle.name}: {event.type.label}"
        lines.put(_line(args, text, event.timestamp))

    handle = ctx.conn.add_node_device_event_callback(on_event, device, event_id)
    return _wait(ctx, args, lines, lambda: ctx.conn.remove_node_device_event_callback(handle))


def _listener_arguments(first: Argument) -> list[Argument]:
    return [
        first,
        Argument("--event", help="which event type to wait for"),
        Argument("--loop", flag=True, help="loop until timeout or interrupt, rather than one-shot"),
        Argument("--timeout", metavar="number", help="timeout seconds"),
        Argument("--list", flag=True, help="list valid event types"),
        Argument("--timestamp", flag=True, help="show timestamp for each printed event"),
    ]


def register(commands: CommandRegistry) -> None:
    commands.add(
        "pool-event",
        run_pool_event,
        group="Storage Pool",
        help="Storage Pool Events",
        description="List event types, or wait for storage pool events to occur",
        arguments=_listener_arguments(
            Argument("--pool", completer=complete_pools, help="filter by storage pool name or uuid")
        ),
    )
    commands.add(
        "nodedev-event",
        run_nodedev_event,
        group="Node Device",
        help="Node Device Events",
        description="List event types, or wait for node device events to occur",
        arguments=_listener_arguments(Argument("--device", help="filter by node device name")),
    )

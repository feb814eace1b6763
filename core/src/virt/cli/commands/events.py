"""Domain Events: ``event``, virsh's listener for domain events of every id (``virt.domainevents``).

Each ``virt`` run is its own process: with an in-process driver (``qemu:///``, ``test:///default``)
it sees the events of changes made in this very process (its other threads, the driver's own
event thread noticing a QEMU go away); over a daemon it will see the host's.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import queue
import signal
import threading
import time
from collections.abc import Iterator

from virt.cli.context import CommandError, Context
from virt.cli.registry import Argument, CommandRegistry, complete_domains
from virt.connection import Domain
from virt.domainevents import AnyDomainEvent, DomainEventID, virsh_text
from virt.errors import VirtError

GROUP = "Domain Events"


def _exclusive(args: argparse.Namespace, *pairs: tuple[str, str]) -> None:
    for first, second in pairs:
        if getattr(args, first) and getattr(args, second):
            raise CommandError(f"Options --{first} and --{second} are mutually exclusive")


def timeout_of(text: str | None) -> float | None:
    """Seconds to wait (None: for ever); virsh's message for anything but a positive integer."""
    if text is None:
        return None
    try:
        value = int(text, 10)
    except ValueError:
        value = 0
    if value <= 0:
        raise CommandError(f"Numeric value '{text}' for <timeout> option is malformed or out of range")
    return float(value)


def timestamp_text(when: float) -> str:
    """virTimeStringNowRaw's format: UTC with milliseconds, ``2024-05-01 12:00:00.123+0000``."""
    moment = datetime.datetime.fromtimestamp(when, tz=datetime.UTC)
    return moment.strftime("%Y-%m-%d %H:%M:%S.") + f"{moment.microsecond // 1000:03d}+0000"


def event_line(domain_name: str, event: AnyDomainEvent, *, timestamp: bool = False) -> str:
    """What virsh prints for an event (some take several lines)."""
    line = virsh_text(domain_name, event)
    return f"{timestamp_text(event.timestamp)}: {line}" if timestamp else line


def run_event(ctx: Context, args: argparse.Namespace) -> int:
    _exclusive(args, ("all", "event"), ("list", "all"), ("list", "event"))
    if args.list:
        for event_id in DomainEventID:
            ctx.print(event_id.virsh_name)
        return 0
    if args.event is None and not args.all:
        raise CommandError("one of --list, --all, or --event <type> is required")
    wanted = [e for e in DomainEventID if args.event is None or e.virsh_name == args.event]
    if not wanted:
        raise CommandError(f"unknown event type {args.event}")
    timeout = timeout_of(args.timeout)
    domain = ctx.domain(args.domain) if args.domain is not None else None

    # Callbacks run in the driver's thread (or the one making the change): they only queue lines,
    # this thread prints them, so output never interleaves and Ctrl-C lands here.
    lines: queue.SimpleQueue[str] = queue.SimpleQueue()

    def on_event(dom: Domain, event: AnyDomainEvent) -> None:
        lines.put(event_line(dom.name, event, timestamp=args.timestamp))

    conn = ctx.conn
    handles: list[int] = []
    try:
        for event_id in wanted:
            try:
                handles.append(conn.register_domain_event(event_id, on_event, domain))
            except VirtError:
                # virsh: with --all, an id the driver or an older daemon lacks is skipped, as long
                # as the first registered
                if event_id == wanted[0]:
                    raise
        count = listen(ctx, lines, loop=args.loop, timeout=timeout)
    finally:
        if ctx.connected:
            for handle in handles:
                conn.remove_domain_event_callback(handle)
    ctx.print(f"events received: {count}")
    return 0 if count else 1  # virsh fails, silently, when nothing came


def listen(ctx: Context, lines: queue.SimpleQueue[str], *, loop: bool, timeout: float | None) -> int:
    """Print the event lines the callbacks queue until the first (or, with ``loop``, until
    ``timeout`` or Ctrl-C), with virsh's closing words; how many were printed."""
    deadline = None if timeout is None else time.monotonic() + timeout
    with ctrl_c_interrupts():
        return _print_lines(ctx, lines, loop=loop, deadline=deadline)


def _print_lines(ctx: Context, lines: queue.SimpleQueue[str], *, loop: bool, deadline: float | None) -> int:
    count = 0
    try:
        while True:
            remaining = None if deadline is None else deadline - time.monotonic()
            if remaining is not None and remaining <= 0:
                ctx.print("event loop timed out")
                break
            try:
                # a bounded wait even without a deadline, so that Ctrl-C is seen promptly
                line = lines.get(timeout=min(remaining, 1.0) if remaining is not None else 1.0)
            except queue.Empty:
                continue  # the deadline check above ends the loop
            ctx.print(line)
            ctx.stdout.flush()  # a listener is read live, often through a pipe
            count += 1
            if not loop:
                break  # virsh without --loop stops at the first event
    except KeyboardInterrupt:
        ctx.print("event loop interrupted")
    return count


@contextlib.contextmanager
def ctrl_c_interrupts() -> Iterator[None]:
    """SIGINT raises KeyboardInterrupt meanwhile, even where it was ignored: a shell without job
    control starts background commands (``virt event --loop &``) with SIGINT ignored, and Python
    then keeps it so; virsh catches it there too, and ``kill -INT`` must end the loop."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def _event_names(prefix: str = "", **_: object) -> list[str]:
    """virsh's completer of --event: the name of every id."""
    return [e.virsh_name for e in DomainEventID if e.virsh_name.startswith(prefix)]


def register(commands: CommandRegistry) -> None:
    commands.add(
        "event",
        run_event,
        group=GROUP,
        help="Domain Events",
        description="List event types, or wait for domain events to occur",
        arguments=[
            Argument("--domain", completer=complete_domains, help="filter by domain name, id or uuid"),
            Argument("--event", completer=_event_names, help="which event type to wait for"),
            Argument("--all", flag=True, help="wait for all events instead of just one type"),
            Argument("--loop", flag=True, help="loop until timeout or interrupt, rather than one-shot"),
            Argument("--timeout", metavar="number", help="timeout seconds"),
            Argument("--list", flag=True, help="list valid event types"),
            Argument("--timestamp", flag=True, help="show timestamp for each printed event"),
        ],
    )

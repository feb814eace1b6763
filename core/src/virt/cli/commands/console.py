"""``virt console DOMAIN``: the domain's text console on this terminal, as ``virsh console`` does.

The driver hands over the console as a connected socket (``Domain.open_console``); the terminal
is put in raw mode and bytes are copied both ways until the console closes or the user types
the escape character, Ctrl+] (0x1d).
"""

from __future__ import annotations

import argparse
import os
from typing import TYPE_CHECKING

from virt.cli.context import CommandError, Context
from virt.cli.registry import Argument, CommandRegistry, complete_domains

if TYPE_CHECKING:
    import socket

ESCAPE = b"\x1d"
GROUP = "Domain Management"


def relay(sock: socket.socket, input_fd: int, output_fd: int) -> None:
    """Copy ``input_fd`` to the console and the console to ``output_fd`` until either ends or ESCAPE is typed."""
    import select

    while True:
        ready, _, _ = select.select([input_fd, sock.fileno()], [], [])
        if sock.fileno() in ready:
            data = sock.recv(65536)
            if not data:
                return
            _write_all(output_fd, data)
        if input_fd in ready:
            typed = os.read(input_fd, 4096)
            if not typed:
                return
            before, escape, _ = typed.partition(ESCAPE)
            if before:
                sock.sendall(before)
            if escape:
                return


def _write_all(fd: int, data: bytes) -> None:
    while data:
        data = data[os.write(fd, data) :]


def run_console(ctx: Context, args: argparse.Namespace) -> None:
    import termios
    import tty

    from virt.errors import VirtError

    domain = ctx.domain(args.domain)
    if not os.isatty(0):
        raise CommandError("Cannot run interactive console without a controlling TTY")
    if not domain.is_active():
        raise CommandError("The domain is not running")
    try:
        sock = domain.open_console(args.devname, force=args.force)
    except VirtError as exc:
        raise CommandError(exc.message) from exc
    ctx.print_extra(f"Connected to domain '{domain.name}'")
    ctx.print_extra("Escape character is ^] (Ctrl + ])")
    ctx.stdout.flush()
    saved = termios.tcgetattr(0)
    try:
        tty.setraw(0, termios.TCSANOW)  # not TCSAFLUSH: what was typed since the banner must reach the console
        relay(sock, 0, ctx.stdout.fileno())
    finally:
        termios.tcsetattr(0, termios.TCSADRAIN, saved)
        sock.close()
    ctx.print()


def register(commands: CommandRegistry) -> None:
    commands.add(
        "console",
        run_console,
        group=GROUP,
        help="connect to the guest console",
        description="Connect the virtual serial console for the guest",
        arguments=[
            Argument(
                "domain", positional=True, required=True, completer=complete_domains, help="domain name, id or uuid"
            ),
            Argument("--devname", help="character device name"),
            Argument("--force", flag=True, help="force console connection (disconnect already connected sessions)"),
            Argument("--safe", flag=True, help="only connect if safe console handling is supported"),
        ],
    )

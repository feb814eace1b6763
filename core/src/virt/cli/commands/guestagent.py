"""The guest agent's commands beside the lifecycle ones, with virsh's options, words and layout:
guestvcpus, get-user-sshkeys, set-user-sshkeys and guest-agent-timeout."""

from __future__ import annotations

import argparse
import re
from typing import TypeVar

from virt.cli.commands.domain import domain_argument, read_file
from virt.cli.context import CommandError, Context, failing_as
from virt.cli.registry import Argument, CommandRegistry

GROUP = "Domain Management"
T = TypeVar("T")


def run_guestvcpus(ctx: Context, args: argparse.Namespace) -> None:
    if args.enable and args.disable:
        raise CommandError("Options --enable and --disable are mutually exclusive")
    for flag in ("enable", "disable"):
        if getattr(args, flag) and args.cpulist is None:
            raise CommandError(f"Option --cpulist is required by option --{flag}")
    if args.cpulist is not None and not (args.enable or args.disable):
        raise CommandError("One of options --enable or --disable is required by option --cpulist")
    domain = ctx.domain(args.domain)
    if args.cpulist is not None:
        failing_as(lambda: domain.set_guest_vcpus(args.cpulist, bool(args.enable)))
        return
    for param in failing_as(domain.guest_vcpus):
        ctx.print(f"{param.field:<15}: {param.text()}")


def run_get_user_sshkeys(ctx: Context, args: argparse.Namespace) -> None:
    domain = ctx.domain(args.domain)
    # one after the other with nothing between, as virsh prints them (an agent's keys may end with their new line)
    ctx.print("".join(failing_as(lambda: domain.authorized_ssh_keys(args.user))), end="")


def run_set_user_sshkeys(ctx: Context, args: argparse.Namespace) -> None:
    from virt.guestagent import SSHKeysFlags

    if args.remove and args.file is None:
        raise CommandError("Option --file is required by option --remove")
    if args.reset and args.remove:
        raise CommandError("Options --reset and --remove are mutually exclusive")
    if args.file is None and not args.reset:
        raise CommandError("Option --file is required")
    flags = SSHKeysFlags.REMOVE if args.remove else SSHKeysFlags.NONE
    if not args.reset:
        flags |= SSHKeysFlags.APPEND
    domain = ctx.domain(args.domain)
    keys: list[str] = []
    if args.file is not None:
        # a key a line, as virsh reads them: empty lines are left out, anything else goes to the guest
        keys = [line for line in read_file(args.file).split("\n") if line]
        if not keys:
            raise CommandError(f"File {args.file} contains no keys")
    failing_as(lambda: domain.set_authorized_ssh_keys(args.user, keys, flags))


_INT = re.compile(r"\s*[+-]?\d+")


def run_guest_agent_timeout(ctx: Context, args: argparse.Namespace) -> None:
    from virt.guestagent import AgentResponseTimeout

    timeout = int(AgentResponseTimeout.DEFAULT)
    if args.timeout is not None:
        if not _INT.fullmatch(args.timeout) or not -(2**31) <= int(args.timeout) < 2**31:
            raise CommandError(f"Numeric value '{args.timeout}' for <timeout> option is malformed or out of range")
        timeout = int(args.timeout)
    domain = ctx.domain(args.domain)
    failing_as(lambda: domain.set_agent_response_timeout(timeout))


def register(commands: CommandRegistry) -> None:
    domain = domain_argument()
    commands.add(
        "guestvcpus",
        run_guestvcpus,
        group=GROUP,
        help="query or modify state of vcpu in the guest (via agent)",
        description="Use the guest agent to query or set cpu state from guest's point of view",
        arguments=[
            domain,
            Argument("--cpulist", help="list of cpus to enable or disable"),
            Argument("--enable", flag=True, help="enable cpus specified by cpulist"),
            Argument("--disable", flag=True, help="disable cpus specified by cpulist"),
        ],
    )
    commands.add(
        "get-user-sshkeys",
        run_get_user_sshkeys,
        group=GROUP,
        help="list authorized SSH keys for given user (via agent)",
        description="Use the guest agent to query authorized SSH keys for given user",
        arguments=[domain, Argument("user", positional=True, required=True, help="user to list authorized keys for")],
    )
    commands.add(
        "set-user-sshkeys",
        run_set_user_sshkeys,
        group=GROUP,
        help="manipulate authorized SSH keys file for given user (via agent)",
        description="Append, reset or remove specified key from the authorized keys file for given user",
        arguments=[
            domain,
            Argument("user", positional=True, required=True, help="user to set authorized keys for"),
            Argument("--file", help="optional file to read keys from"),
            Argument("--reset", flag=True, help="clear out authorized keys file before adding new keys"),
            Argument("--remove", flag=True, help="remove keys from the authorized keys file"),
        ],
    )
    commands.add(
        "guest-agent-timeout",
        run_guest_agent_timeout,
        group=GROUP,
        help="Set the guest agent timeout",
        description="Set the number of seconds to wait for a response from the guest agent.",
        arguments=[domain, Argument("--timeout", metavar="number", help="timeout seconds.")],
    )

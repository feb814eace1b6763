"""The ``virt`` commands of virt-lxc: ``lxc-enter-namespace`` (``console`` is virt's own)."""

from __future__ import annotations

import argparse

from virt.cli.context import CommandError, Context
from virt.cli.registry import Argument, CommandRegistry, complete_domains


def run_enter(ctx: Context, args: argparse.Namespace) -> int:
    from virt.errors import VirtError

    from virt_lxc import enter
    from virt_lxc.connection import LxcConnection

    domain = ctx.domain(args.domain)
    driver = domain.connection.driver
    if not isinstance(driver, LxcConnection):
        raise CommandError(
            f"this function is not supported by the connection driver '{driver.driver_name}': "
            "virDomainLxcOpenNamespace (lxc-enter-namespace needs a local lxc:/// connection)"
        )
    try:
        found = driver.namespaces(domain.ref)
        ctx.trailer = False  # what follows is the command's own output
        return enter.run(found.init_pid, found.cgroups, args.cmd, user_namespace=found.user_namespace)
    except VirtError as exc:
        raise CommandError(exc.message) from exc
    except OSError as exc:
        raise CommandError(exc.strerror or str(exc)) from exc


def register(commands: CommandRegistry) -> None:
    commands.add(
        "lxc-enter-namespace",
        "virt_lxc.cli:run_enter",
        group="Domain Management",
        help="LXC Guest Enter Namespace",
        description="Run an arbitrary command in a lxc guest namespace; use at your own risk",
        arguments=[
            Argument(
                "domain", positional=True, required=True, completer=complete_domains, help="domain name, id or uuid"
            ),
            Argument("--noseclabel", flag=True, help="Do not change process security label"),
            Argument("cmd", rest=True, required=True, help="command to run"),
        ],
    )

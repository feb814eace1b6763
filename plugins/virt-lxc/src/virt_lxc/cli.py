"""The ``virt`` commands of virt-lxc: ``lxc-enter-namespace`` (``console`` is virt's own)."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from virt.cli.context import CommandError, Context
from virt.cli.registry import Argument, CommandRegistry, complete_domains

if TYPE_CHECKING:
    from virt.uri import URI

    from virt_lxc.connection import Namespaces


def run_enter(ctx: Context, args: argparse.Namespace) -> int:
    from virt.errors import VirtError

    from virt_lxc import enter

    try:
        found = _namespaces(ctx, args.domain)
        ctx.trailer = False  # what follows is the command's own output
        return enter.run(found.init_pid, found.cgroups, args.cmd, user_namespace=found.user_namespace)
    except VirtError as exc:
        raise CommandError(exc.message) from exc
    except OSError as exc:
        raise CommandError(exc.strerror or str(exc)) from exc


def _namespaces(ctx: Context, key: str) -> Namespaces:
    """The container's namespaces through the connection, or from its status file when another
    process owns the driver (``virt`` itself, then, cannot open ``lxc:///``)."""
    from virt.errors import ErrorNumber, VirtError

    from virt_lxc.connection import LxcConnection

    try:
        domain = ctx.domain(key)
    except CommandError as exc:
        cause = exc.__cause__
        uri = _uri(ctx)
        if not (isinstance(cause, VirtError) and cause.code == ErrorNumber.RESOURCE_BUSY and uri is not None):
            raise
        from virt_lxc import peek

        return peek.namespaces(uri, key)
    driver = domain.connection.driver
    if not isinstance(driver, LxcConnection):
        raise CommandError(
            f"this function is not supported by the connection driver '{driver.driver_name}': "
            "virDomainLxcOpenNamespace (lxc-enter-namespace needs a local lxc:/// connection)"
        )
    return driver.namespaces(domain.ref)


def _uri(ctx: Context) -> URI | None:
    """The lxc URI this command was meant for, if it is one."""
    from virt import config
    from virt.uri import parse

    settings = config.load_config()
    text = ctx.uri or config.configured_default_uri(settings)
    if not text:
        return None
    found = parse(config.resolve_alias(text, settings))
    return found if found.scheme == "lxc" and not found.is_remote else None


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

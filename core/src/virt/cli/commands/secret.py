"""Secrets: ``secret-define``, ``secret-dumpxml``, ``secret-set-value``, ``secret-get-value``,
``secret-undefine``, ``secret-list``, ``secret-event``, with virsh's options, output and messages
(virsh-secret.c)."""

from __future__ import annotations

import argparse
import base64
import contextlib
import re
import sys
import time
from typing import TYPE_CHECKING

from virt.cli.commands.domain import file_argument, read_file
from virt.cli.context import CommandError, Context
from virt.cli.registry import Argument, CommandRegistry
from virt.errors import VirtError
from virt.secrets import EVENT_NAMES, SECRET_EVENT_ID_LIFECYCLE, DefineFlags, ListFlags, UsageType

if TYPE_CHECKING:
    from virt.secrets import Secret, SecretEvent

GROUP = "Secret"

_NOT_BASE64 = re.compile(rb"[^A-Za-z0-9+/=]")


def decode_base64(data: bytes) -> bytes:
    """What glib's g_base64_decode (virsh's decoder) makes of ``data``: characters outside the
    alphabet are skipped and an unfinished group of four is dropped, never an error."""
    kept = _NOT_BASE64.sub(b"", data)
    groups = bytearray()
    out = bytearray()
    for byte in kept:
        groups.append(byte)
        if len(groups) == 4:
            with contextlib.suppress(ValueError):  # padding inside a group: glib makes nothing of it
                out += base64.b64decode(bytes(groups))
            groups.clear()
    return bytes(out)


def _secret(ctx: Context, key: str) -> Secret:
    try:
        return ctx.conn.lookup_secret_by_uuid(key)
    except VirtError as exc:
        raise CommandError(f"failed to get secret '{key}'", exc.message) from exc


def run_secret_define(ctx: Context, args: argparse.Namespace) -> None:
    xml = read_file(args.file)
    flags = DefineFlags.VALIDATE if args.validate else DefineFlags.NONE
    try:
        secret = ctx.conn.define_secret(xml, flags)
    except VirtError as exc:
        raise CommandError(f"Failed to set attributes from {args.file}", exc.message) from exc
    ctx.print_extra(f"Secret {secret.uuid} created")


def run_secret_dumpxml(ctx: Context, args: argparse.Namespace) -> None:
    from virt.cli.commands.saving import print_selected_xml

    secret = _secret(ctx, args.secret)
    try:
        xml = secret.xml()
    except VirtError as exc:
        raise CommandError(exc.message) from exc
    print_selected_xml(ctx, xml, args.xpath, args.wrap)


def _exclusive(args: argparse.Namespace, *pairs: tuple[str, str]) -> None:
    for first, second in pairs:
        if getattr(args, first) and getattr(args, second):
            raise CommandError(f"Options --{first} and --{second} are mutually exclusive")


def _interactive_value(ctx: Context) -> bytes:
    prompt = "Enter new value for secret:"
    if sys.stdin.isatty():
        import getpass

        return getpass.getpass(prompt).encode()
    ctx.print(prompt, end="")
    ctx.stdout.flush()
    return sys.stdin.readline().rstrip("\n").encode()


def run_secret_set_value(ctx: Context, args: argparse.Namespace) -> None:
    _exclusive(
        args, ("file", "base64"), ("plain", "base64"), ("interactive", "base64"), ("interactive", "plain"),
        ("interactive", "file"),
    )  # fmt: skip
    secret = _secret(ctx, args.secret)
    if args.base64 is not None:
        ctx.stderr.write("error: Passing secret value as command-line argument is insecure!\n")
        value = decode_base64(args.base64.encode())
    elif args.file is not None:
        try:
            with open(args.file, "rb") as stream:
                data = stream.read()
        except OSError as exc:
            raise CommandError(f"Failed to open file '{args.file}': {exc.strerror}") from exc
        value = data if args.plain else decode_base64(data)
    elif args.interactive:
        value = _interactive_value(ctx)
    else:
        raise CommandError("Input secret value is missing")
    if not value:
        # virsh hands libvirt no value at all, which refuses that before asking the daemon
        raise CommandError("Failed to set secret value", "value in virSecretSetValue must not be NULL")
    try:
        secret.set_value(value)
    except VirtError as exc:
        raise CommandError("Failed to set secret value", exc.message) from exc
    ctx.print_extra("Secret value set")


def run_secret_get_value(ctx: Context, args: argparse.Namespace) -> None:
    secret = _secret(ctx, args.secret)
    try:
        value = secret.value()
    except VirtError as exc:
        raise CommandError(exc.message) from exc
    if args.plain:
        ctx.stdout.flush()
        out = getattr(ctx.stdout, "buffer", None)
        if out is not None:
            out.write(value)
            out.flush()
        else:
            ctx.stdout.write(value.decode(errors="replace"))
        ctx.print()
    else:
        ctx.print(base64.b64encode(value).decode())
    ctx.trailer = False  # virsh prints the value alone, without its usual blank line


def run_secret_undefine(ctx: Context, args: argparse.Namespace) -> None:
    secret = _secret(ctx, args.secret)
    try:
        secret.undefine()
    except VirtError as exc:
        raise CommandError(f"Failed to delete secret {args.secret}", exc.message) from exc
    ctx.print_extra(f"Secret {args.secret} deleted")


def usage_text(secret: Secret) -> str:
    """secret-list's Usage column: the usage type and id, or ``Unused``."""
    if secret.usage_type == UsageType.NONE:
        return "Unused"
    try:
        label = UsageType(secret.usage_type).label
    except ValueError:
        label = str(secret.usage_type)
    return f"{label} {secret.usage_id}"


def run_secret_list(ctx: Context, args: argparse.Namespace) -> None:
    flags = ListFlags.NONE
    for name, flag in (
        ("ephemeral", ListFlags.EPHEMERAL), ("no_ephemeral", ListFlags.NO_EPHEMERAL),
        ("private", ListFlags.PRIVATE), ("no_private", ListFlags.NO_PRIVATE),
    ):  # fmt: skip
        if getattr(args, name):
            flags |= flag
    try:
        secrets = ctx.conn.list_secrets(flags)
    except VirtError as exc:
        raise CommandError("Failed to list secrets", exc.message) from exc
    secrets.sort(key=lambda s: str(s.uuid))
    ctx.table(["UUID", "Usage"], [[str(s.uuid), usage_text(s)] for s in secrets])


def run_secret_event(ctx: Context, args: argparse.Namespace) -> int:
    import queue

    from virt.cli.commands.events import listen, timeout_of, timestamp_text

    if args.list:
        for name in EVENT_NAMES.values():
            ctx.print(name)
        return 0
    if args.event is None:
        raise CommandError("either --list or --event <type> is required")
    wanted = next((event_id for event_id, name in EVENT_NAMES.items() if name == args.event), None)
    if wanted is None:
        raise CommandError(f"unknown event type {args.event}")
    timeout = timeout_of(args.timeout)
    secret = _secret(ctx, args.secret) if args.secret is not None else None
    lines: queue.SimpleQueue[str] = queue.SimpleQueue()

    def on_event(handle: Secret, event: SecretEvent) -> None:
        line = f"event '{EVENT_NAMES[event.event_id]}' for secret {handle.uuid}"
        if event.event_id == SECRET_EVENT_ID_LIFECYCLE and event.type is not None:
            line += f": {event.type.label}"
        lines.put(f"{timestamp_text(time.time())}: {line}" if args.timestamp else line)

    handle = ctx.conn.add_secret_event_callback(on_event, wanted, secret)
    try:
        count = listen(ctx, lines, loop=args.loop, timeout=timeout)
    finally:
        if ctx.connected:
            ctx.conn.remove_secret_event_callback(handle)
    ctx.print(f"events received: {count}")
    return 0 if count else 1  # virsh fails, silently, when nothing came


def register(commands: CommandRegistry) -> None:
    secret = Argument("secret", positional=True, required=True, help="secret UUID")
    commands.add(
        "secret-define",
        run_secret_define,
        group=GROUP,
        help="define or modify a secret from an XML file",
        description="Define or modify a secret.",
        arguments=[
            file_argument("file containing secret attributes in XML"),
            Argument("--validate", flag=True, help="validate the XML against the schema"),
        ],
    )
    commands.add(
        "secret-dumpxml",
        run_secret_dumpxml,
        group=GROUP,
        help="secret attributes in XML",
        description="Output attributes of a secret as an XML dump to stdout.",
        arguments=[
            secret,
            Argument("--xpath", metavar="string", help="xpath expression to filter the XML document"),
            Argument("--wrap", flag=True, help="wrap xpath results in an common root element"),
        ],
    )
    commands.add(
        "secret-set-value",
        run_secret_set_value,
        group=GROUP,
        help="set a secret value",
        description="Set a secret value.",
        arguments=[
            secret,
            Argument("--file", metavar="string", help="read secret from file"),
            Argument("--plain", flag=True, help="read the secret from file without converting from base64"),
            Argument("--interactive", flag=True, help="read the secret from the terminal"),
            Argument("base64", positional=True, help="base64-encoded secret value"),
        ],
    )
    commands.add(
        "secret-get-value",
        run_secret_get_value,
        group=GROUP,
        help="Output a secret value",
        description="Output a secret value to stdout.",
        arguments=[secret, Argument("--plain", flag=True, help="get value without converting to base64")],
    )
    commands.add(
        "secret-undefine",
        run_secret_undefine,
        group=GROUP,
        help="undefine a secret",
        description="Undefine a secret.",
        arguments=[secret],
    )
    commands.add(
        "secret-list",
        run_secret_list,
        group=GROUP,
        help="list secrets",
        description="Returns a list of secrets",
        arguments=[
            Argument("--ephemeral", flag=True, help="list ephemeral secrets"),
            Argument("--no-ephemeral", flag=True, help="list non-ephemeral secrets"),
            Argument("--private", flag=True, help="list private secrets"),
            Argument("--no-private", flag=True, help="list non-private secrets"),
        ],
    )
    commands.add(
        "secret-event",
        run_secret_event,
        group=GROUP,
        help="Secret Events",
        description="List event types, or wait for secret events to occur",
        arguments=[
            Argument("--secret", help="filter by secret name or uuid"),
            Argument("--event", help="which event type to wait for"),
            Argument("--loop", flag=True, help="loop until timeout or interrupt, rather than one-shot"),
            Argument("--timeout", metavar="number", help="timeout seconds"),
            Argument("--list", flag=True, help="list valid event types"),
            Argument("--timestamp", flag=True, help="show timestamp for each printed event"),
        ],
    )

"""``virt screenshot`` and ``virt domdisplay``: a domain's screen as an image file, and the URI a
viewer connects to, with virsh's words and output.

``domdisplay`` reads the domain's live XML as virsh does (the same XPath lookups, in the same
order of protocols: VNC, SPICE, RDP), so that it prints what virsh prints for any driver.
"""

from __future__ import annotations

import argparse
import os
import re
import socket
from pathlib import Path
from typing import TYPE_CHECKING

from virt.cli.commands.domain import domain_argument
from virt.cli.context import CommandError, Context
from virt.cli.registry import Argument, CommandRegistry, complete_files

if TYPE_CHECKING:
    from lxml import etree

GROUP = "Domain Management"
SCHEMES = ("vnc", "spice", "rdp")
"""The protocols domdisplay looks for, in virsh's order."""
_EXTENSIONS = {"image/png": ".png", "image/x-portable-pixmap": ".ppm"}
_UINT_MAX = 2**32 - 1
_LONG = re.compile(r"\s*[+-]?\d+")


# -- screenshot ---------------------------------------------------------------------------------------
def _screen(text: str | None) -> int:
    """vshCommandOptUInt: decimal, not negative, within an unsigned int."""
    if text is None:
        return 0
    value = int(text) if re.fullmatch(r"\s*\+?\d+", text) else -1
    if not 0 <= value <= _UINT_MAX:
        raise CommandError(f"Numeric value '{text}' for <screen> option is malformed or out of range")
    return value


def generated_name(domain: str, mime: str) -> str:
    """virsh's file name for a screenshot: ``DOMAIN-YYYY-MM-DD-HH:MM:SS`` and the type's extension."""
    import time

    return f"{domain}-{time.strftime('%Y-%m-%d-%H:%M:%S')}{_EXTENSIONS.get(mime, '')}"


def run_screenshot(ctx: Context, args: argparse.Namespace) -> None:
    from virt.errors import VirtError

    screen = _screen(args.screen)
    _given(args.file, "file")
    domain = ctx.domain(args.domain)
    try:
        shot = domain.screenshot(screen)
    except VirtError as exc:
        raise CommandError(f"could not take a screenshot of {args.domain}", exc.message) from exc
    path = args.file or generated_name(domain.name, shot.mime)
    _save(path, shot.data, args.domain)
    ctx.print_extra(f"Screenshot saved to {path}, with type of {shot.mime}", end="")  # the trailer ends the line


def _given(value: str | None, option: str) -> None:
    """vshCommandOptStringReq: an option given must not be empty."""
    if value == "":
        raise CommandError(f"Failed to get option '{option}': Option argument is empty")


def _save(path: str, data: bytes, name: str) -> None:
    """Write the image as virsh does: a new file, or an existing one truncated; a file this call
    created is removed again when the image cannot be written whole."""
    created = True
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    except FileExistsError:
        created = False
        try:
            fd = os.open(path, os.O_WRONLY | os.O_TRUNC)
        except OSError as exc:
            raise CommandError(f"cannot create file {path}") from exc
    except OSError as exc:
        raise CommandError(f"cannot create file {path}") from exc
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
    except OSError as exc:
        if created:
            Path(path).unlink(missing_ok=True)
        raise CommandError(f"could not receive data from domain {name}") from exc


# -- domdisplay ---------------------------------------------------------------------------------------
def run_domdisplay(ctx: Context, args: argparse.Namespace) -> None:
    from lxml import etree

    from virt.errors import VirtError

    if args.all and args.type is not None:
        raise CommandError("Options --all and --type are mutually exclusive")
    domain = ctx.domain(args.domain)
    if not domain.is_active():
        raise CommandError("Domain is not running")
    _given(args.type, "type")
    try:
        text = domain.xml(secure=args.include_password)
    except VirtError as exc:
        raise CommandError("Failed to get domain description xml", exc.message) from exc
    root = etree.fromstring(text.encode())
    server = ctx.conn.uri.host
    found = False
    for scheme in SCHEMES:
        if not args.all and args.type is not None and args.type != scheme:
            continue
        display = display_uri(root, scheme, server)
        if display is None:
            continue
        ctx.print(display, end="")
        found = True
        if not args.all:
            break
        ctx.print()
    if not found:
        if args.type is not None:
            raise CommandError(f"No graphical display with type '{args.type}' found")
        raise CommandError("No graphical display found")


def display_uri(root: etree._Element, scheme: str, server: str | None) -> str | None:
    """The URI of the domain's first ``scheme`` display (None without a port or a socket), built
    from the live XML as virsh builds it; ``server``: the connection URI's host, for a display
    listening on every address."""

    def lookup(path: str) -> str | None:
        value = root.xpath(f"string(/domain/devices/graphics[@type='{scheme}']/{path})")
        return str(value) or None  # libvirt's virXPathString: an empty string is no value

    port, tls_port = _xpath_int(lookup("@port")), _xpath_int(lookup("@tlsPort"))
    listen = lookup("@listen")
    socket_path = lookup("listen/@socket") if lookup("listen/@type") == "socket" else None
    if not port and not tls_port and not socket_path:
        return None
    if listen is None:
        listen = lookup("listen/@address")  # older definitions keep the address only there
    elif _is_wildcard(listen):
        listen = server  # every address: the host the client reached
    password = lookup("@passwd")
    uri = f"{scheme}+unix://" if socket_path else f"{scheme}://"
    if scheme == "vnc" and password:
        uri += f":{password}@"
    if socket_path:
        uri += socket_path
    elif listen is None:
        uri += "localhost"
    else:
        uri += f"[{listen}]" if ":" in listen else listen
    if port:
        uri += f":{port - 5900 if scheme == 'vnc' else port}"  # VNC viewers take the display number
    if scheme == "spice":
        params = ([f"tls-port={tls_port}"] if tls_port else []) + ([f"password={password}"] if password else [])
        if params:
            uri += "?" + "&".join(params)
    return uri


def _xpath_int(text: str | None) -> int:
    """virXPathInt as virsh uses it: a decimal number, else 0."""
    if text is None or not _LONG.fullmatch(text):
        return 0
    value = int(text)
    return value if -(2**31) <= value < 2**31 else 0


def _is_wildcard(address: str) -> bool:
    """0.0.0.0 or :: (any spelling the resolver takes as a number), as virSocketAddrIsWildcard."""
    try:
        found = socket.getaddrinfo(address, None, flags=socket.AI_NUMERICHOST)
    except (socket.gaierror, UnicodeError):
        return False
    return any(not any(socket.inet_pton(family, str(sockaddr[0]))) for family, *_, sockaddr in found)


def register(commands: CommandRegistry) -> None:
    commands.add(
        "screenshot",
        run_screenshot,
        group=GROUP,
        help="take a screenshot of a current domain console and store it into a file",
        description="screenshot of a current domain console",
        arguments=[
            domain_argument(),
            Argument("file", positional=True, completer=complete_files, help="where to store the screenshot"),
            Argument("--screen", metavar="number", help="ID of a screen to take screenshot of"),
        ],
    )
    commands.add(
        "domdisplay",
        run_domdisplay,
        group=GROUP,
        help="domain display connection URI",
        description="Output the IP address and port number for the graphical display.",
        arguments=[
            domain_argument(),
            Argument(
                "--include-password", flag=True, help="includes the password into the connection URI if available"
            ),
            Argument("--type", help='select particular graphical display (e.g. "vnc", "spice", "rdp", "dbus")'),
            Argument("--all", flag=True, help="show all possible graphical displays"),
        ],
    )

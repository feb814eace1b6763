"""Displays of running guests: what libvirt writes into the live definition and sets over QMP.

- Before the command is built: a listen of type address without an address gets QEMU's
  ``127.0.0.1`` (libvirt's ``vnc_listen`` and ``spice_listen`` default) in the live definition, and
  an autoport SPICE display gets a free port from 5900 up (QEMU cannot pick one for SPICE itself;
  libvirt's port allocator does the same).
- Once QEMU runs: the VNC port QEMU took for an autoport display (``query-vnc``) goes into the live
  definition, and the passwords of the displays that have one are set (``set_password``).
- ``virsh domdisplay`` builds its URI from that live definition (type, listen, port).

The ports are kept in the in-memory live definition; a copy of it made by parsing (dumpxml) has
them carried over by :func:`carry_ports` (parsing turns an autoport port back into -1, as
libvirt's inactive parse does).
"""

from __future__ import annotations

import contextlib
import socket
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from virt.xml import Domain
    from virt.xml.devices import Graphics

DEFAULT_LISTEN = "127.0.0.1"
PORT_MIN, PORT_MAX = 5900, 65535
"""libvirt's remote_display_port_min and _max."""

Qmp = Callable[..., Any]


def _graphics(definition: Domain) -> list[Graphics]:
    return list(definition.devices.graphics) if definition.devices is not None else []


def prepare(definition: Domain) -> None:
    """Fill in the live definition what the command needs decided (listen address, SPICE port)."""
    for graphics in _graphics(definition):
        first = graphics.listens[0] if graphics.listens else None
        if first is not None and first.type == "address" and first.address is None:
            first.address = DEFAULT_LISTEN
            graphics.listen = DEFAULT_LISTEN
        autoport = graphics.autoport or graphics.port in (None, -1)
        if graphics.type == "spice" and autoport and (first is None or first.type == "address"):
            graphics.port = free_port(graphics.listen or DEFAULT_LISTEN)
            graphics.autoport = True


def free_port(host: str, first: int = PORT_MIN, last: int = PORT_MAX) -> int:
    """The first port from ``first`` to ``last`` on which nothing listens on ``host`` (bound and released)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    for port in range(first, last + 1):
        with socket.socket(family, socket.SOCK_STREAM) as probe:
            try:
                probe.bind((host, port))
            except OSError:
                continue
            return port
    raise OSError(f"no free port on {host} between {first} and {last}")


def after_launch(definition: Domain, qmp: Qmp) -> None:
    """QEMU runs (paused): record the VNC port it chose, set the displays' passwords."""
    for graphics in _graphics(definition):
        first = graphics.listens[0] if graphics.listens else None
        if graphics.type == "vnc" and graphics.autoport and (first is None or first.type != "socket"):
            info = qmp("query-vnc")
            with contextlib.suppress(KeyError, TypeError, ValueError):
                graphics.port = int(info["service"])
        if graphics.type in ("vnc", "spice") and graphics.passwd is not None:
            qmp("set_password", {"protocol": graphics.type, "password": graphics.passwd})


def ports_unknown(live: Domain) -> bool:
    """An autoport VNC display of a running guest whose port is not known (a reconnected guest)."""
    return any(
        g.type == "vnc"
        and g.autoport
        and (g.port is None or g.port < 0)
        and not (g.listens and g.listens[0].type == "socket")
        for g in _graphics(live)
    )


def carry_ports(live: Domain, copy: Domain) -> None:
    """Give ``copy`` (parsed from ``live``) the real ports of its autoport displays."""
    for source, target in zip(_graphics(live), _graphics(copy), strict=False):
        if source.autoport and source.port is not None and source.port > 0:
            target.port = source.port

"""Displays of running guests: what libvirt writes into the live definition and sets over QMP.

- Before the command is built: a listen of type address without an address gets QEMU's
  ``127.0.0.1`` (libvirt's ``vnc_listen`` and ``spice_listen`` default) in the live definition, and
  an autoport SPICE display gets a free port from 5900 up (QEMU cannot pick one for SPICE itself;
  libvirt's port allocator does the same).
- Once QEMU runs: the VNC port QEMU took for an autoport display (``query-vnc``) goes into the live
  definition, and the passwords of the displays that have one are set (``set_password``).
- ``virsh domdisplay`` builds its URI from that live definition (type, listen, port).

The ports are kept in the in-memory live definition; a copy of it made by parsing (dumpxml) has
them carried over by ``virt.localstate.ports.carry_display_ports`` (parsing turns an autoport port
back into -1, as libvirt's inactive parse does).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from virt.errors import ErrorDomain
from virt.localstate.ports import free_port

if TYPE_CHECKING:
    from virt.xml import Domain
    from virt.xml.devices import Graphics

DEFAULT_LISTEN = "127.0.0.1"
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
            graphics.port = free_port(graphics.listen or DEFAULT_LISTEN, error_domain=ErrorDomain.QEMU)
            graphics.autoport = True


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

"""Free ports for what a local driver makes listen: displays, migration streams (libvirt's port
allocator over its ranges, ``remote_display_port_min``/``_max`` and ``migration_port_min``/``_max``)."""

from __future__ import annotations

import socket
from collections.abc import Collection
from typing import TYPE_CHECKING

from virt.errors import ErrorDomain, ErrorNumber, libvirt_error

if TYPE_CHECKING:
    from virt.xml import Domain

DISPLAY_PORTS = range(5900, 65536)
"""libvirt's ``remote_display_port_min`` to ``_max``: VNC and SPICE displays."""


def free_port(
    host: str | None,
    ports: range = DISPLAY_PORTS,
    *,
    taken: Collection[int] = (),
    name: str = "display",
    error_domain: ErrorDomain = ErrorDomain.NONE,
) -> int:
    """The first port of ``ports`` not in ``taken`` on which nothing listens on ``host`` (bound and
    released there; ``host`` None: a remote host's, known only by ``taken``). None free: libvirt's
    error naming the range."""
    for port in ports:
        if port in taken:
            continue
        if host is None or _bindable(host, port):
            return port
    raise libvirt_error(
        ErrorNumber.INTERNAL_ERROR,
        f"Unable to find an unused port in range '{name}' ({ports.start}-{ports.stop - 1})",
        error_domain,
    )


def _bindable(host: str, port: int) -> bool:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


def carry_display_ports(live: Domain, copy: Domain) -> None:
    """Give ``copy`` (parsed from ``live``) the ports its automatic displays were given: parsing
    turns such a port back into -1, as libvirt's inactive parse does."""
    if live.devices is None or copy.devices is None:
        return
    for source, target in zip(live.devices.graphics, copy.devices.graphics, strict=False):
        if source.autoport and source.port is not None and source.port > 0:
            target.port = source.port

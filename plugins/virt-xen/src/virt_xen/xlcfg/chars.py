"""Character devices in the xm/xl forms (``serial``/``parallel`` strings, xl ``channel`` specs),
as libvirt's xenFormatSxprChr / xenParseSxprChr write and read them:
``pty``, ``file:PATH``, ``/dev/...``, ``tcp:HOST:PORT[,server,nowait]``,
``udp:HOST:PORT@BINDHOST:BINDPORT``, ``unix:PATH[,server,nowait]`` and the like."""

from __future__ import annotations

from virt.xml.devices import Char, CharSource

from virt_xen.xlcfg.errors import unsupported

PLAIN = ("null", "stdio", "vc", "pty")


def escape(text: str) -> str:
    """Backslashes and single quotes escaped, as libvirt escapes paths in these strings."""
    return text.replace("\\", "\\\\").replace("'", "\\'")


def _source(char: Char, mode: str | None = None) -> CharSource:
    for source in char.sources:
        if mode is None or (source.mode or "connect") == mode:
            return source
    return CharSource()


def format_char(char: Char) -> str:
    kind = char.type or "pty"
    first = _source(char)
    if kind in PLAIN:
        return kind
    if kind in ("file", "pipe"):
        return f"{kind}:{escape(first.path or '')}"
    if kind == "dev":
        return escape(first.path or "")
    if kind == "tcp":
        protocol = char.protocol.get("type") if char.protocol is not None else "raw"
        listen = ",server,nowait" if first.mode == "bind" else ""
        scheme = "tcp" if protocol in (None, "raw") else "telnet"
        return f"{scheme}:{first.host or ''}:{first.service or ''}{listen}"
    if kind == "udp":
        connect, bind = _source(char, "connect"), _source(char, "bind")
        return f"udp:{connect.host or ''}:{connect.service or ''}@{bind.host or ''}:{bind.service or ''}"
    if kind == "unix":
        listen = ",server,nowait" if first.mode == "bind" else ""
        return f"unix:{escape(first.path or '')}{listen}"
    raise unsupported(f"unsupported chr device type '{kind}'")


def format_channel(channel: Char) -> str:
    """An xl ``channel`` spec: a pty or a listening UNIX socket, and the channel's name."""
    name = channel.target.name if channel.target is not None else None
    if channel.type == "pty":
        return f"connection=pty,name={name}"
    if channel.type == "unix":
        path = _source(channel).path
        return f"connection=socket,{f'path={path},' if path else ''}name={name}"
    raise unsupported(f"channel type '{channel.type}' has no xl channel connection (pty and unix only)")

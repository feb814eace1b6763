"""Character devices in the xm/xl forms (``serial``/``parallel`` strings, xl ``channel`` specs),
as libvirt's xenFormatSxprChr / xenParseSxprChr write and read them:
``pty``, ``file:PATH``, ``/dev/...``, ``tcp:HOST:PORT[,server,nowait]``,
``udp:HOST:PORT@BINDHOST:BINDPORT``, ``unix:PATH[,server,nowait]`` and the like."""

from __future__ import annotations

from lxml import etree
from virt.xml.devices import Char, CharSource, CharTarget

from virt_xen.xlcfg.errors import BadValue, unsupported
from virt_xen.xlcfg.models import make
from virt_xen.xlcfg.specs import key_values

PLAIN = ("null", "stdio", "vc", "pty")
# the character device types libvirt knows by name (virDomainChrType)
KNOWN_TYPES = frozenset(
    {"null", "vc", "pty", "dev", "file", "pipe", "stdio", "udp", "tcp", "unix", "spicevmc", "spiceport", "nmdm",
     "qemu-vdagent", "dbus"}
)  # fmt: skip


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


def parse_char(text: str) -> Char:
    """A character device from its string; BadValue names what is wrong."""
    if text.startswith("/"):
        return make(Char, type="dev", sources=[make(CharSource, path=text)])
    prefix, colon, rest = text.partition(":")
    value = rest if colon else text
    protocol = None
    if prefix.startswith("telnet"):
        kind, protocol = "tcp", "telnet"
    elif prefix in KNOWN_TYPES:
        kind = prefix
    else:
        raise BadValue(f"unknown chr device type '{prefix}'")
    char = make(Char, type=kind)
    if kind in ("file", "pipe"):
        char.sources = [make(CharSource, path=value)]
    elif kind == "tcp":
        host, colon, service = value.partition(":")
        if not colon:
            raise BadValue(f"malformed char device string '{text}' (expected HOST:PORT)")
        service, _, options = service.partition(",")
        mode = "bind" if ",server" in f",{options}" else "connect"
        char.sources = [make(CharSource, mode=mode, host=host or None, service=service)]
        if protocol is not None:
            char.protocol = etree.Element("protocol", type=protocol)
    elif kind == "udp":
        host, colon, service = value.partition(":")
        if not colon:
            raise BadValue(f"malformed char device string '{text}' (expected HOST:PORT[@HOST:PORT])")
        service, at, bind = service.partition("@")
        sources = [make(CharSource, mode="connect", host=host or None, service=service)]
        if at:
            bind_host, colon, bind_service = bind.partition(":")
            if not colon:
                raise BadValue(f"malformed char device string '{text}' (expected a bind HOST:PORT after '@')")
            sources.insert(0, make(CharSource, mode="bind", host=bind_host or None, service=bind_service))
        char.sources = sources
    elif kind == "unix":
        path, _, options = value.partition(",")
        listen: str | None = "bind" if ",server" in f",{options}" else None
        char.sources = [make(CharSource, mode=listen, path=path)]
    return char


def parse_channel(text: str) -> Char | None:
    """An xl channel spec (connection=pty|socket,name=,path=); None for one libvirt skips
    (a part without '=')."""
    fields = key_values(text)
    if fields is None:
        return None
    connection = fields.get("connection", "")
    if connection.startswith("socket"):
        channel = make(Char, type="unix", sources=[make(CharSource, mode="bind", path=fields.get("path"))])
    elif connection.startswith("pty"):
        channel = make(Char, type="pty")
    else:
        raise BadValue(f"channel connection '{connection}' is neither pty nor socket")
    channel.target = make(CharTarget, type="xen", name=fields.get("name"))
    return channel

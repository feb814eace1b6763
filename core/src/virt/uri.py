"""Connection URIs in libvirt's grammar: ``driver[+transport]://[user@][host][:port]/[path][?k=v&...]``."""

from __future__ import annotations

import re
from urllib.parse import quote, unquote

import attrs

from virt.errors import URIError

_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9.\-]*")
_TRANSPORT = re.compile(r"[A-Za-z][A-Za-z0-9.\-]*")
_HOST_NAME = re.compile(r"[A-Za-z0-9._~\-%!$&'()*,;=]*")
_IPV6 = re.compile(r"[0-9A-Fa-f:.]+(%[A-Za-z0-9._~\-]+)?")


@attrs.frozen
class URI:
    """One parsed connection URI; ``str(uri)`` gives it back in canonical form."""

    scheme: str
    transport: str | None = None
    user: str | None = None
    host: str | None = None
    port: int | None = None
    path: str = ""
    params: tuple[tuple[str, str], ...] = ()
    fragment: str | None = None

    @property
    def driver(self) -> str:
        """The driver part of the scheme (``qemu`` for ``qemu+ssh``)."""
        return self.scheme

    @property
    def is_remote(self) -> bool:
        """True when a transport or a host sends the URI to the remote client driver."""
        return self.transport is not None or bool(self.host)

    def param(self, name: str, default: str | None = None) -> str | None:
        """The last value given for query parameter ``name``."""
        found = default
        for key, value in self.params:
            if key == name:
                found = value
        return found

    def without_remote(self) -> URI:
        """The URI the remote side is asked to open: no transport, host, user, port or params."""
        return URI(scheme=self.scheme, path=self.path or "/")

    def __str__(self) -> str:
        scheme = self.scheme + (f"+{self.transport}" if self.transport else "")
        authority = ""
        if self.user is not None:
            authority += quote(self.user, safe="") + "@"
        if self.host:
            authority += f"[{self.host}]" if ":" in self.host else self.host
        if self.port is not None:
            authority += f":{self.port}"
        text = f"{scheme}://{authority}{quote(self.path, safe='/:@!$&()*+,;=~')}"
        if self.params:
            text += "?" + "&".join(f"{quote(k, safe='')}={quote(v, safe='/:@!$()*+,;~')}" for k, v in self.params)
        if self.fragment is not None:
            text += "#" + quote(self.fragment, safe="")
        return text


def parse(text: str) -> URI:
    """Parse ``text``; a malformed URI raises URIError naming the part that is wrong."""
    if not isinstance(text, str) or not text:
        raise URIError("URI is empty")
    if any(ch.isspace() for ch in text):
        raise URIError(f"URI {text!r} contains white space")
    scheme_part, sep, rest = text.partition("://")
    if not sep:
        raise URIError(f"URI {text!r} has no '://' after the scheme (expected driver[+transport]://[host]/path)")
    scheme, plus, transport = scheme_part.partition("+")
    if not _SCHEME.fullmatch(scheme):
        raise URIError(f"URI {text!r}: scheme {scheme!r} is not a valid driver name")
    if plus and not _TRANSPORT.fullmatch(transport):
        raise URIError(f"URI {text!r}: transport {transport!r} is not valid")

    rest, hash_sep, fragment = rest.partition("#")
    rest, _, query = rest.partition("?")
    slash = rest.find("/")
    authority, path = (rest, "") if slash < 0 else (rest[:slash], rest[slash:])

    user = None
    if "@" in authority:
        raw_user, _, authority = authority.rpartition("@")
        user = unquote(raw_user)
    host, port = _parse_host_port(text, authority)
    return URI(
        scheme=scheme.lower(),
        transport=transport.lower() if plus else None,
        user=user,
        host=host,
        port=port,
        path=unquote(path),
        params=_parse_query(text, query),
        fragment=unquote(fragment) if hash_sep else None,
    )


def _parse_host_port(text: str, authority: str) -> tuple[str | None, int | None]:
    if authority.startswith("["):
        end = authority.find("]")
        if end < 0:
            raise URIError(f"URI {text!r}: IPv6 host {authority!r} has no closing ']'")
        host = authority[1:end]
        if not _IPV6.fullmatch(host):
            raise URIError(f"URI {text!r}: IPv6 host {host!r} is not valid")
        port_text = authority[end + 1 :]
        if port_text and not port_text.startswith(":"):
            raise URIError(f"URI {text!r}: unexpected {port_text!r} after the IPv6 host")
        port_text = port_text[1:] if port_text else ""
    else:
        host, colon, port_text = authority.partition(":")
        if not colon:
            port_text = ""
        elif not port_text:
            raise URIError(f"URI {text!r}: port is empty after ':'")
        if not _HOST_NAME.fullmatch(host):
            raise URIError(f"URI {text!r}: host {host!r} contains characters a host name cannot have")
        host = unquote(host)
    port = None
    if port_text:
        if not port_text.isdigit():
            raise URIError(f"URI {text!r}: port {port_text!r} is not a number")
        port = int(port_text)
        if not 0 < port < 65536:
            raise URIError(f"URI {text!r}: port {port} is out of range 1-65535")
    return host or None, port


def _parse_query(text: str, query: str) -> tuple[tuple[str, str], ...]:
    params = []
    for item in query.replace(";", "&").split("&"):
        if not item:
            continue
        key, _, value = item.partition("=")
        if not key:
            raise URIError(f"URI {text!r}: query parameter {item!r} has no name")
        params.append((unquote(key.replace("+", " ")), unquote(value.replace("+", " "))))
    return tuple(params)

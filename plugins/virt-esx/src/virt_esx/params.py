"""What an ``esx://``, ``gsx://`` or ``vpx://`` URI asks for, checked before any network traffic.

The parameters are libvirt's (``transport``, ``no_verify``, ``auto_answer``, ``proxy``) plus virt's
own ``timeout``; ``vcenter`` (libvirt's migration helper) is refused, since migration is not offered.
"""

from __future__ import annotations

import attrs
from virt.errors import ErrorDomain, ErrorNumber, VirtError
from virt.uri import URI

# libvirt's defaults: (https, http) ports by scheme
_PORTS = {"esx": (443, 80), "vpx": (443, 80), "gsx": (8333, 8222)}
_PROXY_TYPES = ("http", "socks", "socks4", "socks4a", "socks5")
DEFAULT_TIMEOUT = 30.0
"""Seconds one request to the server may take (connecting included) before the call fails."""


def _invalid(uri: URI, reason: str) -> VirtError:
    return VirtError(f"invalid argument: URI '{uri}': {reason}", ErrorNumber.INVALID_ARG, ErrorDomain.ESX)


def _flag(uri: URI, name: str) -> bool:
    value = uri.param(name, "0")
    if value not in ("0", "1"):
        raise _invalid(uri, f"query parameter '{name}' has unexpected value '{value}' (expecting '0' or '1')")
    return value == "1"


@attrs.frozen
class Proxy:
    type: str
    host: str
    port: int


def _proxy(uri: URI) -> Proxy | None:
    text = uri.param("proxy")
    if not text:
        return None
    kind, sep, rest = text.partition("://")
    if not sep:
        kind, rest = "http", text
    if kind not in _PROXY_TYPES:
        raise _invalid(uri, f"proxy type '{kind}' is not one of {', '.join(_PROXY_TYPES)}")
    if kind != "http":
        # pyvmomi tunnels through an HTTP proxy only; saying so beats a connection that ignores it
        raise VirtError(
            f"URI '{uri}': a {kind} proxy is not supported, only http://HOST[:PORT]",
            ErrorNumber.CONFIG_UNSUPPORTED,
            ErrorDomain.ESX,
        )
    host, colon, port_text = rest.rstrip("/").rpartition(":")
    if not colon or not port_text.isdigit():
        host, port_text = rest.rstrip("/"), "1080"
    if not host:
        raise _invalid(uri, f"proxy '{text}' has no host")
    port = int(port_text)
    if not 0 < port < 65536:
        raise _invalid(uri, f"proxy port {port} is out of range 1-65535")
    return Proxy(kind, host, port)


@attrs.frozen
class EsxParams:
    """A checked URI: where to connect and how."""

    scheme: str
    host: str
    port: int
    transport: str
    no_verify: bool
    auto_answer: bool
    proxy: Proxy | None
    timeout: float
    path: tuple[str, ...]
    """vpx: the inventory path of the host (datacenter, folders, cluster, host); empty for esx/gsx."""

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{self.transport}://{host}:{self.port}/sdk"

    @classmethod
    def from_uri(cls, uri: URI) -> EsxParams:
        if uri.scheme not in _PORTS:
            raise _invalid(uri, f"scheme '{uri.scheme}' is not esx, gsx or vpx")
        if not uri.host:
            raise _invalid(uri, f"{uri.scheme}:// needs the server's host name ({uri.scheme}://HOST/)")
        transport = uri.param("transport", "https") or "https"
        if transport not in ("https", "http"):
            raise _invalid(uri, f"query parameter 'transport' has unexpected value '{transport}' (https or http)")
        if uri.param("vcenter") is not None:
            raise VirtError(
                f"URI '{uri}': the 'vcenter' parameter (for migration) is not supported",
                ErrorNumber.CONFIG_UNSUPPORTED,
                ErrorDomain.ESX,
            )
        timeout_text = uri.param("timeout")
        try:
            timeout = float(timeout_text) if timeout_text else DEFAULT_TIMEOUT
        except ValueError:
            timeout = -1.0
        if not timeout > 0:
            raise _invalid(uri, f"query parameter 'timeout' has unexpected value '{timeout_text}' (seconds, above 0)")
        path = tuple(part for part in uri.path.split("/") if part)
        if uri.scheme == "vpx":
            if not path:
                raise _invalid(uri, "vpx:// needs the path of an ESX host: /DATACENTER[/CLUSTER]/HOST")
        elif path:
            raise _invalid(
                uri, f"{uri.scheme}:// takes no path (use vpx://VCENTER/DATACENTER/HOST for a vCenter's host)"
            )
        https_port, http_port = _PORTS[uri.scheme]
        return cls(
            scheme=uri.scheme,
            host=uri.host,
            port=uri.port or (https_port if transport == "https" else http_port),
            transport=transport,
            no_verify=_flag(uri, "no_verify"),
            auto_answer=_flag(uri, "auto_answer"),
            proxy=_proxy(uri),
            timeout=timeout,
            path=path,
        )

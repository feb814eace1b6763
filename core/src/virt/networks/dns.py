"""A network's ``<dns>`` element read into plain values (the model keeps it as raw XML)."""

from __future__ import annotations

import attrs
from lxml import etree


@attrs.frozen
class DnsHost:
    ip: str
    hostnames: tuple[str, ...]


@attrs.frozen
class DnsSrv:
    service: str
    protocol: str
    domain: str | None = None
    target: str | None = None
    port: str | None = None
    priority: str | None = None
    weight: str | None = None


@attrs.frozen
class Dns:
    enabled: bool = True
    forward_plain_names: bool = True
    forwarders: tuple[tuple[str | None, str | None], ...] = ()
    """(addr, domain) pairs; an address alone sends every query there, a domain alone keeps its
    names local."""
    hosts: tuple[DnsHost, ...] = ()
    txts: tuple[tuple[str, str], ...] = ()
    srvs: tuple[DnsSrv, ...] = ()


def host_of(el: etree._Element) -> DnsHost:
    return DnsHost(el.get("ip", ""), tuple((h.text or "").strip() for h in el.findall("hostname")))


def srv_of(el: etree._Element) -> DnsSrv:
    return DnsSrv(
        el.get("service", ""),
        el.get("protocol", ""),
        el.get("domain"),
        el.get("target"),
        el.get("port"),
        el.get("priority"),
        el.get("weight"),
    )


def read(el: etree._Element | None) -> Dns:
    if el is None:
        return Dns()
    return Dns(
        enabled=el.get("enable", "yes") != "no",
        forward_plain_names=el.get("forwardPlainNames", "yes") != "no",
        forwarders=tuple((f.get("addr"), f.get("domain")) for f in el.findall("forwarder")),
        hosts=tuple(host_of(h) for h in el.findall("host")),
        txts=tuple((t.get("name", ""), t.get("value", "")) for t in el.findall("txt")),
        srvs=tuple(srv_of(s) for s in el.findall("srv")),
    )

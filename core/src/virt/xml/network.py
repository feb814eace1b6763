"""The virtual network XML format (formatnetwork): ``<network>``."""

from __future__ import annotations

import uuid

from lxml import etree

from virt.xml.base import XmlModel, attribute, child, children, model, raw, text
from virt.xml.convert import INT, MAC_, ONOFF, UUID_, YESNO


@model()
class Forward(XmlModel):
    mode: str | None = attribute("mode")
    dev: str | None = attribute("dev")
    managed: bool | None = attribute("managed", YESNO)


@model()
class Bridge(XmlModel):
    name: str | None = attribute("name")
    stp: bool | None = attribute("stp", ONOFF)
    delay: int | None = attribute("delay", INT)
    mac_table_manager: str | None = attribute("macTableManager")
    zone: str | None = attribute("zone")


@model()
class NetworkMac(XmlModel):
    address: str | None = attribute("address", MAC_)


@model()
class NetworkDomain(XmlModel):
    name: str | None = attribute("name")
    local_only: bool | None = attribute("localOnly", YESNO)


@model()
class DHCPRange(XmlModel):
    start: str | None = attribute("start")
    end: str | None = attribute("end")


@model()
class DHCPHost(XmlModel):
    mac: str | None = attribute("mac", MAC_)
    id: str | None = attribute("id")
    name: str | None = attribute("name")
    ip: str | None = attribute("ip")


@model()
class DHCP(XmlModel):
    ranges: list[DHCPRange] = children("range", DHCPRange)
    hosts: list[DHCPHost] = children("host", DHCPHost)
    bootp: etree._Element | None = raw("bootp")


@model()
class IP(XmlModel):
    family: str | None = attribute("family")
    address: str | None = attribute("address")
    netmask: str | None = attribute("netmask")
    prefix: int | None = attribute("prefix", INT)
    local_ptr: bool | None = attribute("localPtr", YESNO)
    tftp: etree._Element | None = raw("tftp")
    dhcp: DHCP | None = child("dhcp", DHCP)


@model("network")
class Network(XmlModel):
    connections: int | None = attribute("connections", INT)
    ipv6: bool | None = attribute("ipv6", YESNO)
    trust_guest_rx_filters: bool | None = attribute("trustGuestRxFilters", YESNO)
    name: str | None = text("name")
    uuid: uuid.UUID | None = text("uuid", UUID_)
    metadata: etree._Element | None = raw("metadata")
    forward: Forward | None = child("forward", Forward)
    bridge: Bridge | None = child("bridge", Bridge)
    mac: NetworkMac | None = child("mac", NetworkMac)
    domain: NetworkDomain | None = child("domain", NetworkDomain)
    dns: etree._Element | None = raw("dns")
    ips: list[IP] = children("ip", IP)

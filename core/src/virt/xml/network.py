"""The virtual network XML format (formatnetwork): ``<network>``."""

from __future__ import annotations

import uuid

from lxml import etree

from virt.xml.base import XmlModel, attribute, child, children, model, raw, raws, text
from virt.xml.convert import INT, MAC_, ONOFF, UUID_, YESNO

# Forward modes whose network is a libvirt-managed bridge: only they get <bridge stp delay>.
BRIDGED_MODES = frozenset({"nat", "route", "open"})


@model()
class ForwardInterface(XmlModel):
    dev: str | None = attribute("dev")
    connections: int | None = attribute("connections", INT)


@model()
class Forward(XmlModel):
    dev: str | None = attribute("dev")
    mode: str | None = attribute("mode")
    managed: bool | None = attribute("managed", YESNO)
    driver: etree._Element | None = raw("driver")
    nat: etree._Element | None = raw("nat")
    pfs: list[etree._Element] = raws("pf")
    interfaces: list[ForwardInterface] = children("interface", ForwardInterface)
    addresses: list[etree._Element] = raws("address")

    def post_parse(self) -> None:
        if self.mode is None:
            self.mode = "nat"  # a <forward> without a mode is NAT
        # only hostdev networks have managed devices, and they always say whether they do
        self.managed = bool(self.managed) if self.mode == "hostdev" else None
        if self.dev is not None and not self.interfaces and not self.pfs and not self.addresses:
            # <forward dev='x'/> is shorthand for a pool of the one interface x
            interface = ForwardInterface()
            interface.dev = self.dev
            self.interfaces.append(interface)
        # forward/@dev is always the first interface of the pool, and absent with a <pf>
        self.dev = self.interfaces[0].dev if self.interfaces and not self.pfs else None


@model()
class Bridge(XmlModel):
    name: str | None = attribute("name")
    zone: str | None = attribute("zone")
    stp: bool | None = attribute("stp", ONOFF)
    delay: int | None = attribute("delay", INT)
    mac_table_manager: str | None = attribute("macTableManager")


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


# libvirt writes <ip ...> then </ip> even with nothing inside
@model(keep_open=True)
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
    mtu: etree._Element | None = raw("mtu")
    mac: NetworkMac | None = child("mac", NetworkMac)
    domain: NetworkDomain | None = child("domain", NetworkDomain)
    dns: etree._Element | None = raw("dns")
    vlan: etree._Element | None = raw("vlan")
    bandwidth: etree._Element | None = raw("bandwidth")
    port: etree._Element | None = raw("port")
    ips: list[IP] = children("ip", IP)
    routes: list[etree._Element] = raws("route")
    virtualport: etree._Element | None = raw("virtualport")
    portgroups: list[etree._Element] = raws("portgroup")

    @property
    def has_managed_bridge(self) -> bool:
        """Whether libvirt makes (and so describes the STP settings of) this network's bridge."""
        return self.forward is None or self.forward.mode in BRIDGED_MODES

    def post_parse(self) -> None:
        if self.ipv6 is False:
            self.ipv6 = None  # ipv6='no' is the default, never written
        if self.forward is not None:
            self.forward.post_parse()
        managed = self.has_managed_bridge
        if self.bridge is None and managed:
            self.bridge = Bridge()
        if self.bridge is not None:
            if managed:
                if self.bridge.stp is None:
                    self.bridge.stp = True
                if self.bridge.delay is None:
                    self.bridge.delay = 0
            elif self.bridge.name is None and self.bridge.mac_table_manager is None and not self.bridge._unknown:
                self.bridge = None  # nothing libvirt would keep: it writes no <bridge> then
            else:
                # stp and delay mean nothing for a bridge libvirt does not create: dropped
                self.bridge.stp = self.bridge.delay = None

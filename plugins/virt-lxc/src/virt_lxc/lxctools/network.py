"""The network part of an LXC configuration: ``lxc.net.N.*`` (LXC 3) or ``lxc.network.*`` (LXC 2).

Each NIC becomes an ``<interface>`` (veth: bridge or ethernet; macvlan: direct) or, for a host
device moved into the container (phys, vlan), a capabilities-mode net ``<hostdev>``.
"""

from __future__ import annotations

import ipaddress
import re
import secrets

import attrs
from lxml import etree
from virt.errors import ErrorNumber
from virt.xml.convert import MAC_
from virt.xml.devices import Hostdev, Interface, InterfaceSource, InterfaceTarget, Mac

from virt_lxc.lxctools.config import Config, Entry, bad_value, fail

# LXC's NIC keys, after lxc.net.N. or lxc.network.; ipv4/ipv6 are the pre-3.0 names of *.address.
_SUFFIXES = frozenset(
    {
        "type", "name", "link", "hwaddr", "flags", "mtu", "veth.pair", "macvlan.mode", "vlan.id",
        "ipv4", "ipv4.address", "ipv4.gateway", "ipv6", "ipv6.address", "ipv6.gateway",
    }
)  # fmt: skip
# lxc.net.N.macvlan.mode -> libvirt's <source mode>
_MACVLAN_MODES = {"private": "private", "vepa": "vepa", "bridge": "bridge", "passthru": "passthrough"}
_NEW_KEY = re.compile(r"lxc\.net\.(\d+)\.(.+)")


@attrs.define
class Nic:
    """The lines of one NIC, by LXC key suffix; addresses keep their order."""

    start: Entry
    settings: dict[str, Entry] = attrs.Factory(dict)
    addresses: list[tuple[int, Entry]] = attrs.Factory(list)

    def get(self, suffix: str) -> Entry | None:
        return self.settings.get(suffix)

    def set(self, suffix: str, entry: Entry) -> None:
        if suffix not in _SUFFIXES:
            raise fail(
                ErrorNumber.CONFIG_UNSUPPORTED,
                f"{entry.where()}: the NIC setting '{suffix}' cannot be converted to domain XML",
            )
        if suffix in ("ipv4", "ipv4.address", "ipv6", "ipv6.address"):
            self.addresses.append((6 if suffix.startswith("ipv6") else 4, entry))
        else:
            # as in LXC, a later line replaces an earlier one
            self.settings[suffix] = entry


@attrs.define
class Networks:
    """What the NICs become: interfaces and host devices, and whether the container keeps a private
    network namespace of its own although it has no NIC (libvirt's ``<privnet/>`` feature)."""

    interfaces: list[Interface] = attrs.Factory(list)
    hostdevs: list[Hostdev] = attrs.Factory(list)
    privnet: bool = True


def collect_nics(config: Config) -> list[Nic]:
    """The NICs in the order LXC creates them: each where its first line is (lxc.net.1 may come first)."""
    legacy: list[Nic] = []
    indexed: dict[int, Nic] = {}
    style: Entry | None = None
    for entry in config:
        key = entry.key
        if key in ("lxc.network", "lxc.net"):
            # LXC: the bare key with no value forgets every NIC defined so far
            if entry.value:
                raise bad_value(entry, "only an empty value (clearing the NICs) is allowed")
            legacy.clear()
            indexed.clear()
            continue
        if key.startswith("lxc.network."):
            if style is not None and style.key.startswith("lxc.net."):
                raise _mixed(style, entry)
            style = entry
            suffix = key.removeprefix("lxc.network.")
            if suffix == "type":
                legacy.append(Nic(entry))
            elif not legacy:
                raise fail(
                    ErrorNumber.CONFIG_UNSUPPORTED,
                    f"{entry.where()}: comes before any lxc.network.type, so belongs to no NIC",
                )
            legacy[-1].set(suffix, entry)
        elif key.startswith("lxc.net."):
            if style is not None and style.key.startswith("lxc.network."):
                raise _mixed(style, entry)
            style = entry
            match = _NEW_KEY.fullmatch(key)
            if match is None:
                raise fail(ErrorNumber.CONFIG_UNSUPPORTED, f"{entry.where()}: expected lxc.net.<index>.<setting>")
            index = int(match.group(1))
            nic = indexed.get(index)
            if nic is None:
                nic = indexed[index] = Nic(entry)
            nic.set(match.group(2), entry)
    return legacy + list(indexed.values())


def _mixed(first: Entry, other: Entry) -> Exception:
    return fail(
        ErrorNumber.CONFIG_UNSUPPORTED,
        f"{other.where()}: mixes LXC 3 lxc.net.* keys and legacy lxc.network.* keys (first at line {first.line})",
    )


def convert_networks(config: Config) -> Networks:
    result = Networks()
    nics = collect_nics(config)
    for nic in nics:
        kind = nic.get("type")
        if kind is None:
            raise fail(ErrorNumber.CONFIG_UNSUPPORTED, f"{nic.start.where()}: the NIC has no type")
        if kind.value == "none":
            # the container shares the host's network namespace
            result.privnet = False
            continue
        if kind.value in ("empty", ""):
            continue
        if kind.value == "veth":
            result.interfaces.append(_veth(nic))
        elif kind.value == "macvlan":
            result.interfaces.append(_macvlan(nic, kind))
        elif kind.value in ("phys", "vlan"):
            result.hostdevs.append(_host_nic(nic, kind))
        else:
            raise bad_value(kind, "unsupported network type (veth, macvlan, phys, vlan, empty and none convert)")
    if result.interfaces or result.hostdevs:
        # NICs need a namespace of their own anyway: libvirt writes <privnet/> only without them
        result.privnet = False
    return result


def _veth(nic: Nic) -> Interface:
    iface = _interface(nic)
    link = nic.get("link")
    if link is not None and link.value:
        iface.type = "bridge"
        source = InterfaceSource()
        source.bridge = link.value
        iface.source = source
    else:
        iface.type = "ethernet"
    pair = nic.get("veth.pair")
    if pair is not None:
        target = InterfaceTarget()
        target.dev = pair.value
        iface.target = target
    return iface


def _macvlan(nic: Nic, kind: Entry) -> Interface:
    link = _required_link(nic, kind)
    mode = nic.get("macvlan.mode")
    iface = _interface(nic)
    iface.type = "direct"
    source = InterfaceSource()
    source.dev = link.value
    if mode is None:
        source.mode = "private"  # LXC's default mode
    elif mode.value in _MACVLAN_MODES:
        source.mode = _MACVLAN_MODES[mode.value]
    else:
        raise bad_value(mode, f"unknown macvlan mode (one of {', '.join(_MACVLAN_MODES)})")
    iface.source = source
    _refuse(nic, "veth.pair")
    return iface


def _interface(nic: Nic) -> Interface:
    """What veth and macvlan NICs have in common: MAC, addresses, routes, guest name, link state."""
    iface = Interface()
    hwaddr = nic.get("hwaddr")
    if hwaddr is not None:
        mac = Mac()
        mac.address = _mac(hwaddr)
        iface.mac = mac
    iface.ips, iface.routes = _addressing(nic)
    name = nic.get("name")
    if name is not None and name.value:
        iface.guest = etree.Element("guest", dev=name.value)
    mtu = nic.get("mtu")
    if mtu is not None:
        if not mtu.value.isdigit() or not 68 <= int(mtu.value) <= 65535:
            raise bad_value(mtu, "not an MTU (68 to 65535)")
        iface.mtu = etree.Element("mtu", size=str(int(mtu.value)))
    flags = nic.get("flags")
    if flags is not None and flags.value not in ("up", ""):
        raise bad_value(flags, "unknown NIC flags (LXC knows only 'up')")
    # LXC leaves a NIC down unless its flags say up, and libvirt writes the state either way
    iface.link = etree.Element("link", state="up" if flags is not None and flags.value == "up" else "down")
    return iface


def _host_nic(nic: Nic, kind: Entry) -> Hostdev:
    """A host interface moved into the container: the link itself (phys) or its VLAN device."""
    link = _required_link(nic, kind)
    device = link.value
    vlan = nic.get("vlan.id")
    if kind.value == "vlan" and vlan is not None:
        if not vlan.value.isdigit() or not 0 <= int(vlan.value) <= 4095:
            raise bad_value(vlan, "not a VLAN id (0 to 4095)")
        # the VLAN device (eth0.2) must already exist on the host, as LXC would have made it
        device = f"{device}.{int(vlan.value)}"
    for suffix in ("mtu", "veth.pair", "macvlan.mode"):
        _refuse(nic, suffix)
    hostdev = Hostdev()
    hostdev.mode = "capabilities"
    hostdev.type = "net"
    source = etree.Element("source")
    etree.SubElement(source, "interface").text = device
    hostdev.source = source
    hostdev.ips, hostdev.routes = _addressing(nic)
    return hostdev


def _required_link(nic: Nic, kind: Entry) -> Entry:
    link = nic.get("link")
    if link is None or not link.value:
        raise fail(ErrorNumber.CONFIG_UNSUPPORTED, f"{kind.where()}: a '{kind.value}' NIC needs a link (host device)")
    return link


def _refuse(nic: Nic, suffix: str) -> None:
    entry = nic.get(suffix)
    if entry is not None:
        kind = nic.get("type")
        raise fail(
            ErrorNumber.CONFIG_UNSUPPORTED,
            f"{entry.where()}: '{suffix}' does not apply to a '{kind.value if kind else ''}' NIC in domain XML",
        )


def _mac(entry: Entry) -> str:
    """The MAC address, LXC's 'x' placeholders filled with random digits as LXC itself does."""
    text = re.sub("[xX]", lambda _: secrets.choice("0123456789abcdef"), entry.value)
    try:
        return str(MAC_.parse(text))
    except ValueError:
        raise bad_value(entry, "not a MAC address") from None


def _addressing(nic: Nic) -> tuple[list[etree._Element], list[etree._Element]]:
    """The NIC's ``<ip>`` and ``<route>`` elements: addresses in order, then a default route per gateway."""
    ips: list[etree._Element] = []
    for version, entry in nic.addresses:
        address, prefix = _cidr(entry, version)
        ips.append(etree.Element("ip", address=address, family=f"ipv{version}", prefix=str(prefix)))
    routes: list[etree._Element] = []
    for version, everywhere in ((4, "0.0.0.0"), (6, "::")):
        gateway = nic.get(f"ipv{version}.gateway")
        if gateway is None or not gateway.value:
            continue
        if gateway.value in ("auto", "dev"):
            raise bad_value(gateway, "a gateway found at start time cannot be written in domain XML")
        try:
            via = ipaddress.ip_address(gateway.value)
        except ValueError:
            raise bad_value(gateway, f"not an IPv{version} address") from None
        if via.version != version:
            raise bad_value(gateway, f"not an IPv{version} address")
        routes.append(etree.Element("route", family=f"ipv{version}", address=everywhere, gateway=str(via)))
    return ips, routes


def _cidr(entry: Entry, version: int) -> tuple[str, int]:
    # an IPv4 address may be followed by its broadcast address, which the XML has no place for
    text = entry.value.split()[0] if entry.value.split() else ""
    address, slash, prefix = text.partition("/")
    limit = 32 if version == 4 else 128
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        raise bad_value(entry, f"not an IPv{version} address/prefix") from None
    if parsed.version != version or not slash or not prefix.isdigit() or int(prefix) > limit:
        raise bad_value(entry, f"not an IPv{version} address/prefix")
    return str(parsed), int(prefix)

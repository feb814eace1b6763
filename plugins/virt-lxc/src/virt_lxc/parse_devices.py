"""``<devices>`` -> the container's filesystems, network interfaces and consoles.

libvirt's LXC device rules: ``<filesystem type='mount'>`` bind-mounts a host directory (target
``/`` makes it the root), ``type='bind'`` binds a directory of the container onto another,
``type='ram'`` is a tmpfs of ``usage`` KiB; interfaces are veth pairs; consoles are ptys.
"""

from __future__ import annotations

import ipaddress

import attrs
from lxml import etree

from virt_lxc.spec import IPAddress, Mount, NetInterface, Route
from virt_lxc.xmlcheck import (
    absolute_path,
    bad,
    elements,
    integer,
    kib,
    one_of,
    only_attributes,
    only_children,
    refuse,
    required,
)

IFNAME_MAX = 15
"""IFNAMSIZ - 1: the longest network interface name Linux takes."""


@attrs.frozen
class Devices:
    root: Mount | None = None
    mounts: tuple[Mount, ...] = ()
    interfaces: tuple[NetInterface, ...] = ()
    consoles: int = 0


def parse_devices(devices: etree._Element) -> Devices:
    only_attributes(devices, ())
    root: Mount | None = None
    mounts: list[Mount] = []
    interfaces: list[NetInterface] = []
    consoles = 0
    for el in elements(devices):
        tag = el.tag
        if tag == "emulator":
            continue  # libvirt_lxc's path: the driver's controller is its own
        if tag == "filesystem":
            mount = _filesystem(el)
            if mount.target == "/":
                if root is not None:
                    raise bad(el, "a second filesystem for '/'")
                root = mount
            else:
                if any(m.target == mount.target for m in mounts):
                    raise bad(el, f"a second filesystem for '{mount.target}'")
                mounts.append(mount)
        elif tag == "interface":
            interfaces.append(_interface(el, len(interfaces)))
        elif tag == "console":
            _console(el, consoles)
            consoles += 1
        elif tag == "memballoon" and el.get("model") == "none":
            continue
        else:
            raise refuse(el, "this device is not supported by the LXC driver")
    names = [i.guest_name for i in interfaces]
    for name in names:
        if names.count(name) > 1:
            raise bad(devices, f"two interfaces are called '{name}' in the container")
    hosts = [i.host_name for i in interfaces if i.host_name]
    for name in hosts:
        if hosts.count(name) > 1:
            raise bad(devices, f"two interfaces use the host device '{name}'")
    return Devices(root, tuple(mounts), tuple(interfaces), consoles)


def _filesystem(el: etree._Element) -> Mount:
    only_attributes(el, ("type", "accessmode"))
    only_children(el, ("source", "target", "readonly", "alias", "driver"))
    kind = one_of(el, "type", ("mount", "bind", "ram"), default="mount")
    one_of(el, "accessmode", ("passthrough",), default="passthrough")
    driver = el.find("driver")
    if driver is not None:
        only_attributes(driver, ("type",))
        one_of(driver, "type", ("path",), default="path")
    target_el = el.find("target")
    if target_el is None:
        raise bad(el, "<target dir='...'/> is required")
    only_attributes(target_el, ("dir",))
    target = absolute_path(target_el, required(target_el, "dir"), "dir")
    target = "/" + "/".join(p for p in target.split("/") if p)
    if any(part in (".", "..") for part in target.split("/")):
        raise bad(target_el, f"'{target}' must not contain '.' or '..'", "dir")
    source = el.find("source")
    if source is None:
        raise bad(el, "<source> is required")
    readonly = el.find("readonly") is not None
    if kind == "ram":
        only_attributes(source, ("usage", "units"))
        if target == "/":
            raise refuse(target_el, "the root filesystem must be a host directory (type='mount')", "dir")
        size = kib(source, unit_attribute="units", text=required(source, "usage"))
        return Mount("ram", target, None, readonly, size)
    only_attributes(source, ("dir",))
    source_dir = absolute_path(source, required(source, "dir"), "dir")
    if kind == "bind" and target == "/":
        raise refuse(target_el, "the root filesystem must be a host directory (type='mount')", "dir")
    return Mount(kind, target, source_dir, readonly)


def _interface(el: etree._Element, index: int) -> NetInterface:
    only_attributes(el, ("type",))
    only_children(el, ("mac", "source", "target", "guest", "ip", "route", "link", "mtu", "alias"))
    kind = one_of(el, "type", ("ethernet", "bridge", "network"))
    mac_el = el.find("mac")
    if mac_el is None or not mac_el.get("address"):
        raise bad(el, "the interface has no <mac address> (the driver assigns one at define)")
    only_attributes(mac_el, ("address",))
    bridge = network = None
    source = el.find("source")
    if kind == "ethernet":
        if source is not None:
            raise refuse(source, "an ethernet interface's host end is left unattached: no <source>")
    else:
        if source is None:
            raise bad(el, f"a {kind} interface needs <source {kind}='...'/>")
        only_attributes(source, (kind,))
        value = required(source, kind)
        if kind == "bridge":
            bridge = _ifname(source, value, kind)
        else:
            network = value
    host_name = _dev(el.find("target"))
    guest_name = _dev(el.find("guest")) or f"eth{index}"
    link_up = None
    link = el.find("link")
    if link is not None:
        only_attributes(link, ("state",))
        link_up = one_of(link, "state", ("up", "down")) == "up"
    mtu = None
    mtu_el = el.find("mtu")
    if mtu_el is not None:
        only_attributes(mtu_el, ("size",))
        mtu = integer(mtu_el, required(mtu_el, "size"), minimum=68, attribute="size")
    return NetInterface(
        kind=kind,
        mac=mac_el.get("address", "").lower(),
        guest_name=guest_name,
        host_name=host_name,
        bridge=bridge,
        network=network,
        addresses=tuple(_address(ip) for ip in el.findall("ip")),
        routes=tuple(_route(route) for route in el.findall("route")),
        link_up=link_up,
        mtu=mtu,
    )


def _ifname(el: etree._Element, name: str, attribute: str) -> str:
    if len(name.encode()) > IFNAME_MAX or "/" in name or any(c.isspace() for c in name) or name in (".", ".."):
        raise bad(
            el, f"'{name}' is not a network interface name (at most {IFNAME_MAX} bytes, no '/' or space)", attribute
        )
    return name


def _dev(el: etree._Element | None) -> str | None:
    if el is None:
        return None
    only_attributes(el, ("dev",))
    return _ifname(el, required(el, "dev"), "dev")


def _family(el: etree._Element, address: str) -> tuple[str, ipaddress.IPv4Address | ipaddress.IPv6Address]:
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        raise bad(el, f"'{address}' is not an IP address", "address") from None
    family = "ipv6" if parsed.version == 6 else "ipv4"
    if el.get("family", family) != family:
        raise bad(el, f"'{address}' is not an {el.get('family')} address", "family")
    return family, parsed


def _classful_prefix(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> int:
    """libvirt's default prefix for an address given without one: the old class for IPv4, 64 for IPv6."""
    if address.version == 6:
        return 64
    first = int(address) >> 24
    return 8 if first < 128 else 16 if first < 192 else 24


def _address(el: etree._Element) -> IPAddress:
    only_attributes(el, ("address", "prefix", "family"))
    only_children(el, ())
    address = required(el, "address")
    family, parsed = _family(el, address)
    limit = 128 if family == "ipv6" else 32
    prefix_text = el.get("prefix")
    prefix = _classful_prefix(parsed) if prefix_text is None else integer(el, prefix_text, attribute="prefix")
    if prefix > limit:
        raise bad(el, f"prefix {prefix} is longer than an {family} address", "prefix")
    return IPAddress(family, str(parsed), prefix)


def _route(el: etree._Element) -> Route:
    only_attributes(el, ("family", "address", "prefix", "gateway", "metric", "netmask"))
    only_children(el, ())
    address = required(el, "address")
    family, parsed = _family(el, address)
    gateway = el.get("gateway")
    if gateway is not None:
        try:
            if ipaddress.ip_address(gateway).version != parsed.version:
                raise ValueError
        except ValueError:
            raise bad(el, f"'{gateway}' is not an {family} gateway", "gateway") from None
    if el.get("netmask") is not None:
        if el.get("prefix") is not None:
            raise bad(el, "give a prefix or a netmask, not both")
        try:
            prefix = ipaddress.ip_network(f"0.0.0.0/{el.get('netmask')}").prefixlen
        except ValueError:
            raise bad(el, f"'{el.get('netmask')}' is not a netmask", "netmask") from None
    elif el.get("prefix") is not None:
        prefix = integer(el, el.get("prefix"), attribute="prefix")
    else:
        prefix = 0 if int(parsed) == 0 else (128 if family == "ipv6" else 32)
    if prefix > (128 if family == "ipv6" else 32):
        raise bad(el, f"prefix {prefix} is longer than an {family} address", "prefix")
    metric = None if el.get("metric") is None else integer(el, el.get("metric"), attribute="metric")
    return Route(family, str(parsed), prefix, gateway, metric)


def _console(el: etree._Element, index: int) -> None:
    only_attributes(el, ("type", "tty"))
    only_children(el, ("target", "alias", "source"))
    one_of(el, "type", ("pty",), default="pty")
    target = el.find("target")
    if target is not None:
        only_attributes(target, ("type", "port"))
        one_of(target, "type", ("lxc",), default="lxc")
        port = target.get("port")
        if port is not None and integer(target, port, attribute="port") != index:
            raise bad(target, f"console ports are numbered from 0 in order: this one is {index}", "port")

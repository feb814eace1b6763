"""Network interfaces (``vif`` specs) and host devices (``pci``, ``usbdev`` specs) in xl/xm form."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable

from lxml import etree
from virt.xml.convert import MAC_
from virt.xml.devices import Controller, Hostdev, Interface, InterfaceModel, InterfaceSource, InterfaceTarget, Mac

from virt_xen.xlcfg.errors import BadValue, unsupported
from virt_xen.xlcfg.models import element, make, set_kept_attribute
from virt_xen.xlcfg.specs import key_values, split_pairs

DEFAULT_VIF_SCRIPT = "vif-bridge"
NetworkBridge = Callable[[str], str]
"""A virtual network's name -> the host bridge its guests are plugged into."""
OVS_VIF_SCRIPT = "vif-openvswitch"


def _script(net: Interface) -> str | None:
    return net.script.get("path") if net.script is not None else None


def _ips(net: Interface) -> str:
    return " ".join(ip.get("address", "") for ip in net.ips)


def _vlan_suffix(net: Interface) -> str:
    """libxl's bridge name extension: BRIDGE.TAG for one tag, BRIDGE:TAG:TAG for a trunk."""
    vlan = net.vlan
    tags = [tag.get("id", "") for tag in vlan.iterfind("tag")] if vlan is not None else []
    if not tags:
        return ""
    if vlan is not None and vlan.get("trunk") == "yes":
        return "".join(f":{tag}" for tag in tags)
    return f".{tags[0]}"


def _is_openvswitch(net: Interface) -> bool:
    return net.virtualport is not None and net.virtualport.get("type") == "openvswitch"


def format_vif(net: Interface, hvm: bool, vif_typename: str, network_bridge: NetworkBridge | None = None) -> str:
    """A ``vif`` spec; ``vif_typename`` is what a paravirtual NIC of an HVM guest is called
    (``vif`` for xl, ``netfront`` for xm); ``network_bridge`` gives the bridge of a virtual network
    (an interface of type network needs the host to say it)."""
    mac = net.mac.address if net.mac is not None else None
    if not mac:
        raise unsupported("an interface needs a MAC address")
    parts = [f"mac={mac}"]
    script = _script(net)
    if net.type == "bridge":
        bridge = net.source.bridge if net.source is not None else None
        suffix = ""
        if _is_openvswitch(net):
            script = script or OVS_VIF_SCRIPT
            suffix = _vlan_suffix(net)
        parts.append(f"bridge={bridge or ''}{suffix}")
        if net.ips:
            parts.append(f"ip={_ips(net)}")
        parts.append(f"script={script or DEFAULT_VIF_SCRIPT}")
    elif net.type == "ethernet":
        if script:
            parts.append(f"script={script}")
        if net.ips:
            parts.append(f"ip={_ips(net)}")
    elif net.type == "network" and network_bridge is not None:
        network = (net.source.network if net.source is not None else None) or ""
        parts.append(f"bridge={network_bridge(network)}")
        parts.append(f"script={DEFAULT_VIF_SCRIPT}")
    elif net.type == "network":
        raise unsupported(
            f"interface type 'network' needs the bridge of network "
            f"'{net.source.network if net.source is not None else ''}', which only a host knows: "
            "give the bridge (type 'bridge')"
        )
    else:
        raise unsupported(f"Unsupported net type '{net.type}'")
    model = net.model.type if net.model is not None else None
    if model:
        parts.append(f"type={vif_typename}" if hvm and model == "netfront" else f"model={model}")
    if net.target is not None and net.target.dev:
        parts.append(f"vifname={net.target.dev}")
    average = _outbound_average(net.bandwidth)
    if average:
        parts.append(f"rate={average}KB/s")
    return ",".join(parts)


def _outbound_average(bandwidth: etree._Element | None) -> int:
    outbound = bandwidth.find("outbound") if bandwidth is not None else None
    text = outbound.get("average") if outbound is not None else None
    if text is None:
        return 0
    try:
        return int(text, 10)
    except ValueError:
        raise unsupported(f"bandwidth average '{text}' is not a number") from None


def _number(text: str | None, what: str) -> int:
    try:
        return int(text or "0", 0)
    except ValueError:
        raise unsupported(f"host device {what} '{text}' is not a number") from None


def format_pci(hostdev: Hostdev) -> str | None:
    """A ``pci`` spec (DDDD:BB:SS.F[,permissive=N]) for a PCI host device, None for another kind."""
    if hostdev.mode != "subsystem" or hostdev.type != "pci":
        return None
    source = hostdev.source
    address = source.find("address") if source is not None else None
    if address is None:
        raise unsupported("a PCI host device needs a source address")
    spec = "{:04x}:{:02x}:{:02x}.{:x}".format(
        *(_number(address.get(name), name) for name in ("domain", "bus", "slot", "function"))
    )
    filtering = source.get("writeFiltering") if source is not None else None
    if filtering == "yes":
        spec += ",permissive=0"
    elif filtering == "no":
        spec += ",permissive=1"
    return spec


def format_usbdev(hostdev: Hostdev) -> str | None:
    """A ``usbdev`` spec (hostbus=B,hostaddr=D, in hexadecimal) for a USB host device."""
    if hostdev.mode != "subsystem" or hostdev.type != "usb":
        return None
    address = hostdev.source.find("address") if hostdev.source is not None else None
    if address is None:
        raise unsupported("a USB host device needs a source address (bus and device)")
    return f"hostbus={_number(address.get('bus'), 'bus'):x},hostaddr={_number(address.get('device'), 'device'):x}"


VIF_KEYS = ("mac", "bridge", "script", "model", "type", "vifname", "ip", "rate")
_RATE = re.compile(r"([0-9]+)([GMK]?)([Bb])/s")


def parse_vif(text: str, vif_typename: str) -> Interface:
    """An interface from a ``vif`` spec (key=value pairs; keys libvirt does not map are ignored)."""
    fields: dict[str, str] = {}
    for part in split_pairs(text):
        key, equals, value = part.partition("=")
        if not equals:
            raise BadValue(f"vif part '{part}' is not KEY=VALUE")
        if key in VIF_KEYS:
            fields[key] = value
    net = make(Interface)
    if fields.get("mac"):
        try:
            net.mac = make(Mac, address=MAC_.parse(fields["mac"]))
        except ValueError:
            raise BadValue(f"malformed mac address '{fields['mac']}'") from None
    script = fields.get("script")
    bridge = fields.get("bridge")
    if bridge or script in ("vif-bridge", "vif-vnic"):
        net.type = "bridge"
        if bridge:
            _set_bridge(net, bridge)
    else:
        net.type = "ethernet"
    for address in (fields.get("ip") or "").split(" ") if fields.get("ip") else []:
        try:
            family = "ipv6" if ipaddress.ip_address(address).version == 6 else "ipv4"
        except ValueError:
            raise BadValue(f"'{address}' is not an IP address") from None
        net.ips.append(element("ip", address=address, family=family))
    if script:
        net.script = element("script", path=script)
    if fields.get("model"):
        net.model = make(InterfaceModel, type=fields["model"])
    elif fields.get("type") == vif_typename:
        net.model = make(InterfaceModel, type="netfront")
    if fields.get("vifname"):
        net.target = make(InterfaceTarget, dev=fields["vifname"])
    if fields.get("rate"):
        net.bandwidth = element("bandwidth", None, element("outbound", average=str(_rate(fields["rate"]))))
    return net


def _set_bridge(net: Interface, bridge: str) -> None:
    """BRIDGE, BRIDGE.TAG (one VLAN) or BRIDGE:TAG:TAG (a trunk) -- the VLAN forms are Open vSwitch's."""
    if "." in bridge:
        name, _, tag = bridge.partition(".")
        tags, trunk = [tag], False
    elif ":" in bridge:
        name, *tags = bridge.split(":")
        trunk = True
    else:
        net.source = make(InterfaceSource, bridge=bridge)
        return
    if not all(t.isascii() and t.isdigit() for t in tags):
        raise BadValue(f"VLAN tags of bridge '{bridge}' are not numbers")
    net.source = make(InterfaceSource, bridge=name)
    vlan = element("vlan", None, *(element("tag", id=str(int(t, 10))) for t in tags))
    if trunk:
        vlan.set("trunk", "yes")
    net.vlan = vlan
    net.virtualport = element("virtualport", type="openvswitch")


def _rate(text: str) -> int:
    """KB/s of a vif rate (N[GMK]{B,b}/s, an @interval after it ignored)."""
    rate = text.partition("@")[0]
    found = _RATE.fullmatch(rate)
    if found is None:
        raise BadValue(f"Invalid rate '{text}' specified")
    number, unit, bits = found.groups()
    value = int(number, 10) * {"G": 1024 * 1024, "M": 1024, "K": 1, "": 1}[unit]
    return value // 8 if bits == "b" else value


def _hex(text: str, what: str, spec: str) -> int:
    try:
        return int(text, 16)
    except ValueError:
        raise BadValue(f"{what} '{text}' of '{spec}' is not hexadecimal") from None


def parse_pci(text: str) -> Hostdev:
    """A PCI host device from [DDDD:]BB:SS.F[,permissive=N]."""
    address, _, options = text.partition(",")
    parts = address.split(":")
    if len(parts) not in (2, 3):
        raise BadValue(f"Malformed PCI address {text}")
    domain = _hex(parts[0], "PCI domain", text) if len(parts) == 3 else 0
    slot, dot, function = parts[-1].partition(".")
    if not dot:
        raise BadValue(f"Malformed PCI address {text}")
    bus = _hex(parts[-2], "PCI bus", text)
    numbers = (domain, bus, _hex(slot, "PCI slot", text), _hex(function, "PCI function", text))
    source = element("source")
    for option in options.split(",") if options else []:
        key, equals, value = option.partition("=")
        if not equals:
            raise BadValue(f"Malformed PCI options {options}")
        if key == "permissive":
            try:
                source.set("writeFiltering", "no" if int(value, 10) else "yes")
            except ValueError:
                raise BadValue(f"permissive '{value}' is not a number") from None
    names = ("domain", "bus", "slot", "function")
    forms = ("0x{:04x}", "0x{:02x}", "0x{:02x}", "0x{:x}")
    source.append(element("address", **{n: f.format(v) for n, f, v in zip(names, forms, numbers, strict=True)}))
    return make(
        Hostdev, mode="subsystem", type="pci", managed=False, driver=element("driver", name="xen"), source=source
    )


def parse_usbdev(text: str) -> Hostdev | None:
    """A USB host device from hostbus=B,hostaddr=D (hexadecimal); None for a spec libvirt skips."""
    fields = key_values(text)
    if fields is None:
        return None
    try:
        bus, device = int(fields.get("hostbus", ""), 16), int(fields.get("hostaddr", ""), 16)
    except ValueError:
        return None
    source = element("source", None, element("address", bus=str(bus), device=str(device)))
    return make(Hostdev, mode="subsystem", type="usb", managed=False, source=source)


def parse_usbctrl(text: str) -> Controller | None:
    """A USB controller from type=qusb,version=1|2,ports=N; None for one libvirt skips."""
    fields = key_values(text)
    if fields is None:
        return None
    try:
        version = int(fields.get("version", "2"), 16)
        ports = int(fields.get("ports", "8"), 16)
    except ValueError:
        return None
    kind = fields.get("type", "")
    if kind and not kind.startswith("qusb"):
        return None
    controller = make(Controller, type="usb", model="qusb1" if version == 1 else "qusb2")
    set_kept_attribute(controller, "ports", str(ports))  # the model keeps ports undeclared
    return controller

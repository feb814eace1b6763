"""Network interfaces (``vif`` specs) and host devices (``pci``, ``usbdev`` specs) in xl/xm form."""

from __future__ import annotations

from lxml import etree
from virt.xml.devices import Hostdev, Interface

from virt_xen.xlcfg.errors import unsupported

DEFAULT_VIF_SCRIPT = "vif-bridge"
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


def format_vif(net: Interface, hvm: bool, vif_typename: str) -> str:
    """A ``vif`` spec; ``vif_typename`` is what a paravirtual NIC of an HVM guest is called
    (``vif`` for xl, ``netfront`` for xm)."""
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

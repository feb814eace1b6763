"""Network interfaces: a -netdev backend and a NIC -device.

Backends: ``user`` is QEMU's user-mode network; ``bridge`` uses ``-netdev bridge`` (QEMU's setuid
qemu-bridge-helper creates the tap and adds it to the bridge, so an unprivileged session can use a
bridge its bridge.conf allows; a chosen <target dev> is refused, since the helper names the tap);
a tap the driver made on the bridge (as root, ``RuntimeFiles.taps``) is opened by name instead;
``network`` joins the network's bridge, which the driver writes into ``<source bridge>`` (else
libvirt's 'default' network is taken as its usual bridge virbr0); ``ethernet`` with
<target dev managed='no'> opens that existing tap.
The driver fills in MAC addresses before building the command; a missing one is an error.
"""

from __future__ import annotations

from typing import Any

from virt.xml.devices import Interface

from virt_qemu.command.context import Context
from virt_qemu.command.errors import Node, UnsupportedConfig, raw_node, refuse_raw_extra, refuse_unhandled

_MODELS = {
    "virtio": "virtio-net-pci",
    "virtio-transitional": "virtio-net-pci-transitional",
    "virtio-non-transitional": "virtio-net-pci-non-transitional",
    "e1000": "e1000",
    "e1000e": "e1000e",
    "rtl8139": "rtl8139",
    "ne2k_pci": "ne2k_pci",
    "pcnet": "pcnet",
    "vmxnet3": "vmxnet3",
}
DEFAULT_NETWORK_BRIDGE = {"default": "virbr0"}
_HANDLED = ("type", "mac", "source", "target", "model", "boot", "alias", "address", "link", "rom")
# libvirt gives taps these names itself; an inactive definition drops them
_GENERATED_TAPS = ("vnet", "macvtap")


def build(ctx: Context) -> None:
    devices = ctx.domain.devices
    if devices is None:
        return
    for n, iface in enumerate(devices.interfaces):
        _interface(ctx, n, iface, Node.of(f"/domain/devices/interface[{n + 1}]", iface))


def _backend(iface: Interface, node: Node, netdev_id: str, taps: frozenset[str]) -> dict[str, Any]:
    source, target = iface.source, iface.target
    snode = node.child("source", source)
    tnode = node.child("target", target)
    if target is not None:
        refuse_unhandled(target, tnode, ("dev", "managed"))
    kind = iface.type
    if kind == "user":
        if source is not None:
            refuse_unhandled(source, snode, ())
        if target is not None:
            raise tnode.refuse("a user-mode interface has no host device")
        return {"type": "user", "id": netdev_id}
    if kind in ("bridge", "network"):
        if source is None:
            raise snode.refuse(f"a {kind} interface needs <source {kind}='...'>")
        if target is not None and not (target.dev or "").startswith(_GENERATED_TAPS):
            raise tnode.not_yet("choosing the tap device of a bridged interface is")
        if kind == "network":
            refuse_unhandled(source, snode, ("network", "bridge"))
        else:
            refuse_unhandled(source, snode, ("bridge",))
        if target is not None and target.dev in taps:
            return {"type": "tap", "ifname": target.dev, "script": "no", "downscript": "no", "id": netdev_id}
        bridge = source.bridge or (DEFAULT_NETWORK_BRIDGE.get(source.network or "") if kind == "network" else None)
        if not bridge:
            raise snode.attr("network").not_yet(
                f"libvirt network '{source.network}' is (only 'default', as bridge virbr0, is known)"
            )
        return {"type": "bridge", "br": bridge, "id": netdev_id}
    if kind == "ethernet":
        if target is None or not target.dev or target.managed is not False:
            raise tnode.not_yet("an ethernet interface other than an existing tap (<target dev managed='no'>) is")
        if source is not None:
            refuse_unhandled(source, snode, ())
        return {"type": "tap", "ifname": target.dev, "script": "no", "downscript": "no", "id": netdev_id}
    raise node.attr("type").not_yet(f"interfaces of type '{kind}' are")


def _interface(ctx: Context, n: int, iface: Interface, node: Node) -> None:
    refuse_unhandled(iface, node, _HANDLED)
    mac = iface.mac.address if iface.mac is not None else None
    if iface.mac is not None:
        refuse_unhandled(iface.mac, node.child("mac", iface.mac), ("address",))
    if not mac:
        raise UnsupportedConfig(
            f"{node.path}: the interface has no MAC address (the driver assigns one before building the command)"
        )
    model = iface.model.type if iface.model is not None else None
    model = model or "rtl8139"  # libvirt's default NIC on x86
    if iface.model is not None:
        refuse_unhandled(iface.model, node.child("model", iface.model), ("type",))
    if model not in _MODELS:
        raise node.child("model", iface.model).attr("type").not_yet(f"NIC model '{model}' is")
    netdev_id, device_id = f"hostnet{n}", f"net{n}"
    ctx.args.add("-netdev", _backend(iface, node, netdev_id, ctx.files.taps))
    props: dict[str, Any] = {"driver": _MODELS[model], "netdev": netdev_id, "id": device_id, "mac": mac}
    if iface.link is not None:
        refuse_raw_extra(iface.link, raw_node(node, iface.link, "link"), ("state",))
        if iface.link.get("state") == "down":
            props["link_down"] = True
    if iface.rom is not None:
        rom = iface.rom
        refuse_raw_extra(rom, raw_node(node, rom, "rom"), ("bar", "file", "enabled"))
        if rom.get("bar") == "off":
            props["rombar"] = 0
        if rom.get("file") is not None or rom.get("enabled") == "no":
            props["romfile"] = "" if rom.get("enabled") == "no" else rom.get("file")
    ctx.pci.place(props, iface.address, node)
    props["bootindex"] = ctx.bootindex(iface)
    ctx.args.device(props)

"""Serial ports, consoles and channels: a -chardev backend and the device the guest sees.

Backends: pty, file, unix socket (a socket without a path goes in the domain's run folder),
tcp, null. stdio is refused: QEMU's own stdin/stdout belong to the driver, not to the guest.
A <console> of target type serial is the serial port of the same number (no second device), as
in libvirt; a virtio console is a virtconsole on the virtio-serial bus.
"""

from __future__ import annotations

from typing import Any

from virt.xml.devices import Char

from virt_qemu.command.context import Context, kv
from virt_qemu.command.errors import Node, raw_node, refuse_raw_extra, refuse_unhandled, unknown_attr, unknown_element

_HANDLED = ("type", "tty", "log", "sources", "protocol", "target", "alias", "address")
CHAR_BACKENDS = ("pty", "unix", "tcp", "file", "null")
"""Character device types built, for serial ports, consoles and channels (domain capabilities offer
them for channels); stdio, udp, pipe, dev, spicevmc... are refused."""
_SERIAL_DEVICES = {
    None: "isa-serial",
    "isa-serial": "isa-serial",
    "pci-serial": "pci-serial",
    "usb-serial": "usb-serial",
}


def backend(ctx: Context, char: Char, node: Node, char_id: str, socket_name: str) -> str:
    """The -chardev value for ``char``."""
    refuse_unhandled(char, node, _HANDLED)
    kind = char.type
    if kind == "stdio":
        raise node.attr("type").refuse("stdio is QEMU's own terminal, which the driver keeps; use pty")
    if kind not in CHAR_BACKENDS:
        raise node.attr("type").not_yet(f"character devices of type '{kind}' are")
    source = char.sources[0] if char.sources else None
    if len(char.sources) > 1 and kind != "udp":
        raise node.child("source", char.sources[1], 1).refuse("only one <source> is possible here")
    snode = node.child("source", source)
    if source is not None:
        refuse_unhandled(source, snode, ("path", "mode", "host", "service"), unknown_attrs=("append",))
    opts: list[tuple[str, object]] = [("id", char_id)]
    path = source.path if source is not None else None
    mode = source.mode if source is not None else None
    if kind == "pty":
        backend_name = "pty"  # a source path of a pty is the one QEMU allocated last time: ignored
    elif kind == "null":
        backend_name = "null"
    elif kind == "file":
        if not path:
            raise snode.refuse("a file character device needs <source path>")
        backend_name = "file"
        opts.append(("path", path))
        append = unknown_attr(source, "append") if source is not None else None
        if append is not None:
            opts.append(("append", append == "on"))
    elif kind == "unix":
        if mode not in (None, "bind", "connect"):
            raise snode.attr("mode").refuse(f"unknown socket mode '{mode}'")
        backend_name = "socket"
        opts.append(("path", path or str(ctx.files.run_dir / socket_name)))
        if mode != "connect":
            opts += [("server", True), ("wait", False)]
        _no_children(source, snode)
    else:  # tcp
        if source is None or not source.service:
            raise snode.refuse("a tcp character device needs <source service>")
        backend_name = "socket"
        opts += [("host", source.host or "localhost"), ("port", source.service)]
        if mode not in (None, "bind", "connect"):
            raise snode.attr("mode").refuse(f"unknown socket mode '{mode}'")
        if mode == "bind":
            opts += [("server", True), ("wait", False)]
        protocol = char.protocol
        if protocol is not None:
            refuse_raw_extra(protocol, raw_node(node, protocol, "protocol"), ("type",))
            if protocol.get("type") not in (None, "raw", "telnet"):
                raise raw_node(node, protocol, "protocol").not_yet(f"protocol '{protocol.get('type')}' is")
            if protocol.get("type") == "telnet":
                opts.append(("telnet", True))
        _no_children(source, snode)
    if char.protocol is not None and kind != "tcp":
        raise raw_node(node, char.protocol, "protocol").refuse("only tcp character devices have a protocol")
    if char.log is not None:
        log = char.log
        refuse_raw_extra(log, raw_node(node, log, "log"), ("file", "append"))
        opts.append(("logfile", log.get("file")))
        if log.get("append") is not None:
            opts.append(("logappend", log.get("append") == "on"))
    return kv(backend_name, opts)


def _no_children(source: Any, node: Node) -> None:
    if source is not None:
        el = unknown_element(source, "reconnect")
        if el is not None:
            raise raw_node(node, el, "reconnect").not_yet("reconnecting sockets are")


def build(ctx: Context) -> None:
    devices = ctx.domain.devices
    if devices is None:
        return
    if devices.parallels:
        p = devices.parallels[0]
        raise Node.of("/domain/devices/parallel[1]", p).not_yet("parallel ports are")
    serial_ports: set[int] = set()
    serials = list(devices.serials)
    for n, serial in enumerate(serials):
        node = Node.of(f"/domain/devices/serial[{n + 1}]", serial)
        port = serial.target.port if serial.target is not None and serial.target.port is not None else n
        serial_ports.add(port)
        _serial(ctx, serial, node, n, port)
    for n, console in enumerate(devices.consoles):
        node = Node.of(f"/domain/devices/console[{n + 1}]", console)
        kind = console.target.type if console.target is not None else None
        port = console.target.port if console.target is not None and console.target.port is not None else 0
        if kind in (None, "serial"):
            if port in serial_ports:
                refuse_unhandled(console, node, _HANDLED)  # the same port as the serial device
                continue
            serial_ports.add(port)
            _serial(ctx, console, node, len(serials) + n, port)
        elif kind == "virtio":
            char_id = f"charconsole{n}"
            ctx.args.add("-chardev", backend(ctx, console, node, char_id, f"console{n}.sock"))
            props: dict[str, Any] = {"driver": "virtconsole", "chardev": char_id, "id": f"console{n}"}
            _virtio_serial_place(ctx, console, node, props)
            ctx.args.device(props)
        else:
            raise node.child("target", console.target).attr("type").not_yet(f"'{kind}' consoles are")
    for n, channel in enumerate(devices.channels):
        _channel(ctx, channel, Node.of(f"/domain/devices/channel[{n + 1}]", channel), n)


def _serial(ctx: Context, char: Char, node: Node, n: int, port: int) -> None:
    target = char.target
    kind = target.type if target is not None else None
    if target is not None:
        tnode = node.child("target", target)
        refuse_unhandled(target, tnode, ("type", "port"), unknown_elements=("model",))
        model = unknown_element(target, "model")
        if model is not None:
            refuse_raw_extra(model, raw_node(tnode, model, "model"), ("name",))
            if model.get("name") != _SERIAL_DEVICES.get(kind):
                raise raw_node(tnode, model, "model").not_yet(f"serial model '{model.get('name')}' is")
        if kind == "serial":
            kind = None  # a console's target type
    if kind not in _SERIAL_DEVICES:
        raise node.child("target", target).attr("type").not_yet(f"serial ports of type '{kind}' are")
    char_id = f"charserial{n}"
    ctx.args.add("-chardev", backend(ctx, char, node, char_id, f"serial{n}.sock"))
    props: dict[str, Any] = {"driver": _SERIAL_DEVICES[kind], "chardev": char_id, "id": f"serial{n}"}
    if kind in (None, "isa-serial"):
        if not 0 <= port <= 3:
            raise node.child("target", target).attr("port").refuse("ISA serial ports are numbered 0 to 3")
        if char.address is not None:
            raise node.child("address", char.address).not_yet("addresses of ISA serial ports are")
        props["index"] = port
    elif kind == "pci-serial":
        ctx.pci.place(props, char.address, node)
    else:
        ctx.buses.usb_place(props, char.address, node)
    ctx.args.device(props)


def _virtio_serial_place(ctx: Context, char: Char, node: Node, props: dict[str, Any]) -> None:
    address = char.address
    controller, bus, port = 0, 0, None
    if address is not None:
        at = node.child("address", address)
        refuse_unhandled(address, at, ("type", "controller", "bus", "port"))
        if address.type != "virtio-serial":
            raise at.attr("type").refuse("a virtio channel needs an address of type 'virtio-serial'")
        controller, bus = int(address.controller or "0", 10), int(address.bus or "0", 10)
        port = int(address.port, 10) if address.port else None
    if controller not in ctx.buses.virtio_serial:
        raise node.refuse(f"there is no virtio-serial controller with index {controller}")
    props["bus"] = f"{ctx.buses.virtio_serial[controller]}.{bus}"
    props["nr"] = port


def channel_chardev_id(n: int) -> str:
    """The -chardev id of the ``n``-th <channel> (0-based): QMP's ``query-chardev`` names it so."""
    return f"charchannel{n}"


def channel_socket_name(char: Char, n: int) -> str:
    """The file name of the ``n``-th channel's unix socket when it has no source path (in the run folder)."""
    target = char.target
    return (target.name if target is not None else None) or f"channel{n}.sock"


def _channel(ctx: Context, char: Char, node: Node, n: int) -> None:
    target = char.target
    tnode = node.child("target", target)
    if target is None or target.type != "virtio":
        kind = target.type if target is not None else None
        raise tnode.attr("type").not_yet(f"channels of target type '{kind}' are")
    refuse_unhandled(target, tnode, ("type", "name"), unknown_attrs=("state",))
    if target.name is not None and ("/" in target.name or target.name in (".", "..")):
        # the name becomes the socket's file name in the domain's run folder
        raise tnode.attr("name").refuse("a channel name cannot contain '/' or be '.' or '..'")
    char_id = channel_chardev_id(n)
    ctx.args.add("-chardev", backend(ctx, char, node, char_id, channel_socket_name(char, n)))
    props: dict[str, Any] = {"driver": "virtserialport", "chardev": char_id, "id": f"channel{n}"}
    _virtio_serial_place(ctx, char, node, props)
    props["name"] = target.name
    ctx.args.device(props)


def frontends(devices: Any) -> list[tuple[Char, str, str]]:
    """Each serial port and console with the -chardev id :func:`build` gives its backend and its
    alias (libvirt's: ``serialN``, ``consoleN``; a console on a serial port shares that port's)."""
    found: list[tuple[Char, str, str]] = []
    by_port: dict[int, tuple[str, str]] = {}
    serials = list(devices.serials)
    for n, serial in enumerate(serials):
        port = serial.target.port if serial.target is not None and serial.target.port is not None else n
        by_port.setdefault(port, (f"charserial{n}", f"serial{n}"))
        found.append((serial, f"charserial{n}", f"serial{n}"))
    for n, console in enumerate(devices.consoles):
        kind = console.target.type if console.target is not None else None
        port = console.target.port if console.target is not None and console.target.port is not None else 0
        if kind in (None, "serial"):
            if port not in by_port:
                by_port[port] = (f"charserial{len(serials) + n}", f"serial{len(serials) + n}")
            found.append((console, *by_port[port]))
        elif kind == "virtio":
            found.append((console, f"charconsole{n}", f"console{n}"))
    return found

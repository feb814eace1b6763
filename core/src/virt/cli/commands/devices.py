"""Device hotplug commands with virsh's options and words: attach-device, detach-device,
update-device and detach-device-alias, and those that write the device's XML themselves, as virsh
does (client side): attach-disk, detach-disk, attach-interface, detach-interface, change-media."""

from __future__ import annotations

import argparse
import stat
from pathlib import Path
from typing import Any
from xml.sax.saxutils import quoteattr

from virt.cli.commands.domain import domain_argument, file_argument, read_file
from virt.cli.context import CommandError, Context
from virt.cli.registry import Argument, CommandRegistry
from virt.devicechanges import DeviceModifyFlags as F

GROUP = "Domain Management"


def _flags(args: argparse.Namespace) -> int:
    """--current, --live, --config (--persistent: --config, and --live when the domain runs)."""
    for other in ("live", "config", "persistent"):
        if args.current and getattr(args, other, False):
            raise CommandError(f"Options --current and --{other} are mutually exclusive")
    flags = (F.LIVE if args.live else 0) | (F.CONFIG if args.config else 0)
    if getattr(args, "force", False):
        flags |= F.FORCE
    return int(flags)


def _run(ctx: Context, args: argparse.Namespace, verb: str, call: str) -> None:
    from virt.errors import VirtError

    xml = read_file(args.file)
    domain = ctx.domain(args.domain)
    flags = _flags(args)
    if getattr(args, "persistent", False):
        flags |= F.CONFIG | (F.LIVE if domain.is_active() else 0)
    elif not (args.current or args.live or args.config) and call != "update_device":
        flags |= F.LIVE  # virsh calls the flagless API, which changes the running domain
    try:
        getattr(domain, call)(xml, flags)
    except VirtError as exc:
        raise CommandError(f"Failed to {verb} device from {args.file}", exc.message) from exc
    past = {"attach": "attached", "detach": "detached", "update": "updated"}[verb]
    ctx.print_extra(f"Device {past} successfully")


def run_attach_device(ctx: Context, args: argparse.Namespace) -> None:
    _run(ctx, args, "attach", "attach_device")


def run_detach_device(ctx: Context, args: argparse.Namespace) -> None:
    _run(ctx, args, "detach", "detach_device")


def run_update_device(ctx: Context, args: argparse.Namespace) -> None:
    _run(ctx, args, "update", "update_device")


def run_detach_device_alias(ctx: Context, args: argparse.Namespace) -> None:
    from virt.errors import VirtError

    domain = ctx.domain(args.domain)
    try:
        domain.detach_device_alias(args.alias, _flags(args))
    except VirtError as exc:
        raise CommandError(f"Failed to detach device with alias {args.alias}", exc.message) from exc
    ctx.print_extra("Device detach request sent successfully")


# -- the commands that write the device's XML ------------------------------------------------------
def _attr(name: str, value: str | None) -> str:
    # virsh quotes attribute values with single quotes (virBuffer escaping)
    return "" if value is None else f" {name}={_single(value)}"


def _single(value: str) -> str:
    quoted = quoteattr(value, {"'": "&apos;"})
    return "'" + quoted[1:-1].replace("&quot;", '"') + "'" if quoted.startswith('"') else quoted


def _text(value: str) -> str:
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _modify_flags(ctx: Context, args: argparse.Namespace, domain_active: bool | None = None) -> int | None:
    """virsh's flags of the *-disk/*-interface commands: None when it calls the flagless API."""
    flags = _flags(args)
    if args.persistent:
        active = domain_active if domain_active is not None else False
        return int(F.CONFIG | (F.LIVE if active else 0))
    if not (args.current or args.live or args.config):
        return None
    return flags


def _apply(domain: Any, call: str, xml: str, flags: int | None) -> None:
    getattr(domain, call)(xml, int(F.LIVE) if flags is None else flags)


def _numbers(text: str, count: int) -> list[int]:
    parts = text.split(".")
    try:
        found = [int(part, 16) for part in parts]
    except ValueError:
        raise CommandError("Invalid address.") from None
    if len(found) != count:
        raise CommandError("Invalid address.")
    return found


def _address(text: str, target: str, multifunction: bool) -> str:
    """virsh 9.0's --address, read by the kind of target: vd* (and others) a pci: or ccw: address,
    sd* a scsi:, usb: or sata: one, hd* an ide: one."""
    kind, _, rest = text.partition(":")
    allowed: tuple[str, ...]
    if target.startswith("sd"):
        allowed, expecting = ("scsi", "usb", "sata"), "expecting a scsi:00.00.00 or usb:00.00 or sata:00.00.00 address."
    elif target.startswith("hd"):
        allowed, expecting = ("ide",), "expecting an ide:00.00.00 address."
    else:
        allowed, expecting = ("pci", "ccw"), "expecting a pci:0000.00.00.00 or ccw:00.0.0000 address."
    if kind not in allowed:
        raise CommandError(expecting)
    if kind == "pci":
        domain, bus, slot, function = _numbers(rest, 4)
        extra = " multifunction='on'" if multifunction else ""
        return (
            f"<address type='pci' domain='0x{domain:04x}' bus='0x{bus:02x}' slot='0x{slot:02x}' "
            f"function='0x{function:x}'{extra}/>"
        )
    if kind == "ccw":
        cssid, ssid, devno = _numbers(rest, 3)
        return f"<address type='ccw' cssid='0x{cssid:02x}' ssid='0x{ssid:x}' devno='0x{devno:04x}'/>"
    if kind == "usb":
        bus, port = _numbers(rest, 2)
        return f"<address type='usb' bus='{bus}' port='{port}'/>"
    controller, bus, unit = _numbers(rest, 3)
    return f"<address type='drive' controller='{controller}' bus='{bus}' unit='{unit}'/>"


def _check_wwn(wwn: str) -> None:
    import re

    if not re.fullmatch(r"(0x)?[0-9a-fA-F]{16}", wwn):
        raise CommandError(f"internal error: Malformed wwn: {wwn}")


def run_attach_disk(ctx: Context, args: argparse.Namespace) -> None:
    from virt.errors import VirtError

    if args.mode is not None and args.mode not in ("readonly", "shareable"):
        raise CommandError(f"No support for {args.mode} in command 'attach-disk'")
    _flags(args)
    source_type = args.sourcetype
    if source_type is None:
        try:
            source_type = "block" if stat.S_ISBLK(Path(args.source).stat().st_mode) else "file"
        except OSError:
            source_type = "file"
    if source_type not in ("file", "block", "network"):
        raise CommandError(f"Unknown source type: '{source_type}'")
    address = _address(args.address, args.target, args.multifunction) if args.address is not None else None
    if args.wwn is not None:
        _check_wwn(args.wwn)
    lines = [
        f"<disk type={_single(source_type)}{_attr('device', args.type)}{' rawio=' + repr('yes') if args.rawio else ''}>"
    ]
    if any(v is not None for v in (args.driver, args.subdriver, args.iothread, args.cache, args.io)):
        driver = _attr("name", args.driver) + _attr("type", args.subdriver) + _attr("iothread", args.iothread)
        driver += _attr("cache", args.cache) + _attr("io", args.io)
        lines.append(f"  <driver{driver}/>")
    source_attr = "dev" if source_type == "block" else "file"
    lines.append(f"  <source {source_attr}={_single(args.source)}/>")
    lines.append(f"  <target dev={_single(args.target)}{_attr('bus', args.targetbus)}/>")
    if args.mode is not None:
        lines.append(f"  <{args.mode}/>")
    if args.serial is not None:
        lines.append(f"  <serial>{_text(args.serial)}</serial>")
    if args.alias is not None:
        lines.append(f"  <alias name={_single(args.alias)}/>")
    if args.wwn is not None:
        lines.append(f"  <wwn>{_text(args.wwn)}</wwn>")
    if address is not None:
        lines.append(f"  {address}")
    lines.append("</disk>")
    xml = "\n".join(lines) + "\n"
    if args.print_xml:
        ctx.print(xml, end="")
        return
    domain = ctx.domain(args.domain)
    flags = _modify_flags(ctx, args, domain.is_active() if args.persistent else None)
    try:
        _apply(domain, "attach_device", xml, flags)
    except VirtError as exc:
        raise CommandError("Failed to attach disk", exc.message) from exc
    ctx.print_extra("Disk attached successfully")


def _domain_document(domain: Any, config: bool) -> Any:
    from lxml import etree

    text = domain.xml(inactive=config)
    return etree.fromstring(text.encode())


def _dump(element: Any) -> str:
    """A device element as virsh prints it (libxml2's dump: the document's own indentation inside)."""
    from lxml import etree

    return str(etree.tostring(element, with_tail=False, encoding="unicode"))


def _find_disk(document: Any, wanted: str, *, changeable: bool) -> Any:
    """virsh's vshFindDisk: the disk whose target or source path is ``wanted`` (changeable: CD-ROMs
    and floppies only)."""
    for disk in document.iterfind("devices/disk"):
        if changeable and disk.get("device") not in ("cdrom", "floppy"):
            continue
        target = disk.find("target")
        if target is not None and target.get("dev") == wanted:
            return disk
        source = disk.find("source")
        if source is not None and wanted in (source.get(k) for k in ("file", "dev", "dir", "name")):
            return disk
    raise CommandError(f"No disk found whose source path or target is {wanted}")


def run_detach_disk(ctx: Context, args: argparse.Namespace) -> None:
    from virt.errors import VirtError

    domain = ctx.domain(args.domain)
    _flags(args)
    document = _domain_document(domain, bool(args.config))
    disk = _find_disk(document, args.target, changeable=False)
    xml = _dump(disk)
    if args.print_xml:
        ctx.print(xml, end="")
        return
    flags = _modify_flags(ctx, args, domain.is_active() if args.persistent else None)
    try:
        _apply(domain, "detach_device", xml, flags)
    except VirtError as exc:
        raise CommandError("Failed to detach disk", exc.message) from exc
    ctx.print_extra("Disk detached successfully")


_INTERFACE_TYPES = ("network", "bridge", "direct", "hostdev", "vhostuser")
"""The types virsh 9.0's attach-interface writes (others: ``No support for X in command``)."""


def _bandwidth(text: str, direction: str) -> str:
    """--inbound/--outbound: average[,peak[,burst[,floor]]] (floor inbound only), in virsh's order."""
    values = text.split(",")
    names = ("average", "peak", "burst", "floor")
    if len(values) > (4 if direction == "inbound" else 3) or not values[0]:
        raise CommandError("inbound format is incorrect" if direction == "inbound" else "outbound format is incorrect")
    for value in values:
        if value and not value.isdigit():
            raise CommandError(f"{direction} format is incorrect")
    attrs = "".join(f" {name}='{value}'" for name, value in zip(names, values, strict=False) if value)
    return f"    <{direction}{attrs}/>"


def _pci_source(text: str) -> str:
    import re

    match = re.fullmatch(r"(?:([0-9a-fA-F]+):)?([0-9a-fA-F]+):([0-9a-fA-F]+)\.([0-7])", text)
    if match is None:
        raise CommandError(f"cannot parse pci address '{text}' for network interface")
    domain, bus, slot, function = (int(v or "0", 16) for v in match.groups())
    return (
        f"    <address type='pci' domain='0x{domain:04x}' bus='0x{bus:02x}' slot='0x{slot:02x}' "
        f"function='0x{function:x}'/>"
    )


def run_attach_interface(ctx: Context, args: argparse.Namespace) -> None:
    from virt.errors import VirtError

    kind = args.type
    if args.source_mode is not None and args.source_mode not in ("server", "client"):
        raise CommandError(f"Invalid source mode: {args.source_mode}")
    if kind not in _INTERFACE_TYPES:
        raise CommandError(f"No support for {kind} in command 'attach-interface'")
    _flags(args)
    managed = " managed='yes'" if kind == "hostdev" and args.managed else ""
    lines = [f"<interface type={_single(kind)}{managed}>"]
    if kind == "network":
        lines.append(f"  <source network={_single(args.source)}/>")
    elif kind == "bridge":
        lines.append(f"  <source bridge={_single(args.source)}/>")
    elif kind == "direct":
        lines.append(f"  <source dev={_single(args.source)}/>")
    elif kind == "hostdev":
        lines += ["  <source>", _pci_source(args.source), "  </source>"]
    else:  # vhostuser
        if args.source_mode is None:
            raise CommandError("source-mode is mandatory")
        lines.append(f"  <source type='unix' path={_single(args.source)} mode={_single(args.source_mode)}/>")
    if args.target is not None:
        lines.append(f"  <target dev={_single(args.target)}/>")
    if args.mac is not None:
        lines.append(f"  <mac address={_single(args.mac)}/>")
    if args.script is not None:
        lines.append(f"  <script path={_single(args.script)}/>")
    if args.model is not None:
        lines.append(f"  <model type={_single(args.model)}/>")
    if args.alias is not None:
        lines.append(f"  <alias name={_single(args.alias)}/>")
    if args.inbound is not None or args.outbound is not None:
        lines.append("  <bandwidth>")
        if args.inbound is not None:
            lines.append(_bandwidth(args.inbound, "inbound"))
        if args.outbound is not None:
            lines.append(_bandwidth(args.outbound, "outbound"))
        lines.append("  </bandwidth>")
    lines.append("</interface>")
    xml = "\n".join(lines) + "\n"
    if args.print_xml:
        ctx.print(xml, end="")
        return
    domain = ctx.domain(args.domain)
    flags = _modify_flags(ctx, args, domain.is_active() if args.persistent else None)
    try:
        _apply(domain, "attach_device", xml, flags)
    except VirtError as exc:
        raise CommandError("Failed to attach interface", exc.message) from exc
    ctx.print_extra("Interface attached successfully")


def _mac_of(interface: Any) -> str:
    mac = interface.find("mac")
    return (mac.get("address") or "").lower() if mac is not None else ""


def run_detach_interface(ctx: Context, args: argparse.Namespace) -> None:
    from virt.errors import VirtError

    domain = ctx.domain(args.domain)
    _flags(args)
    document = _domain_document(domain, bool(args.config))
    found = [i for i in document.iterfind("devices/interface") if i.get("type") == args.type]
    if not found:
        raise CommandError(f"No interface found whose type is {args.type}", "Failed to detach interface")
    if args.mac is not None:
        wanted = args.mac.lower()
        found = [
            i for i in found if (i.find("mac") is not None and (i.find("mac").get("address") or "").lower() == wanted)
        ]
        if not found:
            raise CommandError(f"No interface with MAC address {args.mac} was found", "Failed to detach interface")
    elif len(found) > 1:
        raise CommandError(
            f"Domain has {len(found)} interfaces. Please specify which one to detach using --mac",
            "Failed to detach interface",
        )
    xml = _dump(found[0])
    if args.print_xml:
        ctx.print(xml, end="")
        return
    flags = _modify_flags(ctx, args, domain.is_active() if args.persistent else None)
    try:
        _apply(domain, "detach_device", xml, flags)
    except VirtError as exc:
        raise CommandError("Failed to detach interface", exc.message) from exc
    ctx.print_extra("Interface detached successfully")


def run_change_media(ctx: Context, args: argparse.Namespace) -> None:
    from virt.errors import VirtError

    actions = [a for a in ("eject", "insert", "update") if getattr(args, a)]
    if len(actions) > 1:
        raise CommandError(f"Options --{actions[0]} and --{actions[1]} are mutually exclusive")
    action = actions[0] if actions else "update"
    flags = _flags(args)
    domain = ctx.domain(args.domain)
    document = _domain_document(domain, bool(args.config))
    disk = _find_disk(document, args.path, changeable=True)
    if action != "eject" and args.source is None:
        raise CommandError(f"No source is specified for {'inserting' if action == 'insert' else 'updating'} media")
    from lxml import etree

    source = disk.find("source")
    has_media = source is not None and any(source.get(k) for k in ("file", "dev", "dir", "name"))
    target = disk.find("target")
    dev = target.get("dev") if target is not None else args.path
    if action == "insert" and has_media:
        raise CommandError(f"The disk device '{dev}' already has media")
    if source is not None:
        disk.remove(source)
    if action != "eject":
        source = etree.Element("source")
        source.set("dev" if args.block else "file", args.source)
        position = list(disk).index(target) if target is not None else len(disk)
        disk.insert(position, source)
    xml = _dump(disk)
    if args.print_xml:
        ctx.print(xml, end="")
        return
    if args.force:
        flags |= int(F.FORCE)
    try:
        domain.update_device(xml, flags)
    except VirtError as exc:
        raise CommandError(f"Failed to complete action {action} on media", exc.message) from exc
    done = {"eject": "ejected", "insert": "inserted", "update": "updated"}[action]
    ctx.print_extra(f"Successfully {done} media.", end="")  # virsh writes no newline of its own here


def _impact(persistent: bool = True) -> list[Argument]:
    found = [
        Argument("--config", flag=True, help="affect next boot"),
        Argument("--live", flag=True, help="affect running domain"),
        Argument("--current", flag=True, help="affect current domain"),
    ]
    if persistent:
        found.insert(0, Argument("--persistent", flag=True, help="make live change persistent"))
    return found


def register(commands: CommandRegistry) -> None:
    add = commands.add
    xml_file = file_argument("XML file")
    add(
        "attach-device",
        run_attach_device,
        group=GROUP,
        help="attach device from an XML file",
        description="Attach device from an XML <file>.",
        arguments=[domain_argument(), xml_file, *_impact()],
    )
    add(
        "detach-device",
        run_detach_device,
        group=GROUP,
        help="detach device from an XML file",
        description="Detach device from an XML <file>",
        arguments=[domain_argument(), xml_file, *_impact()],
    )
    add(
        "update-device",
        run_update_device,
        group=GROUP,
        help="update device from an XML file",
        description="Update device from an XML <file>.",
        arguments=[
            domain_argument(),
            xml_file,
            *_impact(),
            Argument("--force", flag=True, help="force device update"),
        ],
    )
    add(
        "detach-device-alias",
        run_detach_device_alias,
        group=GROUP,
        help="detach device from an alias",
        description="Detach device identified by the given alias from a domain",
        arguments=[
            domain_argument(),
            Argument("alias", positional=True, required=True, help="device alias"),
            *_impact(persistent=False),
        ],
    )
    add(
        "attach-disk",
        run_attach_disk,
        group=GROUP,
        help="attach disk device",
        description="Attach new disk device.",
        arguments=[
            domain_argument(),
            Argument("source", positional=True, required=True, help="source of disk device or name of network disk"),
            Argument("target", positional=True, required=True, help="target of disk device"),
            Argument("--targetbus", help="target bus of disk device"),
            Argument("--driver", help="driver of disk device"),
            Argument("--subdriver", help="subdriver of disk device"),
            Argument("--iothread", help="IOThread to be used by supported device"),
            Argument("--cache", help="cache mode of disk device"),
            Argument("--io", help="io policy of disk device"),
            Argument("--type", help="target device type"),
            Argument("--mode", help="mode of device reading and writing"),
            Argument("--sourcetype", help="type of source (block|file|network)"),
            Argument("--serial", help="serial of disk device"),
            Argument("--wwn", help="wwn of disk device"),
            Argument("--alias", help="custom alias name of disk device"),
            Argument("--rawio", flag=True, help="needs rawio capability"),
            Argument("--address", help="address of disk device"),
            Argument("--multifunction", flag=True, help="use multifunction pci under specified address"),
            Argument("--print-xml", flag=True, help="print XML document rather than attach the disk"),
            *_impact(),
        ],
    )
    add(
        "detach-disk",
        run_detach_disk,
        group=GROUP,
        help="detach disk device",
        description="Detach disk device.",
        arguments=[
            domain_argument(),
            Argument("target", positional=True, required=True, help="target of disk device"),
            *_impact(),
            Argument("--print-xml", flag=True, help="print XML document rather than detach the disk"),
        ],
    )
    add(
        "attach-interface",
        run_attach_interface,
        group=GROUP,
        help="attach network interface",
        description="Attach new network interface.",
        arguments=[
            domain_argument(),
            Argument("type", positional=True, required=True, help="network interface type"),
            Argument("source", positional=True, required=True, help="source of network interface"),
            Argument("--target", help="target network name"),
            Argument("--mac", help="MAC address"),
            Argument("--script", help="script used to bridge network interface"),
            Argument("--model", help="model type"),
            Argument("--alias", help="custom alias name of interface device"),
            Argument("--inbound", help="control domain's incoming traffics"),
            Argument("--outbound", help="control domain's outgoing traffics"),
            *_impact(),
            Argument("--print-xml", flag=True, help="print XML document rather than attach the interface"),
            Argument("--managed", flag=True, help="libvirt will automatically detach/attach the device from/to host"),
            Argument("--source-mode", help="mode attribute of <source/> element"),
        ],
    )
    add(
        "detach-interface",
        run_detach_interface,
        group=GROUP,
        help="detach network interface",
        description="Detach network interface.",
        arguments=[
            domain_argument(),
            Argument("type", positional=True, required=True, help="network interface type"),
            Argument("--mac", help="MAC address"),
            *_impact(),
            Argument("--print-xml", flag=True, help="print XML document rather than detach the interface"),
        ],
    )
    add(
        "change-media",
        run_change_media,
        group=GROUP,
        help="Change media of CD or floppy drive",
        description="Change media of CD or floppy drive.",
        arguments=[
            domain_argument(),
            Argument("path", positional=True, required=True, help="Fully-qualified path or target of disk device"),
            Argument("source", positional=True, help="source of the media"),
            Argument("--eject", flag=True, help="Eject the media"),
            Argument("--insert", flag=True, help="Insert the media"),
            Argument("--update", flag=True, help="Update the media"),
            *_impact(persistent=False),
            Argument("--force", flag=True, help="force media changing"),
            Argument("--print-xml", flag=True, help="print XML document rather than change media"),
            Argument("--block", flag=True, help="source media is a block device"),
        ],
    )

"""bhyve command lines -> domain XML, as libvirt 9.0 reads them (bhyve_parse_command.c,
``virsh domxml-from-native bhyve-argv``).

The text holds the bhyve command (the line starting ``/usr/sbin/bhyve``) and optionally, on
another line, the loader's: ``/usr/sbin/bhyveload`` (its -m and -d are understood; any other
option keeps the whole line as <bootloader_args>) or any other loader (kept as it is). From
bhyve's options: -c, -m, -A, -I, -u, -U, -S, -l comN,/dev/nmdm..., and -s slots with ahci-hd,
ahci-cd, virtio-blk, virtio-net, e1000 and fbuf; other options and devices are passed over.

libvirt's reader lets some bad slots go without a word -- a disk or NIC it cannot read, the 27th
disk of a bus -- and leaves them out; so does this one, to give the same XML. What libvirt refuses
is refused here with a VirtError naming the argument.
"""

from __future__ import annotations

import logging
import re
import uuid as uuidlib
from collections.abc import Callable, Iterator

from lxml import etree
from virt.xml import Domain
from virt.xml import devices as dev
from virt.xml.base import add_kept_element, build, set_kept_attribute
from virt.xml.domain import OS, Clock, Features, OSType, Vcpu

from virt_bhyve.argv import split
from virt_bhyve.argv.environment import random_mac
from virt_bhyve.argv.errors import failed, internal, invalid_arg

# what libvirt reports as an error yet converts without (its tests: DO_TEST_WARN) is a warning here
_log = logging.getLogger(__name__)

BHYVE = "/usr/sbin/bhyve"
BHYVELOAD = "/usr/sbin/bhyveload"
MIB = 1024 * 1024
_SUFFIXES = "kmgtpe"
_DIGITS = re.compile(r"[0-9]+")


def from_native(text: str, *, new_mac: Callable[[], str] = random_mac) -> Domain:
    """The domain for a bhyve command line (and its loader's); ``new_mac`` gives an interface
    whose command line has no MAC its address (libvirt makes up a random one)."""
    loader, bhyve = _commands(text)
    reading = _Reading(new_mac)
    reading.bhyve(bhyve)
    if loader is not None:
        if loader[0] == BHYVELOAD:
            reading.bhyveload(loader)
        else:
            reading.domain.bootloader = loader[0]
            reading.domain.bootloader_args = " ".join(loader[1:])
    return reading.domain


def _commands(text: str) -> tuple[list[str] | None, list[str]]:
    """The loader's and bhyve's argument lists: the first line starting with bhyve's path is
    bhyve's, the first other line the loader's; more lines are ignored, as libvirt ignores them."""
    loader: list[str] | None = None
    bhyve: list[str] | None = None
    starts = []
    for line in split.lines(text):
        args = split.arguments(line)
        starts.append(repr(args[0]))
        if bhyve is None and args[0] == BHYVE:
            bhyve = args
        elif loader is None:
            loader = args
    if bhyve is None:
        found = f"the lines start with {', '.join(starts)}" if starts else "the text is empty"
        raise internal(f"Failed to convert the command string to argv-lists: no '{BHYVE}' command line ({found})")
    return loader, bhyve


def memory_kib(arg: str, option: str) -> int:
    """bhyve's memory size (vm_parse_memsize): a plain number below 1 MiB is in MiB, a larger one in
    bytes; or a number with a k/m/g/t/p/e suffix (expand_number). Returned in KiB."""
    if _DIGITS.fullmatch(arg):
        value = int(arg)
        size = value * MIB if value < MIB else value
    else:
        match = re.fullmatch(r"([0-9]+)([kmgtpeKMGTPE]?)[bB]?", arg)
        if match is None:
            raise failed(f"Failed to parse memory: '{option} {arg}' is not a size")
        size = int(match.group(1)) * 1024 ** (_SUFFIXES.index(match.group(2).lower()) + 1 if match.group(2) else 0)
    if size >= 2**64:
        raise failed(f"Failed to parse memory: '{option} {arg}' is too large")
    return size // 1024


def _number(text: str, what: str, arg: str) -> int:
    if not _DIGITS.fullmatch(text) or int(text) >= 2**32:
        raise failed(f"Failed to parse {what} in '{arg}'")
    return int(text)


def _pci_slot(slotdef: str, arg: str) -> tuple[int, int, int]:
    """(bus, slot, function) of ``slot[:function]`` or ``bus:slot:function``."""
    parts = slotdef.split(":")
    if len(parts) > 3:
        raise failed(f"Failed to parse PCI slot '{slotdef}' in '-s {arg}'")
    values = [_number(p, "PCI slot", f"-s {arg}") for p in parts]
    if len(values) == 3:
        return values[0], values[1], values[2]
    return 0, values[0], values[1] if len(values) == 2 else 0


def _address(bus: int, slot: int, function: int) -> dev.Address:
    return build(
        dev.Address, type="pci", domain="0x0000", bus=f"0x{bus:02x}", slot=f"0x{slot:02x}", function=f"0x{function:x}"
    )


def _mac(text: str) -> str:
    """virMacAddrParse as far as it gets: the bytes read before a malformed one stay, the rest 0."""
    parts = re.split(r"[:-]", text)
    octets = [0] * 6
    for n, part in enumerate(parts[:6]):
        if not re.fullmatch(r"[0-9A-Fa-f]{1,2}", part):
            break
        octets[n] = int(part, 16)
    return ":".join(f"{o:02x}" for o in octets)


def _options(argv: list[str], with_value: str, command: str) -> Iterator[tuple[str, str, str | None]]:
    """(letter, option, value or None) of each option of a command, as libvirt reads them: only an
    option's first letter counts, the options end at the first non-option, and that must be the
    last argument (the guest's name), which is never an option's value."""
    last = len(argv) - 1
    n = 1
    while n < last:
        option = argv[n]
        if not option.startswith("-"):
            break
        letter = option[1:2]
        value = None
        if letter and letter in with_value:
            if n + 1 == last:
                raise invalid_arg(f"Missing argument for '{option}'")
            n += 1
            value = argv[n]
        yield letter, option, value
        n += 1
    if n != last or last < 1:
        raise failed(f"Failed to parse arguments for {command} command: unexpected {_at(argv, n)}")


def _whole_mac(text: str) -> bool:
    return re.fullmatch(r"[0-9A-Fa-f]{1,2}([:-][0-9A-Fa-f]{1,2}){5}", text) is not None


def _at(argv: list[str], n: int) -> str:
    """The argument where reading stopped, quoted (or the end of the command)."""
    return repr(argv[n]) if n < len(argv) else f"end of '{argv[0]}'"


class _Reading:
    """One domain being read from its command lines."""

    def __init__(self, new_mac: Callable[[], str]) -> None:
        self.new_mac = new_mac
        self.domain = build(
            Domain,
            type="bhyve",
            uuid=uuidlib.uuid4(),
            os=build(OS, type=build(OSType, name="hvm")),
            clock=build(Clock, offset="localtime"),
            on_poweroff="destroy",
            on_reboot="destroy",
            on_crash="destroy",
            devices=build(dev.Devices),
            vcpu=build(Vcpu, placement="static", count=1),
        )
        self.memory = 0
        self.virtio_disks = 0
        self.ahci_disks = 0

    @property
    def devices(self) -> dev.Devices:
        assert self.domain.devices is not None
        return self.domain.devices

    def set_memory(self, kib: int, option: str) -> None:
        if self.memory and self.memory != kib:
            raise failed(f"Failed to parse memory: size mismatch ('{option}')")
        self.memory = kib
        self.domain.memory = self.domain.current_memory = kib

    def set_name(self, name: str) -> None:
        if self.domain.name is None:
            self.domain.name = name
        elif self.domain.name != name:
            raise failed(f"Failed to parse arguments: VM name mismatch ('{self.domain.name}' and '{name}')")

    # -- bhyve -----------------------------------------------------------------------------
    def bhyve(self, argv: list[str]) -> None:
        for letter, option, value in _options(argv, "cslmUpg", "bhyve"):
            if value is None:
                self.bhyve_flag(letter)
            else:
                self.bhyve_option(letter, option, value)
        self.set_name(argv[-1])

    def bhyve_flag(self, letter: str) -> None:
        domain = self.domain
        if letter in ("A", "I"):
            features = domain.features = domain.features or build(Features)
            if letter == "A":
                features.acpi = True
            else:
                features.apic = True  # -I: deprecated in FreeBSD, still read
        elif letter == "u":
            assert domain.clock is not None
            domain.clock.offset = "utc"
        elif letter == "S":
            backing = etree.Element("memoryBacking")
            etree.SubElement(backing, "locked")
            domain.memory_backing = backing

    def bhyve_option(self, letter: str, option: str, arg: str) -> None:
        if letter == "c":
            if not re.fullmatch(r"[+-]?[0-9]+", arg) or not 0 < int(arg) < 2**31:
                raise failed(f"Failed to parse number of vCPUs: '{option} {arg}'")
            assert self.domain.vcpu is not None
            self.domain.vcpu.count = int(arg)
        elif letter == "m":
            self.set_memory(memory_kib(arg, option), f"{option} {arg}")
        elif letter == "U":
            try:
                self.domain.uuid = uuidlib.UUID(arg)
            except ValueError:
                raise internal(f"Cannot parse UUID '{arg}'") from None
        elif letter == "l":
            self.lpc(arg)
        elif letter == "s":
            self.pci(arg)

    def lpc(self, arg: str) -> None:
        """-l comN,/dev/nmdmXA: a serial port on an nmdm device (other -l devices are passed over)."""
        kind, comma, param = arg.partition(",")
        if not comma:
            raise failed(f"Failed to parse '-l {arg}': expected DEVICE,CONFIG")
        if not (kind.startswith("com") and len(kind) == 4):
            return
        if not param.startswith("/dev/nmdm"):
            raise failed(f"Failed to set com port {kind} ('-l {arg}'): does not start with '/dev/nmdm'.")
        end = param[-1]
        if end not in "AB":
            raise failed(f"Failed to set slave for {param} ('-l {arg}'): last letter not 'A' or 'B'")
        if kind[3] not in "12":
            raise failed(f"Failed to parse {kind} ('-l {arg}'): only com1 and com2 supported.")
        source = build(dev.CharSource)
        set_kept_attribute(source, "master", param)
        set_kept_attribute(source, "slave", param[:-1] + ("B" if end == "A" else "A"))
        serial = build(dev.Char, type="nmdm", sources=[source], target=build(dev.CharTarget, port=int(kind[3]) - 1))
        self.devices.serials.append(serial)

    def pci(self, arg: str) -> None:
        """-s slot,emulation[,config]."""
        slotdef, comma, rest = arg.partition(",")
        if not comma or not rest:
            raise failed(f"Failed to parse '-s {arg}': expected SLOT,EMULATION[,CONFIG]")
        emulation, comma, conf = rest.partition(",")
        config = conf if comma else None
        bus, slot, function = _pci_slot(slotdef, arg)
        if emulation in ("ahci-hd", "ahci-cd", "virtio-blk"):
            self.disk(emulation, _address(bus, slot, function), config, arg)
        elif emulation in ("virtio-net", "e1000"):
            self.interface(emulation, _address(bus, slot, function), config, arg)
        elif emulation == "fbuf":
            self.framebuffer(config, arg)

    def disk(self, emulation: str, address: dev.Address, config: str | None, arg: str) -> None:
        if config is None:
            _log.warning("'-s %s': a disk without a path, left out", arg)
            return
        path = config.split(",", 1)[0]
        if emulation == "virtio-blk":
            index, prefix, bus = self.virtio_disks, "vd", "virtio"
            self.virtio_disks += 1
        else:
            index, prefix, bus = self.ahci_disks, "sd", "sata"
            self.ahci_disks += 1
        if index > 25:
            _log.warning("'-s %s': too many disks, left out", arg)
            return
        block = config.startswith("/dev/")
        disk = build(
            dev.Disk,
            type="block" if block else "file",
            device="cdrom" if emulation == "ahci-cd" else "disk",
            source=build(dev.DiskSource, dev=path) if block else build(dev.DiskSource, file=path),
            target=build(dev.DiskTarget, dev=prefix + chr(ord("a") + index), bus=bus),
            address=address,
        )
        self.devices.disks.append(disk)

    def interface(self, emulation: str, address: dev.Address, config: str | None, arg: str) -> None:
        if config is None or not config.startswith("tap"):
            _log.warning("'-s %s': Only tap devices supported, left out", arg)
            return
        ifname, comma, option = config.partition(",")
        if comma and not option.startswith("mac="):
            _log.warning("'-s %s': Only mac option can be specified for virt-net, left out", arg)
            return
        mac = _mac(option[4:]) if comma else self.new_mac()
        if comma and not _whole_mac(option[4:]):
            _log.warning("'-s %s': unable to parse mac address '%s'", arg, option[4:])
        interface = build(
            dev.Interface,
            type="bridge",
            mac=build(dev.Mac, address=mac),
            # the bridge cannot be known from the command line: libvirt's guess
            source=build(dev.InterfaceSource, bridge="virbr0"),
            target=build(dev.InterfaceTarget, dev=ifname),
            model=build(dev.InterfaceModel, type="virtio" if emulation == "virtio-net" else "e1000"),
            address=address,
        )
        self.devices.interfaces.append(interface)

    def framebuffer(self, config: str | None, arg: str) -> None:
        """fbuf: a VNC display and a GOP video card (a config libvirt cannot read adds neither)."""
        if config is None:
            _log.warning("'-s %s': a framebuffer without options, left out", arg)
            return
        vgaconf: str | None = None
        address: str | None = None
        port = 0
        width = height = None
        password = None
        for param in config.split(","):
            if param in ("vga=on", "vga=io", "vga=off"):
                vgaconf = param[4:]
            if param.startswith(("rfb=", "tcp=")):
                host, colon, port_text = param[4:].partition(":")
                if not colon or not re.fullmatch(r"[+-]?[0-9]+", port_text) or abs(int(port_text)) >= 2**31:
                    _log.warning("'-s %s': cannot read '%s', the framebuffer left out", arg, param)
                    return
                address = host or "127.0.0.1"  # bhyve's default
                port = int(port_text)
                param = port_text
            if param.startswith(("w=", "h=")):
                value = param[2:]
                if not _DIGITS.fullmatch(value) or not 0 < int(value) < 2**32:
                    _log.warning("'-s %s': cannot read '%s', the framebuffer left out", arg, param)
                    return
                if param[0] == "w":
                    width = value
                else:
                    height = value
            if param.startswith("password="):
                password = param[len("password=") :]
        graphics = build(dev.Graphics, type="vnc", autoport=False, passwd=password)
        if port:
            graphics.port = port
        if address is not None:
            graphics.listen = address
            graphics.listens = [build(dev.GraphicsListen, type="address", address=address)]
        model = build(dev.VideoModel, type="gop", heads=1)
        if width is not None or height is not None:
            add_kept_element(model, etree.Element("resolution", x=width or "0", y=height or "0"))
        video = build(dev.Video, model=model)
        if vgaconf not in (None, "io"):  # io is libvirt's default, not written
            video.driver = etree.Element("driver", vgaconf=vgaconf or "")
        self.devices.videos.append(video)
        self.devices.graphics.append(graphics)

    # -- bhyveload ------------------------------------------------------------------------
    def bhyveload(self, argv: list[str]) -> None:
        """bhyveload with just -m and -d is the loader libvirt writes itself (no <bootloader>);
        any other option keeps the command as the guest's bootloader."""
        seen = set()
        for letter, option, value in _options(argv, "dm", "bhyveload"):
            seen.add(letter if value is not None else "other")
            if letter == "m" and value is not None:
                self.set_memory(memory_kib(value, option), f"{option} {value}")
            elif value is not None:
                self.boot_from(value)
        if seen != {"d", "m"}:
            self.domain.bootloader = argv[0]
            self.domain.bootloader_args = " ".join(argv[1:])
        self.set_name(argv[-1])

    def boot_from(self, path: str) -> None:
        """-d PATH: the disk with that source boots; libvirt gives it its position in the disk list
        as boot order (so the first disk gets none)."""
        for n, disk in enumerate(self.devices.disks):
            source = disk.source
            if source is not None and path in (source.file, source.dev):
                if n:
                    disk.boot = build(dev.Boot, order=n)
                return

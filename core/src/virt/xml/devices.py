"""Domain devices (``<domain><devices>``).

Every device declares all the children libvirt writes for it, in libvirt's order, even those
still kept raw: the order is what lets a document written in another order come out canonical.
Each device ends with the same device-info tail (boot, alias, rom, address...).
"""

from __future__ import annotations

from collections.abc import Mapping

from lxml import etree

from virt.errors import XMLError
from virt.xml.base import XmlModel, attribute, child, children, flag, model, raw, raws, text, texts
from virt.xml.convert import INT, MAC_, OCTAL, YESNO, Int


@model()
class Address(XmlModel):
    """A device address; values stay text because their base differs per address type (pci: hex, drive: decimal)."""

    type: str | None = attribute("type")
    domain: str | None = attribute("domain")
    controller: str | None = attribute("controller")
    bus: str | None = attribute("bus")
    slot: str | None = attribute("slot")
    target: str | None = attribute("target")
    unit: str | None = attribute("unit")
    function: str | None = attribute("function")
    port: str | None = attribute("port")
    multifunction: str | None = attribute("multifunction")


@model()
class Alias(XmlModel):
    name: str | None = attribute("name")


@model()
class Boot(XmlModel):
    order: int | None = attribute("order", INT)


@model()
class DiskDriver(XmlModel):
    name: str | None = attribute("name")
    type: str | None = attribute("type")
    cache: str | None = attribute("cache")
    io: str | None = attribute("io")


@model()
class DiskSource(XmlModel):
    file: str | None = attribute("file")
    dev: str | None = attribute("dev")
    dir: str | None = attribute("dir")
    pool: str | None = attribute("pool")
    volume: str | None = attribute("volume")
    protocol: str | None = attribute("protocol")
    name: str | None = attribute("name")
    startup_policy: str | None = attribute("startupPolicy")


@model()
class DiskTarget(XmlModel):
    dev: str | None = attribute("dev")
    bus: str | None = attribute("bus")
    tray: str | None = attribute("tray")
    removable: str | None = attribute("removable")


@model()
class Disk(XmlModel):
    type: str | None = attribute("type")
    device: str | None = attribute("device")
    snapshot: str | None = attribute("snapshot")
    driver: DiskDriver | None = child("driver", DiskDriver)
    auth: etree._Element | None = raw("auth")
    source: DiskSource | None = child("source", DiskSource)
    backing_store: etree._Element | None = raw("backingStore")
    backenddomain: etree._Element | None = raw("backenddomain")
    geometry: etree._Element | None = raw("geometry")
    blockio: etree._Element | None = raw("blockio")
    mirror: etree._Element | None = raw("mirror")
    target: DiskTarget | None = child("target", DiskTarget)
    iotune: etree._Element | None = raw("iotune")
    readonly: bool = flag("readonly")
    shareable: bool = flag("shareable")
    transient: etree._Element | None = raw("transient")
    serial: str | None = text("serial")
    wwn: str | None = text("wwn")
    vendor: str | None = text("vendor")
    product: str | None = text("product")
    encryption: etree._Element | None = raw("encryption")
    boot: Boot | None = child("boot", Boot)
    alias: Alias | None = child("alias", Alias)
    address: Address | None = child("address", Address)

    def post_parse(self) -> None:
        """A CD-ROM is read-only, said or not; a vhost-user disk cannot be snapshotted; a closed
        tray is the default and not written, nor is snapshot='no' on a read-only disk (there is
        nothing to snapshot); an iSCSI source names its LUN, 0 when the name has none."""
        if self.device == "cdrom":
            self.readonly = True
        if self.type == "vhostuser" and self.snapshot is None:
            self.snapshot = "no"
        if self.target is not None and self.target.tray == "closed":
            self.target.tray = None
        if self.snapshot == "no" and self.readonly:
            self.snapshot = None
        source = self.source
        if source is not None:
            _forget_empty_path(source)
            if not _says_anything(source):
                self.source = source = None  # libvirt writes no <source> for an empty path
        elif self.type != "file":
            self.type = "file"  # libvirt's parser: a disk without <source> is an (empty) file
        if source is not None and source.protocol == "iscsi" and source.name is not None:
            source.name = iscsi_name_with_lun(source.name)
        if self.backing_store is not None:
            for layer in self.backing_store.iter("backingStore"):
                _canonical_backing_layer(layer)


def _forget_empty_path(source: DiskSource) -> None:
    """libvirt reads an empty path as no path (an empty CD-ROM written ``<source file=''/>``)."""
    for name in ("file", "dev", "dir"):
        if getattr(source, name) == "":
            setattr(source, name, None)


def _says_anything(source: DiskSource) -> bool:
    """Whether a <source> holds anything (what the model does not declare counts: <host>, <seclabel>...)."""
    declared = (source.file, source.dev, source.dir, source.pool, source.volume, source.protocol, source.name)
    return any(value is not None for value in declared) or source.startup_policy is not None or bool(source._unknown)


# what a <backingStore> holds, in the order libvirt writes it
_BACKING_ORDER = {"format": 0, "source": 1, "backingStore": 2}


def _canonical_backing_layer(layer: etree._Element) -> None:
    """A layer of a backing chain as libvirt writes it: <format>, <source>, then the next layer;
    an element holding only blanks is empty."""
    children = [c for c in layer if isinstance(c.tag, str)]
    ordered = sorted(children, key=lambda c: _BACKING_ORDER.get(str(c.tag), len(_BACKING_ORDER)))
    if ordered != children:
        for child_ in children:
            layer.remove(child_)
        layer.extend(ordered)
    for el in layer.iter():
        if len(el) == 0 and el.text is not None and not el.text.strip():
            el.text = None


def iscsi_name_with_lun(name: str) -> str:
    """An iSCSI target name as libvirt keeps it: IQN/LUN, the LUN 0 when none is given."""
    return name if "/" in name else f"{name}/0"


@model()
class Controller(XmlModel):
    type: str | None = attribute("type")
    index: int | None = attribute("index", INT)
    model: str | None = attribute("model")
    # a xenbus controller's limits for the guest's grant frames and event channels
    max_grant_frames: str | None = attribute("maxGrantFrames")
    max_event_channels: str | None = attribute("maxEventChannels")
    model_name: etree._Element | None = raw("model")
    driver: etree._Element | None = raw("driver")
    pcihole64: etree._Element | None = raw("pcihole64")
    alias: Alias | None = child("alias", Alias)
    master: etree._Element | None = raw("master")
    target: etree._Element | None = raw("target")
    address: Address | None = child("address", Address)


@model()
class Lease(XmlModel):
    lockspace: str | None = text("lockspace")
    key: str | None = text("key")
    target: etree._Element | None = raw("target")


@model()
class Filesystem(XmlModel):
    type: str | None = attribute("type")
    accessmode: str | None = attribute("accessmode")
    # the modes of the files and directories a mapped 9p export creates, read and written in octal
    fmode: int | None = attribute("fmode", OCTAL)
    dmode: int | None = attribute("dmode", OCTAL)
    driver: etree._Element | None = raw("driver")
    binary: etree._Element | None = raw("binary")
    idmap: etree._Element | None = raw("idmap")
    source: etree._Element | None = raw("source")
    target: etree._Element | None = raw("target")
    readonly: bool = flag("readonly")
    boot: Boot | None = child("boot", Boot)
    alias: Alias | None = child("alias", Alias)
    address: Address | None = child("address", Address)
    space_hard_limit: etree._Element | None = raw("space_hard_limit")
    space_soft_limit: etree._Element | None = raw("space_soft_limit")


@model()
class Mac(XmlModel):
    address: str | None = attribute("address", MAC_)
    type: str | None = attribute("type")
    check: str | None = attribute("check")


@model()
class InterfaceSource(XmlModel):
    network: str | None = attribute("network")
    bridge: str | None = attribute("bridge")
    dev: str | None = attribute("dev")
    mode: str | None = attribute("mode")
    address: str | None = attribute("address")
    port: str | None = attribute("port")
    portgroup: str | None = attribute("portgroup")
    # a VMware distributed switch port (type='vds'); portid is also a network port's UUID (type='network')
    switchid: str | None = attribute("switchid")
    portid: str | None = attribute("portid")
    portgroupid: str | None = attribute("portgroupid")
    connectionid: int | None = attribute("connectionid", INT)


@model()
class InterfaceTarget(XmlModel):
    dev: str | None = attribute("dev")
    managed: bool | None = attribute("managed", YESNO)


@model()
class InterfaceModel(XmlModel):
    type: str | None = attribute("type")


def _is_hostdev(attrib: Mapping[str, str]) -> bool:
    return attrib.get("type") == "hostdev"


@model()
class Interface(XmlModel):
    type: str | None = attribute("type")
    managed: bool | None = attribute("managed", YESNO)
    trust_guest_rx_filters: bool | None = attribute("trustGuestRxFilters", YESNO)
    mac: Mac | None = child("mac", Mac)
    # a hostdev interface's <driver> is the PCI assignment driver, which libvirt writes before <source>
    hostdev_driver: etree._Element | None = raw("driver", when=_is_hostdev)
    source: InterfaceSource | None = child("source", InterfaceSource)
    vlan: etree._Element | None = raw("vlan")
    virtualport: etree._Element | None = raw("virtualport")
    bandwidth: etree._Element | None = raw("bandwidth")
    port: etree._Element | None = raw("port")
    ips: list[etree._Element] = raws("ip")
    routes: list[etree._Element] = raws("route")
    port_forwards: list[etree._Element] = raws("portForward")
    script: etree._Element | None = raw("script")
    downscript: etree._Element | None = raw("downscript")
    backenddomain: etree._Element | None = raw("backenddomain")
    target: InterfaceTarget | None = child("target", InterfaceTarget)
    guest: etree._Element | None = raw("guest")
    model: InterfaceModel | None = child("model", InterfaceModel)
    driver: etree._Element | None = raw("driver")
    backend: etree._Element | None = raw("backend")
    filterref: etree._Element | None = raw("filterref")
    tune: etree._Element | None = raw("tune")
    teaming: etree._Element | None = raw("teaming")
    link: etree._Element | None = raw("link")
    mtu: etree._Element | None = raw("mtu")
    coalesce: etree._Element | None = raw("coalesce")
    boot: Boot | None = child("boot", Boot)
    alias: Alias | None = child("alias", Alias)
    rom: etree._Element | None = raw("rom")
    acpi: etree._Element | None = raw("acpi")
    address: Address | None = child("address", Address)


@model()
class Smartcard(XmlModel):
    mode: str | None = attribute("mode")
    type: str | None = attribute("type")
    certificates: list[str] = texts("certificate")
    database: etree._Element | None = raw("database")
    source: etree._Element | None = raw("source")
    protocol: etree._Element | None = raw("protocol")
    alias: Alias | None = child("alias", Alias)
    address: Address | None = child("address", Address)

    def post_parse(self) -> None:
        if self.mode == "passthrough":
            self.protocol = chardev_protocol(self.type, self.protocol)


@model()
class CharSource(XmlModel):
    path: str | None = attribute("path")
    mode: str | None = attribute("mode")
    host: str | None = attribute("host")
    service: str | None = attribute("service")
    # a qemu-vdagent channel's options, in libvirt's order
    clipboard: etree._Element | None = raw("clipboard")
    mouse: etree._Element | None = raw("mouse")


@model()
class CharTarget(XmlModel):
    type: str | None = attribute("type")
    port: int | None = attribute("port", INT)
    name: str | None = attribute("name")


@model()
class Char(XmlModel):
    """serial, parallel, console and channel devices share one shape."""

    type: str | None = attribute("type")
    tty: str | None = attribute("tty")
    sources: list[CharSource] = children("source", CharSource)
    protocol: etree._Element | None = raw("protocol")
    log: etree._Element | None = raw("log")
    target: CharTarget | None = child("target", CharTarget)
    alias: Alias | None = child("alias", Alias)
    address: Address | None = child("address", Address)

    def post_parse(self) -> None:
        self.protocol = chardev_protocol(self.type, self.protocol)


def chardev_protocol(kind: str | None, protocol: etree._Element | None) -> etree._Element | None:
    """A character device's <protocol> (raw, telnet, tls...) means something for a TCP one only;
    libvirt reads it there and nowhere else."""
    return protocol if kind == "tcp" else None


@model()
class Input(XmlModel):
    type: str | None = attribute("type")
    bus: str | None = attribute("bus")
    model: str | None = attribute("model")
    driver: etree._Element | None = raw("driver")
    source: etree._Element | None = raw("source")
    alias: Alias | None = child("alias", Alias)
    address: Address | None = child("address", Address)


@model()
class GraphicsListen(XmlModel):
    type: str | None = attribute("type")
    address: str | None = attribute("address")
    network: str | None = attribute("network")
    socket: str | None = attribute("socket")


def _listen(type_: str, *, address: str | None = None, socket: str | None = None) -> GraphicsListen:
    listen = GraphicsListen()
    listen.type, listen.address, listen.socket = type_, address, socket
    return listen


# The graphics types that listen for clients (and so get a <listen> even when none is written).
_LISTENING_GRAPHICS = frozenset({"vnc", "spice", "rdp"})


@model()
class Graphics(XmlModel):
    type: str | None = attribute("type")
    port: int | None = attribute("port", INT)
    autoport: bool | None = attribute("autoport", YESNO)
    websocket: int | None = attribute("websocket", INT)
    listen: str | None = attribute("listen")
    socket: str | None = attribute("socket")
    keymap: str | None = attribute("keymap")
    share_policy: str | None = attribute("sharePolicy")
    passwd: str | None = attribute("passwd")
    listens: list[GraphicsListen] = children("listen", GraphicsListen)
    channels: list[etree._Element] = raws("channel")
    image: etree._Element | None = raw("image")
    gl: etree._Element | None = raw("gl")
    jpeg: etree._Element | None = raw("jpeg")
    zlib: etree._Element | None = raw("zlib")
    playback: etree._Element | None = raw("playback")
    streaming: etree._Element | None = raw("streaming")
    mouse: etree._Element | None = raw("mouse")
    clipboard: etree._Element | None = raw("clipboard")
    filetransfer: etree._Element | None = raw("filetransfer")
    audio: etree._Element | None = raw("audio")

    def post_parse(self) -> None:
        """libvirt keeps a graphics device's listening places as <listen> elements only: the old
        ``listen`` (and, for VNC, ``socket``) attributes become the first <listen>, which is then
        written back into those attributes for old clients. A VNC port of -1 or none means autoport,
        and an autoport display is written with port -1."""
        if self.type not in _LISTENING_GRAPHICS:
            return
        socket = self.socket if self.type == "vnc" else None
        listens = self.listens
        if listens:
            first = listens[0]
            if self.listen is not None and first.type == "address":
                if first.address is None:
                    first.address = self.listen
                elif first.address != self.listen:
                    raise XMLError("graphics 'listen' attribute does not match the first <listen> element's address")
            if socket is not None:
                if first.type == "socket":
                    if first.socket is None:
                        first.socket = socket
                    elif first.socket != socket:
                        raise XMLError("graphics 'socket' attribute does not match the first <listen> element's socket")
                elif first.type == "address":
                    # the socket attribute takes the place of an address to listen on
                    listens[0] = _listen("socket", socket=socket)
        elif socket is not None:
            listens.append(_listen("socket", socket=socket))
        else:
            listens.append(_listen("address", address=self.listen))
        if self.type == "spice" and listens[0].type == "address" and not self._spice_ports() and not self.autoport:
            # SPICE with no port to listen on and none to pick: QEMU listens nowhere, which
            # libvirt spells as a listen of type 'none'
            listens[0] = _listen("none")
        first = listens[0]
        self.listen = first.address if first.type in ("address", "network") else None
        if self.type == "spice" and first.type in ("none", "socket"):
            # the ports mean nothing without an address to listen on
            self.port = self.autoport = None
            if self._unknown is not None:
                self._unknown.attrs.pop("tlsPort", None)
        if self.type != "vnc":
            return
        if first.type in ("none", "socket"):
            self.socket = first.socket
            self.port = self.autoport = None
            if first.type == "none":
                self.websocket = None
            return
        self.socket = None
        if self.port is None or self.port == -1:
            self.autoport = True
        elif self.autoport is None:
            self.autoport = False
        if self.autoport:
            self.port = -1

    def _spice_ports(self) -> bool:
        """Whether a SPICE display is given a port or a TLS port (0 is none, -1 is one to pick)."""
        tls_port = self._unknown.attrs.get("tlsPort") if self._unknown is not None else None
        return bool(self.port) or tls_port not in (None, "", "0")


@model()
class TPM(XmlModel):
    model: str | None = attribute("model")
    backend: etree._Element | None = raw("backend")
    alias: Alias | None = child("alias", Alias)
    address: Address | None = child("address", Address)


@model()
class Sound(XmlModel):
    model: str | None = attribute("model")
    codecs: list[etree._Element] = raws("codec")
    audio: etree._Element | None = raw("audio")
    alias: Alias | None = child("alias", Alias)
    address: Address | None = child("address", Address)


@model()
class Audio(XmlModel):
    id: int | None = attribute("id", INT)
    type: str | None = attribute("type")
    input: etree._Element | None = raw("input")
    output: etree._Element | None = raw("output")


@model()
class VideoModel(XmlModel):
    type: str | None = attribute("type")
    vram: int | None = attribute("vram", INT)
    heads: int | None = attribute("heads", INT)
    primary: bool | None = attribute("primary", YESNO)


@model()
class Video(XmlModel):
    driver: etree._Element | None = raw("driver")
    model: VideoModel | None = child("model", VideoModel)
    alias: Alias | None = child("alias", Alias)
    address: Address | None = child("address", Address)


@model()
class Hostdev(XmlModel):
    mode: str | None = attribute("mode")
    type: str | None = attribute("type")
    managed: bool | None = attribute("managed", YESNO)
    driver: etree._Element | None = raw("driver")
    source: etree._Element | None = raw("source")
    # a capabilities-mode net hostdev (LXC) carries the addresses and routes of the guest's end
    ips: list[etree._Element] = raws("ip")
    routes: list[etree._Element] = raws("route")
    origstates: etree._Element | None = raw("origstates")
    boot: Boot | None = child("boot", Boot)
    alias: Alias | None = child("alias", Alias)
    rom: etree._Element | None = raw("rom")
    readonly: bool = flag("readonly")
    shareable: bool = flag("shareable")
    address: Address | None = child("address", Address)

    def post_parse(self) -> None:
        """A host device is a subsystem one unless said otherwise, and libvirt writes whether it
        manages a subsystem device (no, unless asked); an iSCSI source names its LUN."""
        if self.mode is None:
            self.mode = "subsystem"
        if self.mode == "subsystem" and self.managed is None:
            self.managed = False
        source = self.source
        if source is not None and source.get("protocol") == "iscsi" and source.get("name") is not None:
            source.set("name", iscsi_name_with_lun(source.get("name", "")))


@model()
class Redirdev(XmlModel):
    bus: str | None = attribute("bus")
    type: str | None = attribute("type")
    source: etree._Element | None = raw("source")
    protocol: etree._Element | None = raw("protocol")
    boot: Boot | None = child("boot", Boot)
    alias: Alias | None = child("alias", Alias)
    address: Address | None = child("address", Address)

    def post_parse(self) -> None:
        self.protocol = chardev_protocol(self.type, self.protocol)


@model()
class Redirfilter(XmlModel):
    usbdevs: list[etree._Element] = raws("usbdev")


@model()
class Hub(XmlModel):
    type: str | None = attribute("type")
    alias: Alias | None = child("alias", Alias)
    address: Address | None = child("address", Address)


@model()
class Watchdog(XmlModel):
    model: str | None = attribute("model")
    action: str | None = attribute("action")
    alias: Alias | None = child("alias", Alias)
    address: Address | None = child("address", Address)


@model()
class MemballoonStats(XmlModel):
    period: int | None = attribute("period", Int(-(2**31), 2**31 - 1))
    """Seconds between the guest's reports of its memory statistics (libvirt's int)."""


@model()
class Memballoon(XmlModel):
    model: str | None = attribute("model")
    autodeflate: str | None = attribute("autodeflate")
    stats: MemballoonStats | None = child("stats", MemballoonStats)
    alias: Alias | None = child("alias", Alias)
    address: Address | None = child("address", Address)
    # libvirt writes the balloon's virtio <driver> options after its address
    driver: etree._Element | None = raw("driver")

    @property
    def period(self) -> int:
        """The statistics period in seconds; 0: the guest is not asked for its statistics."""
        return (self.stats.period or 0) if self.stats is not None else 0

    def set_period(self, seconds: int) -> None:
        """libvirt keeps only a positive period: 0 (or less) leaves no <stats> element."""
        if seconds <= 0:
            self.stats = None
            return
        if self.stats is None:
            self.stats = MemballoonStats()
        self.stats.period = seconds

    def post_parse(self) -> None:
        self.set_period(self.period)


@model()
class RNG(XmlModel):
    model: str | None = attribute("model")
    rate: etree._Element | None = raw("rate")
    backend: etree._Element | None = raw("backend")
    driver: etree._Element | None = raw("driver")
    alias: Alias | None = child("alias", Alias)
    address: Address | None = child("address", Address)

    def post_parse(self) -> None:
        backend = self.backend
        if backend is not None and backend.get("model") == "egd" and backend.get("type") != "tcp":
            # the egd backend is a character device: its <protocol> only means something over TCP
            for protocol in backend.findall("protocol"):
                backend.remove(protocol)


@model()
class NVRAM(XmlModel):
    alias: Alias | None = child("alias", Alias)
    address: Address | None = child("address", Address)


@model()
class Panic(XmlModel):
    model: str | None = attribute("model")
    alias: Alias | None = child("alias", Alias)
    address: Address | None = child("address", Address)


@model()
class Shmem(XmlModel):
    name: str | None = attribute("name")
    model: etree._Element | None = raw("model")
    size: etree._Element | None = raw("size")
    server: etree._Element | None = raw("server")
    msi: etree._Element | None = raw("msi")
    alias: Alias | None = child("alias", Alias)
    address: Address | None = child("address", Address)


@model()
class MemoryDevice(XmlModel):
    model: str | None = attribute("model")
    access: str | None = attribute("access")
    discard: str | None = attribute("discard")
    uuid: str | None = text("uuid")
    source: etree._Element | None = raw("source")
    target: etree._Element | None = raw("target")
    alias: Alias | None = child("alias", Alias)
    address: Address | None = child("address", Address)


@model()
class IOMMU(XmlModel):
    model: str | None = attribute("model")
    driver: etree._Element | None = raw("driver")
    alias: Alias | None = child("alias", Alias)
    address: Address | None = child("address", Address)


@model()
class Vsock(XmlModel):
    model: str | None = attribute("model")
    cid: etree._Element | None = raw("cid")
    alias: Alias | None = child("alias", Alias)
    address: Address | None = child("address", Address)
    # libvirt writes vsock's <driver> after the device address
    driver: etree._Element | None = raw("driver")


@model()
class Crypto(XmlModel):
    model: str | None = attribute("model")
    type: str | None = attribute("type")
    backend: etree._Element | None = raw("backend")
    alias: Alias | None = child("alias", Alias)
    address: Address | None = child("address", Address)


def _device_boots(devices: list[Disk] | list[Interface] | list[Filesystem] | list[Hostdev] | list[Redirdev]) -> bool:
    return any(device.boot is not None for device in devices)


@model(keep_open=True)  # libvirt writes <devices> and </devices> even with nothing in between
class Devices(XmlModel):
    emulator: str | None = text("emulator")
    disks: list[Disk] = children("disk", Disk)
    controllers: list[Controller] = children("controller", Controller)
    leases: list[Lease] = children("lease", Lease)
    filesystems: list[Filesystem] = children("filesystem", Filesystem)
    interfaces: list[Interface] = children("interface", Interface)
    smartcards: list[Smartcard] = children("smartcard", Smartcard)
    serials: list[Char] = children("serial", Char)
    parallels: list[Char] = children("parallel", Char)
    consoles: list[Char] = children("console", Char)
    channels: list[Char] = children("channel", Char)
    inputs: list[Input] = children("input", Input)
    tpms: list[TPM] = children("tpm", TPM)
    graphics: list[Graphics] = children("graphics", Graphics)
    sounds: list[Sound] = children("sound", Sound)
    audios: list[Audio] = children("audio", Audio)
    videos: list[Video] = children("video", Video)
    hostdevs: list[Hostdev] = children("hostdev", Hostdev)
    redirdevs: list[Redirdev] = children("redirdev", Redirdev)
    redirfilters: list[Redirfilter] = children("redirfilter", Redirfilter)
    hubs: list[Hub] = children("hub", Hub)
    watchdogs: list[Watchdog] = children("watchdog", Watchdog)
    memballoon: Memballoon | None = child("memballoon", Memballoon)
    rngs: list[RNG] = children("rng", RNG)
    nvram: NVRAM | None = child("nvram", NVRAM)
    panics: list[Panic] = children("panic", Panic)
    shmems: list[Shmem] = children("shmem", Shmem)
    memories: list[MemoryDevice] = children("memory", MemoryDevice)
    iommu: IOMMU | None = child("iommu", IOMMU)
    vsock: Vsock | None = child("vsock", Vsock)
    cryptos: list[Crypto] = children("crypto", Crypto)

    def post_parse(self) -> None:
        for devices in (self.disks, self.serials, self.parallels, self.consoles, self.channels):
            for device in devices:
                device.post_parse()
        for graphics in self.graphics:
            graphics.post_parse()
        if self.memballoon is not None:
            self.memballoon.post_parse()
        for others in (self.smartcards, self.hostdevs, self.redirdevs, self.rngs):
            for other in others:
                other.post_parse()
        videos = self.videos
        if videos:
            # the primary video device goes first; without one marked, the first is the primary
            for n, video in enumerate(videos):
                if n and video.model is not None and video.model.primary:
                    videos.insert(0, videos.pop(n))
                    break
            model_ = videos[0].model
            if model_ is not None and model_.type != "none" and model_.primary is None:
                model_.primary = True
            for video in videos[1:]:
                # libvirt writes primary='yes' on the primary card only, never primary='no'
                if video.model is not None and video.model.primary is False:
                    video.model.primary = None

    def have_boot_order(self) -> bool:
        """Whether a device has a <boot order>: then the domain gets no default <os><boot>."""
        return (
            _device_boots(self.disks)
            or _device_boots(self.interfaces)
            or _device_boots(self.hostdevs)
            or _device_boots(self.redirdevs)
            or _device_boots(self.filesystems)
        )

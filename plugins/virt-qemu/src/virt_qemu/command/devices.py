"""Graphics (VNC), video, input, balloon, RNG and watchdog devices; the refusal of every other kind."""

from __future__ import annotations

import ipaddress
from typing import Any

from virt.xml.devices import RNG, Devices, Graphics, Input, Video, Watchdog

from virt_qemu.command.context import Context, kv
from virt_qemu.command.errors import Node, raw_node, refuse_raw_extra, refuse_unhandled, unknown_attr

_DEVICE_KINDS = (
    "emulator", "disks", "controllers", "interfaces", "serials", "parallels", "consoles", "channels",
    "inputs", "graphics", "audios", "videos", "watchdogs", "memballoon", "rngs", "memories",
)  # fmt: skip
# What the builder builds, which domain capabilities offer (``virt_qemu.capsxml``): keep them here, in use.
NOT_YET = {
    "leases": ("lease", "lock leases are"),
    "filesystems": ("filesystem", "filesystem passthrough is"),
    "smartcards": ("smartcard", "smartcards are"),
    "tpms": ("tpm", "TPM devices are"),
    "sounds": ("sound", "sound devices are"),
    "hostdevs": ("hostdev", "host device assignment is"),
    "redirdevs": ("redirdev", "USB redirection is"),
    "redirfilters": ("redirfilter", "USB redirection filters are"),
    "hubs": ("hub", "USB hubs are"),
    "nvram": ("nvram", "NVRAM devices are"),
    "panics": ("panic", "panic devices are"),
    "shmems": ("shmem", "shared memory devices are"),
    "iommu": ("iommu", "IOMMU devices are"),
    "vsock": ("vsock", "vsock devices are"),
    "cryptos": ("crypto", "crypto devices are"),
}
"""The kinds of device refused whole: <devices> list field -> (element name, words for the message)."""
GRAPHICS_TYPES = ("vnc", "spice")
"""<graphics type> values built (sdl, rdp, dbus, egl-headless are refused)."""
VIDEO_MODELS = {
    "vga": ("VGA", "VGA"),
    "cirrus": ("cirrus-vga", "cirrus-vga"),
    "virtio": ("virtio-vga", "virtio-gpu-pci"),
    "qxl": ("qxl-vga", "qxl"),
    "bochs": ("bochs-display", "bochs-display"),
}
"""<video><model type> values built (and ``none``): the QEMU device of the primary card, of another one."""
AUDIO_BACKENDS = ("none", "spice")
"""<audio type> values built: none needs no backend (nothing plays), spice is -audiodev driver=spice."""
RNG_BACKENDS = {"random": "rng-random", "builtin": "rng-builtin"}
"""<rng><backend model> values built (egd is refused), and their QEMU object."""
_INPUTS = {
    ("tablet", "usb"): "usb-tablet",
    ("mouse", "usb"): "usb-mouse",
    ("keyboard", "usb"): "usb-kbd",
    ("tablet", "virtio"): "virtio-tablet-pci",
    ("mouse", "virtio"): "virtio-mouse-pci",
    ("keyboard", "virtio"): "virtio-keyboard-pci",
}
VIRTIO_MODELS = {
    "virtio": "",
    "virtio-transitional": "-transitional",
    "virtio-non-transitional": "-non-transitional",
}
"""The model of a virtio device (<rng model>, <memballoon model>): the suffix of its QEMU device."""
# qxl attribute (KiB) -> (device property, divisor: None for a size in bytes, else KiB per unit)
_QXL_SIZES = (("ram", "ram_size", None), ("vgamem", "vgamem_mb", 1024), ("vram64", "vram64_size_mb", 1024))
_WATCHDOG_ACTIONS = {"reset", "shutdown", "poweroff", "pause", "none", "inject-nmi"}


def check_kinds(devices: Devices) -> None:
    """Refuse every kind of device virt-qemu does not build, and unknown elements in <devices>."""
    node = Node.of("/domain/devices", devices)
    for field, (tag, words) in NOT_YET.items():
        value = getattr(devices, field)
        first = (value[0] if value else None) if isinstance(value, list) else value
        if first is not None:
            raise node.child(tag, first, 0).not_yet(words)
    refuse_unhandled(devices, node, _DEVICE_KINDS + tuple(NOT_YET))
    for n, audio in enumerate(devices.audios):
        # an audio backend is only used by sound devices, which are refused above (and by a SPICE
        # display, for which libvirt adds a spice one)
        if audio.type not in AUDIO_BACKENDS:
            raise node.child("audio", audio, n).attr("type").not_yet(f"audio backend '{audio.type}' is")


def build(ctx: Context) -> None:
    devices = ctx.domain.devices
    if devices is None:
        ctx.args.add("-display", "none")
        return
    for n, graphics in enumerate(devices.graphics):
        _graphics(ctx, graphics, Node.of(f"/domain/devices/graphics[{n + 1}]", graphics), n)
    if not devices.graphics:
        ctx.args.add("-display", "none")
    for n, video in enumerate(devices.videos):
        _video(ctx, video, Node.of(f"/domain/devices/video[{n + 1}]", video), n)
    for audio in devices.audios:
        if audio.type == "spice":
            ctx.args.add("-audiodev", kv(None, [("id", f"audio{audio.id or 1}"), ("driver", "spice")]))
    for n, input_ in enumerate(devices.inputs):
        _input(ctx, input_, Node.of(f"/domain/devices/input[{n + 1}]", input_), n)
    balloon = devices.memballoon
    if balloon is not None:
        node = Node.of("/domain/devices/memballoon", balloon)
        # <stats period> is no device property: QEMU is told at start, over QMP (virt_qemu.balloon)
        refuse_unhandled(balloon, node, ("model", "autodeflate", "stats", "alias", "address"))
        if balloon.model != "none":
            suffix = _virtio_suffix(balloon.model, node)
            props: dict[str, Any] = {"driver": f"virtio-balloon-pci{suffix}", "id": "balloon0"}
            ctx.pci.place(props, balloon.address, node)
            if balloon.autodeflate is not None:
                props["deflate-on-oom"] = balloon.autodeflate == "on"
            ctx.args.device(props)
    for n, rng in enumerate(devices.rngs):
        _rng(ctx, rng, Node.of(f"/domain/devices/rng[{n + 1}]", rng), n)
    if len(devices.watchdogs) > 1:
        raise Node.of("/domain/devices/watchdog[2]", devices.watchdogs[1]).not_yet("more than one watchdog is")
    for watchdog in devices.watchdogs:
        _watchdog(ctx, watchdog, Node.of("/domain/devices/watchdog[1]", watchdog))


def _virtio_suffix(model: str | None, node: Node) -> str:
    if model is None:
        return ""
    if model not in VIRTIO_MODELS:
        raise node.attr("model").not_yet(f"model '{model}' is")
    return VIRTIO_MODELS[model]


def _graphics(ctx: Context, graphics: Graphics, node: Node, n: int) -> None:
    if graphics.type not in GRAPHICS_TYPES:
        raise node.attr("type").not_yet(f"'{graphics.type}' graphics are")
    if n > 0:
        raise node.not_yet("more than one graphics device is")
    spice = graphics.type == "spice"
    attrs = ("type", "port", "autoport", "listen", "socket", "listens", "passwd")
    refuse_unhandled(graphics, node, attrs, unknown_attrs=("tlsPort", "defaultMode") if spice else ())
    listen = graphics.listens[0] if graphics.listens else None
    for k, extra in enumerate(graphics.listens[1:], start=1):
        raise node.child("listen", extra, k).not_yet("more than one listen address is")
    kind = listen.type if listen is not None else "address"
    if listen is not None:
        refuse_unhandled(listen, node.child("listen", listen, 0), ("type", "address", "socket", "network"))
    if kind not in ("address", "socket", "none") or (spice and kind == "socket"):
        raise node.child("listen", listen, 0).attr("type").not_yet(f"{graphics.type} listen type '{kind}' is")
    address = (listen.address if listen is not None else None) or "127.0.0.1"
    if spice:
        _spice(ctx, graphics, node, None if kind == "none" else address)
        return
    if kind == "none":
        value = "none"
    elif kind == "socket":
        path = listen.socket if listen is not None and listen.socket else str(ctx.files.run_dir / "vnc.sock")
        value = f"unix:{path}"
    else:
        try:
            host = f"[{address}]" if ipaddress.ip_address(address).version == 6 else address
        except ValueError:
            host = address  # a host name
        if graphics.autoport or graphics.port in (None, -1):
            value = kv(f"{host}:0", [("to", 99)])  # QEMU takes the first free display
        else:
            port = graphics.port
            if port < 5900:
                raise node.attr("port").refuse(f"VNC port {port} is below 5900")
            value = f"{host}:{port - 5900}"
    if graphics.passwd is not None:
        value += ",password=on"  # the password itself goes over QMP (set_password)
    ctx.args.add("-vnc", value)


def _spice(ctx: Context, graphics: Graphics, node: Node, address: str | None) -> None:
    """libvirt's -spice: a plain port (the driver picks a free one for autoport before building),
    ticketing off without a password, seamless migration on. TLS needs certificates libvirt takes
    from qemu.conf (spice_tls), which virt-qemu has not: a TLS port or channel is refused."""
    tls_port = unknown_attr(graphics, "tlsPort")
    if tls_port not in (None, "-1", "0"):
        raise node.attr("tlsPort").not_yet("SPICE over TLS is")
    default_mode = unknown_attr(graphics, "defaultMode")
    if default_mode not in (None, "any", "insecure"):
        raise node.attr("defaultMode").not_yet("SPICE over TLS is")
    if address is None:
        # listen type none: QEMU wants a port or a TLS port, so libvirt gives it the dummy port 0
        opts: list[tuple[str, object]] = [("port", 0)]
    else:
        port = graphics.port
        if port is None or port < 0:
            if not graphics.autoport and port is not None:
                raise node.attr("port").refuse(f"SPICE port {port} is not a port")
            port = 5900  # the native format's guess: at start the driver picks a free port first
        opts = [("port", port), ("addr", address)]
    if graphics.passwd is None:
        opts.append(("disable-ticketing", True))
    opts.append(("seamless-migration", True))
    ctx.args.add("-spice", kv(None, opts))


def _video(ctx: Context, video: Video, node: Node, n: int) -> None:
    refuse_unhandled(video, node, ("model", "alias", "address"))
    model = video.model
    kind = model.type if model is not None else "vga"
    if kind == "none":
        return
    if kind not in VIDEO_MODELS:
        raise node.child("model", model).attr("type").not_yet(f"video model '{kind}' is")
    primary = n == 0
    device = VIDEO_MODELS[kind][0 if primary else 1]
    if not primary and kind in ("vga", "cirrus"):
        raise node.child("model", model).attr("type").refuse(f"a {kind} card can only be the primary one")
    props: dict[str, Any] = {"driver": device, "id": f"video{n}"}
    if model is not None:
        mnode = node.child("model", model)
        extra = ("ram", "vgamem", "vram64") if kind == "qxl" else ()
        refuse_unhandled(model, mnode, ("type", "vram", "heads", "primary"), unknown_attrs=extra)
        if model.heads is not None:
            if kind in ("qxl", "virtio"):
                props["max_outputs"] = model.heads
            elif model.heads != 1:
                raise mnode.attr("heads").refuse(f"a {kind} card has one head")
        if kind == "qxl":
            for attr, prop, divisor in _QXL_SIZES:
                value = unknown_attr(model, attr)
                if value is not None:
                    props[prop] = int(value) * 1024 if divisor is None else int(value) // divisor
            if model.vram is not None:
                props["vram_size"] = model.vram * 1024
        elif model.vram is not None and kind in ("vga", "cirrus", "bochs"):
            mb = max(1, model.vram // 1024)
            props["vgamem_mb" if kind != "bochs" else "vgamem"] = mb if kind != "bochs" else mb * 1024 * 1024
    ctx.pci.place(props, video.address, node, prefer_slot=ctx.pci.primary_video_slot if primary else None)
    ctx.args.device(props)


def _input(ctx: Context, input_: Input, node: Node, n: int) -> None:
    refuse_unhandled(input_, node, ("type", "bus", "alias", "address"))
    bus = input_.bus or ("ps2" if input_.type in ("mouse", "keyboard") else "usb")
    if bus == "ps2" and input_.type in ("mouse", "keyboard"):
        if input_.address is not None:
            raise node.child("address", input_.address).refuse("PS/2 devices have no address")
        return  # the machine's own i8042 controller
    device = _INPUTS.get((input_.type or "", bus))
    if device is None:
        raise node.not_yet(f"a {input_.type} on the {bus} bus is")
    props: dict[str, Any] = {"driver": device, "id": f"input{n}"}
    if bus == "usb":
        ctx.buses.usb_place(props, input_.address, node)
    else:
        ctx.pci.place(props, input_.address, node)
    ctx.args.device(props)


def _rng(ctx: Context, rng: RNG, node: Node, n: int) -> None:
    refuse_unhandled(rng, node, ("model", "rate", "backend", "alias", "address"))
    suffix = _virtio_suffix(rng.model, node)
    backend = rng.backend
    if backend is None:
        raise node.child("backend").refuse("an RNG needs a <backend>")
    bnode = raw_node(node, backend, "backend")
    refuse_raw_extra(backend, bnode, ("model",))
    obj_id = f"objrng{n}"
    model = backend.get("model")
    if model not in RNG_BACKENDS:
        raise bnode.attr("model").not_yet(f"RNG backend '{model}' is")
    rng_object = {"qom-type": RNG_BACKENDS[model], "id": obj_id}
    if model == "random":
        rng_object["filename"] = (backend.text or "").strip() or "/dev/urandom"
    ctx.args.add("-object", rng_object)
    props: dict[str, Any] = {"driver": f"virtio-rng-pci{suffix}", "rng": obj_id, "id": f"rng{n}"}
    if rng.rate is not None:
        rnode = raw_node(node, rng.rate, "rate")
        refuse_raw_extra(rng.rate, rnode, ("bytes", "period"))
        try:
            props["max-bytes"] = int(rng.rate.get("bytes", ""))
            props["period"] = int(rng.rate.get("period", "1000"))
        except ValueError:
            raise rnode.refuse("the rate needs whole numbers of bytes and milliseconds") from None
    ctx.pci.place(props, rng.address, node)
    ctx.args.device(props)


def _watchdog(ctx: Context, watchdog: Watchdog, node: Node) -> None:
    refuse_unhandled(watchdog, node, ("model", "action", "alias", "address"))
    action = watchdog.action or "reset"
    if action not in _WATCHDOG_ACTIONS:
        raise node.attr("action").not_yet(f"watchdog action '{action}' is")
    props: dict[str, Any] = {"id": "watchdog0"}
    if watchdog.model == "i6300esb":
        props = {"driver": "i6300esb", **props}
        ctx.pci.place(props, watchdog.address, node)
    elif watchdog.model == "ib700":
        if watchdog.address is not None:
            raise node.child("address", watchdog.address).refuse("the ISA ib700 watchdog has no address")
        props = {"driver": "ib700", **props}
    else:
        raise node.attr("model").not_yet(f"watchdog model '{watchdog.model}' is")
    ctx.args.device(props)
    ctx.args.add("-action", f"watchdog={action}")

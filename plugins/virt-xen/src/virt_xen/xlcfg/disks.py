"""Disks in xl's form (xl-disk-configuration(5): ``format=,vdev=,access=,backendtype=,devtype=,target=``)."""

from __future__ import annotations

import re

import attrs
from virt.xml.devices import Disk, DiskDriver, DiskSource, DiskTarget
from virt.xml.implicit import DRIVE_BUSES, disk_index

from virt_xen.xlcfg.errors import BadValue, unsupported
from virt_xen.xlcfg.models import add_kept_element, element, make

# the disk image formats the xl form names (libvirt writes vhd as xvhd); anything else is raw
XL_FORMATS = {"raw": "raw", "vhd": "xvhd", "qcow": "qcow", "qcow2": "qcow2", "qed": "qed"}
# xm's driver names too: its file: is QEMU's qdisk, tap2 (blktap2) is what xl calls tap
BACKENDS = {"qemu": "qdisk", "file": "qdisk", "tap": "tap", "tap2": "tap", "phy": "phy"}


def _source_path(disk: Disk) -> str | None:
    source = disk.source
    if source is None:
        return None
    if disk.type == "network":
        return _network_target(disk)
    return source.file or source.dev or source.dir or None


def _network_target(disk: Disk) -> str:
    """An RBD image as qemu's rbd: string, the hosts as mon_host, escaped for xl."""
    source = disk.source
    assert source is not None
    if source.protocol != "rbd":
        raise unsupported(f"Unsupported network block protocol '{source.protocol}'")
    name = source.name or ""
    if ":" in name:
        raise unsupported(f"':' not allowed in RBD source volume name '{name}'")
    text = f"rbd:{name}:auth_supported=none"
    hosts = (
        [el for els in source._unknown.elements.values() for el in els if el.tag == "host"] if source._unknown else []
    )
    if hosts:
        written = []
        for host in hosts:
            host_name = host.get("name", "")
            entry = "[" + host_name.replace(":", "\\:") + "]" if ":" in host_name else host_name
            if host.get("port"):
                entry += f"\\\\:{host.get('port')}"
            written.append(entry)
        text += ":mon_host=" + "\\\\;".join(written)
    return text


def format_xl_disk(disk: Disk) -> str:
    driver = disk.driver
    parts = [f"format={XL_FORMATS.get((driver.type if driver is not None else None) or 'raw', 'raw')}"]
    parts.append(f"vdev={disk.target.dev if disk.target is not None else ''}")
    parts.append("access=" + ("ro" if disk.readonly else "!" if disk.shareable else "rw"))
    if disk.transient is not None:
        raise unsupported("transient disks not supported yet")
    name = driver.name if driver is not None else None
    if name:
        if name not in BACKENDS:
            raise unsupported(f"disk driver '{name}' has no xl backendtype (qemu, file, tap or phy)")
        parts.append(f"backendtype={BACKENDS[name]}")
    if disk.device == "cdrom":
        parts.append("devtype=cdrom")
    target = _source_path(disk)
    if target:
        # target= takes the rest of the spec, so it goes last
        parts.append(f"target={target}")
    return ",".join(parts)


# -- reading (xl-disk-configuration(5), as libxlutil's disk parser reads a spec) --------------------

READ_FORMATS = {"raw": "raw", "qcow": "qcow", "qcow2": "qcow2", "vhd": "vhd", "qed": "qed", "empty": None}
READ_BACKENDS = {"phy": "phy", "qdisk": "qdisk", "tap": "tap", "standalone": "qdisk"}
ACCESS = {"r": False, "ro": False, "w": True, "rw": True}
# keys and flags xl takes that have nothing in domain XML
IGNORED_KEYS = frozenset({"backend", "script", "specification", "colo-host", "colo-port", "colo-export",
                          "active-disk", "hidden-disk", "trusted", "untrusted"})  # fmt: skip
IGNORED_FLAGS = frozenset({"direct-io-safe", "discard", "no-discard", "colo", "trusted", "untrusted"})
# target prefixes of the xm era, still read: what each says of the format and backend
PREFIXES = {
    "raw": ("raw", None), "qcow": ("qcow", None), "qcow2": ("qcow2", None), "vhd": ("vhd", None),
    "aio": ("raw", "tap"), "tap": (None, "tap"), "tap2": (None, "tap"), "tapdisk": (None, "tap"),
    "ioemu": (None, "qdisk"), "file": (None, None), "phy": (None, "phy"),
}  # fmt: skip
_PREFIX = re.compile(r"([a-z][a-z0-9]*):(.*)", re.DOTALL)


@attrs.define
class XlDisk:
    target: str | None = None
    format: str | None = "unset"
    vdev: str | None = None
    access: bool | None = None
    cdrom: bool = False
    backend: str | None = None
    had_prefix: bool = False


def _set_once(disk: XlDisk, name: str, value: object, spec: str) -> None:
    given = disk.format != "unset" if name == "format" else getattr(disk, name) not in (None, False)
    if given:
        raise BadValue(f"disk spec '{spec}' gives {name} twice")
    setattr(disk, name, value)


def _format(value: str, spec: str) -> str | None:
    if value not in READ_FORMATS:
        raise BadValue(f"unknown value for format '{value}' in disk spec '{spec}'")
    return READ_FORMATS[value]


def _positional(disk: XlDisk, value: str, spec: str) -> None:
    if disk.target is None and disk.format == "unset" and disk.vdev is None and not disk.had_prefix:
        found = _PREFIX.fullmatch(value)
        if found is not None and found.group(1) in PREFIXES and found.group(2)[:1] not in ("", ":"):
            fmt, backend = PREFIXES[found.group(1)]
            disk.had_prefix = True
            rest = found.group(2)
            if found.group(1) in ("tap", "tap2"):
                sub = _PREFIX.fullmatch(rest)  # tap:aio:/path, tap:qcow2:/path
                if sub is not None and sub.group(1) in PREFIXES:
                    fmt = PREFIXES[sub.group(1)][0]
                    rest = sub.group(2)
            if fmt is not None:
                disk.format = fmt
            disk.backend = backend or disk.backend
            disk.target = rest
            return
        if found is not None and "/" not in found.group(1) and found.group(2)[:1] == "/":
            raise BadValue(f"unknown deprecated disk prefix '{found.group(1)}:' in disk spec '{spec}'")
    if disk.target is None:
        disk.target = value
    elif disk.format == "unset" and not disk.had_prefix:
        disk.format = _format(value, spec) if value else "raw"
    elif disk.vdev is None:
        disk.vdev = value
    elif disk.access is None:
        if value:
            if value not in ACCESS:
                raise BadValue(f"unknown value for access '{value}' in disk spec '{spec}'")
            disk.access = ACCESS[value]
    else:
        raise BadValue(f"too many positional parameters in disk spec '{spec}'")


def parse_xl_spec(spec: str) -> XlDisk:
    disk = XlDisk()
    rest = spec
    while rest:
        part, comma, rest = rest.partition(",")
        part = part.lstrip(" \t")
        if part.startswith("target="):
            # target= takes the whole rest of the spec, commas included
            _set_once(disk, "target", (part[len("target=") :] + comma + rest) or None, spec)
            break
        key, equals, value = part.partition("=")
        if not equals:
            if part == "cdrom":
                disk.cdrom = True
            elif part in IGNORED_FLAGS:
                pass
            else:
                _positional(disk, part, spec)
            continue
        if key == "format":
            _set_once(disk, "format", _format(value, spec) if value else "raw", spec)
        elif key == "vdev":
            _set_once(disk, "vdev", value, spec)
        elif key == "access":
            if value not in ACCESS:
                raise BadValue(f"unknown value for access '{value}' in disk spec '{spec}'")
            disk.access = ACCESS[value]
        elif key == "devtype":
            if value not in ("cdrom", "disk"):
                raise BadValue(f"unknown value for devtype '{value}' in disk spec '{spec}'")
            disk.cdrom = value == "cdrom"
        elif key == "backendtype":
            if value not in READ_BACKENDS:
                raise BadValue(f"unknown value for backendtype '{value}' in disk spec '{spec}'")
            disk.backend = READ_BACKENDS[value]
        elif key not in IGNORED_KEYS:
            raise BadValue(f"unknown disk parameter '{key}' in disk spec '{spec}'")
    if disk.vdev and disk.vdev.endswith(":cdrom"):
        disk.vdev, disk.cdrom = disk.vdev[: -len(":cdrom")], True
    elif disk.vdev and disk.vdev.endswith(":disk"):
        disk.vdev = disk.vdev[: -len(":disk")]
    if not disk.vdev:
        raise BadValue(f"disk spec '{spec}' names no vdev")
    return disk


def parse_xl_disk(spec: str, hvm: bool) -> Disk:
    """A disk from an xl disk spec, as libvirt's xenParseXLDisk maps what libxlutil reads."""
    xl = parse_xl_spec(spec)
    disk = make(Disk, device="disk")
    driver = make(DiskDriver)
    target = xl.target or None
    if target is not None and target.startswith("rbd:"):
        disk.type = "network"
        disk.source = rbd_source(target)
    elif target is not None:
        disk.source = make(DiskSource)
    if xl.cdrom:
        disk.device = "cdrom"
        driver.name = "qemu"
        disk.type = "file"
        driver.type = "raw" if target else None
    else:
        driver.type = "raw" if xl.format == "unset" else xl.format  # None: the 'empty' format
        if xl.backend == "tap":
            driver.name, disk.type = "tap", "file"
        elif xl.backend == "phy":
            driver.name, disk.type = "phy", "block"
        else:
            driver.name = "qemu"
            disk.type = disk.type or "file"
    if disk.source is not None and disk.type != "network":
        if disk.type == "block":
            disk.source.dev = target
        else:
            disk.source.file = target
    disk.driver = driver
    disk.readonly = xl.access is False
    vdev = xl.vdev or ""
    bus = "xen" if vdev.startswith("xvd") or not hvm else "scsi" if vdev.startswith("sd") else "ide"
    disk.target = make(DiskTarget, dev=vdev, bus=bus)
    return checked_target(disk)


def checked_target(disk: Disk) -> Disk:
    """``disk``, once its device name is one its bus can place (an IDE or SCSI disk's address
    comes from its name: hda, sdb...)."""
    target = disk.target
    if target is not None and target.bus in DRIVE_BUSES and disk_index(target.dev or "") is None:
        raise BadValue(f"unknown disk name '{target.dev}' for a {target.bus} disk (hda, sdb... are)")
    return disk


def rbd_source(text: str) -> DiskSource:
    """An RBD source from qemu's rbd:POOL/IMAGE[:opt=val...] string (libvirt reads the mon_host
    option into <host>s; the others have no place in domain XML)."""
    body = text[len("rbd:") :].replace("\\\\", "\\")
    fields = _split_escaped(body)
    source = make(DiskSource, protocol="rbd", name=fields[0])
    for option in fields[1:]:
        key, _, value = option.partition("=")
        if key == "mon_host":
            for host in _split_escaped(value, ";"):
                name, _, port = _split_host(host)
                attributes = {"name": name} | ({"port": port} if port else {})
                add_kept_element(source, element("host", **attributes))
    return source


def _split_escaped(text: str, separator: str = ":") -> list[str]:
    """``text`` split at unescaped ``separator``s, the escapes removed."""
    parts, current, escaped = [], "", False
    for ch in text:
        if escaped:
            current += ch
            escaped = False
        elif ch == "\\":
            escaped = True
        elif ch == separator:
            parts.append(current)
            current = ""
        else:
            current += ch
    parts.append(current)
    return parts


def _split_host(host: str) -> tuple[str, str, str]:
    if host.startswith("["):
        name, _, rest = host[1:].partition("]")
        return name, ":", rest.lstrip(":")
    return host.partition(":")

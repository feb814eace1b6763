"""Disks in xl's form (xl-disk-configuration(5): ``format=,vdev=,access=,backendtype=,devtype=,target=``)."""

from __future__ import annotations

from virt.xml.devices import Disk

from virt_xen.xlcfg.errors import unsupported

# the disk image formats the xl form names (libvirt writes vhd as xvhd); anything else is raw
XL_FORMATS = {"raw": "raw", "vhd": "xvhd", "qcow": "qcow", "qcow2": "qcow2", "qed": "qed"}
BACKENDS = {"qemu": "qdisk", "file": "qdisk", "tap": "tap", "phy": "phy"}


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

"""VMX -> domain model, as libvirt's virVMXParseConfig reads a VM's .vmx file.

Entries libvirt does not map (tools settings, PCI slots, ...) are ignored, as libvirt ignores
them; values it maps but cannot take are refused with its messages, which name the entry.
"""

from __future__ import annotations

import codecs
import re
import uuid
from typing import Any, TypeVar

from lxml import etree
from virt.errors import VirtError
from virt.xml import Domain
from virt.xml.base import XmlModel
from virt.xml.convert import CPUSET, MAC_
from virt.xml.devices import (
    Address,
    Char,
    CharSource,
    CharTarget,
    Controller,
    Devices,
    Disk,
    DiskDriver,
    DiskSource,
    DiskTarget,
    Filesystem,
    Graphics,
    GraphicsListen,
    Interface,
    InterfaceModel,
    InterfaceSource,
    InterfaceTarget,
    Mac,
    Video,
    VideoModel,
)
from virt.xml.domain import CPU, OS, VMWARE_NS, Clock, CPUTopology, CPUTune, OSType, Vcpu

from virt_esx.vmx import disks, syntax
from virt_esx.vmx.context import DEFAULT, Context
from virt_esx.vmx.values import Values, error, parse_long, parse_uuid, unescape_hex

M = TypeVar("M", bound=XmlModel)

CPUMASK_LEN = 1024  # libvirt's VIR_DOMAIN_CPUMASK_LEN: the highest host CPU a VM may be pinned to, plus one

# scsiN.virtualDev -> the domain XML's SCSI controller model
SCSI_MODELS = {"buslogic": "buslogic", "lsilogic": "lsilogic", "lsisas1068": "lsisas1068", "pvscsi": "vmpvscsi"}
NET_MODELS = ("vlance", "vmxnet", "vmxnet3", "e1000", "e1000e")
# the URI schemes of a network serial port (vSphere's VirtualSerialPortURIBackingInfo) -> <protocol type>
TCP_PROTOCOLS = {
    "tcp": "raw",
    "tcp4": "raw",
    "tcp6": "raw",
    "telnet": "telnet",
    "telnets": "telnets",
    "ssl": "tls",
    "tcp+ssl": "tls",
    "tcp4+ssl": "tls",
    "tcp6+ssl": "tls",
}
_ETHERNET = re.compile(r"ethernet(.*)", re.IGNORECASE)
_INDEX = re.compile(r"\s*\+?([0-9]+)\.")
_SHARED_FOLDER = re.compile(r"sharedFolder([0-9]+)\.", re.IGNORECASE)
_HOST_PORT = re.compile(r"(?:\[([^\]]*)\]|([^:]*))(?::([0-9]*))?")


def make(cls: type[M], **fields: Any) -> M:
    """A model object with ``fields`` set (the attrs initialiser is not visible to type checkers)."""
    obj = cls()
    for name, value in fields.items():
        setattr(obj, name, value)
    return obj


def element(tag: str, text: str | None = None, **attrib: str) -> etree._Element:
    nsmap = {"vmware": VMWARE_NS} if tag.startswith(f"{{{VMWARE_NS}}}") else None
    el = etree.Element(tag, attrib, nsmap=nsmap)
    el.text = text
    return el


def _div_up(value: int, by: int) -> int:
    return -(-value // by)


def decode(data: str | bytes) -> str:
    """The text of a .vmx file: bytes are decoded in the encoding its ``.encoding`` entry names."""
    if isinstance(data, str):
        return data
    declared = syntax.parse(data.decode("latin-1")).get(".encoding")
    encoding = "utf-8" if declared is None else declared
    try:
        return data.decode(encoding)
    except LookupError:
        raise error(f"VMX entry '.encoding' names an unknown encoding '{encoding}'") from None
    except UnicodeDecodeError:
        raise error(f"Could not convert from {encoding} to UTF-8 encoding") from None


def from_native(text: str | bytes, *, context: Context = DEFAULT) -> Domain:
    """The domain a .vmx file describes (``virt domxml-from-native vmware-vmx``)."""
    return _Reader(syntax.parse(decode(text)), context).domain()


class _Reader:
    def __init__(self, vmx: syntax.VmxFile, context: Context) -> None:
        self.vmx = vmx
        self.values = Values(vmx)
        self.context = context
        self.scsi_units = disks.SCSI_WIDE_UNITS

    # -- the whole VM -----------------------------------------------------------------------

    def domain(self) -> Domain:
        v = self.values
        # text comes decoded (bytes were decoded by from_native), but a file naming an encoding
        # nobody knows is refused, as libvirt refuses one it cannot convert from
        encoding = v.string(".encoding")
        if encoding is not None:
            try:
                codecs.lookup(encoding)
            except LookupError:
                raise error(f"VMX entry '.encoding' names an unknown encoding '{encoding}'") from None
        ethernets = self._ethernet_indexes()

        dom = make(Domain, type="vmware")
        config_version = v.long("config.version", 0, optional=False)
        if config_version != 8:
            raise error(f"Expecting VMX entry 'config.version' to be 8 but found {config_version}")
        hw_version = v.long("virtualHW.version", 0, optional=False)
        if hw_version < 4:
            raise error(f"Expecting VMX entry 'virtualHW.version' to be 4 or higher but found {hw_version}")
        if hw_version >= 13:
            self.scsi_units = disks.SCSI_SUPER_WIDE_UNITS

        # libvirt writes the all-zero UUID of a VM without uuid.bios
        dom.uuid = v.uuid("uuid.bios") or uuid.UUID(int=0)
        name = v.string("displayName")
        if name is not None:
            unescaped = unescape_hex(name, "%")
            unescaped = None if unescaped is None else unescape_hex(unescaped, "|")
            if unescaped is None:
                raise error("VMX entry 'name' contains invalid escape sequence")
            dom.name = unescaped
        dom.genid = self._genid()
        annotation = v.string("annotation")
        if annotation is not None:
            description = unescape_hex(annotation, "|")
            if description is None:
                raise error("VMX entry 'annotation' contains invalid escape sequence")
            dom.description = description

        memsize = v.long("memsize", 32)
        if memsize <= 0 or memsize % 4 != 0:
            raise error(f"Expecting VMX entry 'memsize' to be an unsigned integer (multiple of 4) but found {memsize}")
        dom.memory = memsize * 1024
        mem_max = v.long("sched.mem.max", memsize)
        if mem_max < 0:
            mem_max = memsize
        dom.current_memory = min(mem_max * 1024, dom.memory)
        minsize = max(v.long("sched.mem.minsize", 0), 0)
        min_guarantee = min(minsize * 1024, dom.memory)
        if min_guarantee:
            memtune = etree.Element("memtune")
            memtune.append(element("min_guarantee", str(min_guarantee), unit="KiB"))
            dom.memtune = memtune

        vcpus = v.long("numvcpus", 1)
        if vcpus <= 0:
            raise error(f"Expecting VMX entry 'numvcpus' to be an unsigned integer greater than 0 but found {vcpus}")
        dom.vcpu = make(Vcpu, placement="static", count=vcpus)
        cores = v.long("cpuid.coresPerSocket", 1)
        if cores > 1:
            sockets = vcpus // cores
            if sockets <= 0:
                raise error("VMX entry 'cpuid.coresPerSocket' smaller than 'numvcpus'")
            topology = make(CPUTopology, sockets=sockets, dies=1, cores=cores, threads=1)
            dom.cpu = make(CPU, topology=topology)
        dom.vcpu.cpuset = self._affinity(vcpus)
        dom.cputune = self._shares(vcpus)

        dom.on_reboot, dom.on_poweroff, dom.on_crash = "restart", "destroy", "destroy"
        guest_os = v.string("guestOS")
        arch = "x86_64" if guest_os is not None and guest_os.endswith("-64") else "i686"
        os = dom.os = make(OS, type=make(OSType, arch=arch, name="hvm"))
        if v.boolean("smbios.reflecthost", False):
            os.smbios = element("smbios", mode="host")
        dom.clock = make(Clock, offset="utc")

        devices = dom.devices = Devices()
        vnc = self._vnc()
        if vnc is not None:
            devices.graphics.append(vnc)
        self._disks(devices)
        if not v.boolean("isolation.tools.hgfs.disable", True):
            # the folders below sharedFolder.maxNum, in order: only those with entries can be there
            count = v.long("sharedFolder.maxNum", 0)
            for number in sorted(n for n in self._indexes(_SHARED_FOLDER) if n < count):
                fs = self._shared_folder(number)
                if fs is not None:
                    devices.filesystems.append(fs)
        for n in ethernets:
            net = self._ethernet(n)
            if net is not None:
                devices.interfaces.append(net)
        devices.videos.append(self._svga())
        for port in range(4):
            serial = self._serial(port)
            if serial is not None:
                devices.serials.append(serial)
        for port in range(3):
            parallel = self._parallel(port)
            if parallel is not None:
                devices.parallels.append(parallel)

        if self.context.datacenter_path is not None:
            dom.vmware_datacenterpath = element(f"{{{VMWARE_NS}}}datacenterpath", self.context.datacenter_path)
        if self.context.moref is not None:
            dom.vmware_moref = element(f"{{{VMWARE_NS}}}moref", self.context.moref)
        firmware = v.string("firmware")
        if firmware is not None:
            if firmware != "efi":
                raise error(f"VMX entry 'firmware' has unknown value '{firmware}'")
            os.firmware = "efi"
        self._post_parse(devices)
        return dom

    def _ethernet_indexes(self) -> list[int]:
        """The N of the ethernetN.* entries, in order (the NICs need not be numbered without gaps)."""
        found = set()
        for entry in self.vmx:
            ethernet = _ETHERNET.fullmatch(entry.key)
            if ethernet is None:
                continue
            index = _INDEX.match(ethernet.group(1))
            if index is None:
                raise error(f"failed to parse the index of the VMX key '{entry.key}'")
            found.add(int(index.group(1)))
        return sorted(found)

    def _indexes(self, pattern: re.Pattern[str]) -> set[int]:
        return {int(m.group(1)) for m in (pattern.match(e.key) for e in self.vmx) if m is not None}

    def _genid(self) -> str | None:
        high = self.values.long("vm.genid", 0)
        low = self.values.long("vm.genidX", 0)
        if high == 0 and low == 0:
            return None
        # two signed 64-bit halves, as VMware stores the VM generation id
        return str(uuid.UUID(int=((high & 0xFFFFFFFFFFFFFFFF) << 64) | (low & 0xFFFFFFFFFFFFFFFF)))

    def _affinity(self, vcpus: int) -> str | None:
        affinity = self.values.string("sched.cpu.affinity")
        if affinity is None or affinity.lower() == "all":
            return None
        parts = affinity.split(",") if affinity else []
        if len(parts) < vcpus:
            raise error(
                "Expecting VMX entry 'sched.cpu.affinity' to contain at least as many values as "
                f"'numvcpus' ({vcpus}) but found only {len(parts)} value(s)"
            )
        cpus = set()
        for part in parts:
            if not part.strip().isdigit():
                raise error(
                    "Expecting VMX entry 'sched.cpu.affinity' to be a comma separated list of "
                    f"unsigned integers but found '{affinity}'"
                )
            number = int(part.strip())
            if number >= CPUMASK_LEN:
                raise error(f"VMX entry 'sched.cpu.affinity' contains a {number}, this value is too large")
            cpus.add(number)
        return CPUSET.format(tuple(sorted(cpus)))

    def _shares(self, vcpus: int) -> CPUTune | None:
        shares = self.values.string("sched.cpu.shares")
        if shares is None:
            return None
        # vSphere's share levels (the API's SharesInfo.Level) are 500, 1000 and 2000 per vCPU
        levels = {"low": 500, "normal": 1000, "high": 2000}
        level = levels.get(shares.lower())
        if level is not None:
            value = vcpus * level
        else:
            number = parse_long(shares)
            if number is None or number < 0:
                raise error(
                    "Expecting VMX entry 'sched.cpu.shares' to be an unsigned integer or 'low', 'normal' "
                    f"or 'high' but found '{shares}'"
                )
            value = number
        return make(CPUTune, shares=value)

    # -- devices ----------------------------------------------------------------------------

    def _vnc(self) -> Graphics | None:
        v = self.values
        if not v.boolean("RemoteDisplay.vnc.enabled", False):
            return None
        port = v.long("RemoteDisplay.vnc.port", -1)
        address = v.string("RemoteDisplay.vnc.ip")
        graphics = make(
            Graphics,
            type="vnc",
            keymap=v.string("RemoteDisplay.vnc.keymap"),
            passwd=v.string("RemoteDisplay.vnc.password"),
            listen=address,
            listens=[make(GraphicsListen, type="address", address=address)],
        )
        if port < 0:
            # the port VMware picks is not in the file
            graphics.port, graphics.autoport = -1, True
        else:
            graphics.port, graphics.autoport = port, False
        return graphics

    def _disks(self, devices: Devices) -> None:
        v = self.values
        scsi_models: list[str | None] = []
        for controller in range(4):
            model = None
            if v.boolean(f"scsi{controller}.present", False):
                model = self._scsi_model(controller)
                for unit in range(self.scsi_units):
                    if unit == 7:  # the controller's own unit
                        continue
                    self._add_disk(devices, "scsi", controller, unit)
            scsi_models.append(model)
        if devices.disks:
            # every SCSI controller up to the last one in use, present in the file or not
            last = int(devices.disks[-1].address.controller or 0) if devices.disks[-1].address else 0
            for controller in range(last + 1):
                devices.controllers.append(
                    make(Controller, type="scsi", index=controller, model=scsi_models[controller])
                )
        scsi_disks = len(devices.disks)
        for controller in range(4):
            if v.boolean(f"sata{controller}.present", False):
                for unit in range(30):
                    self._add_disk(devices, "sata", controller, unit)
        if len(devices.disks) > scsi_disks:
            last_disk = devices.disks[-1]
            last = int(last_disk.address.controller or 0) if last_disk.address else 0
            for controller in range(last + 1):
                devices.controllers.append(make(Controller, type="sata", index=controller))
        for bus in range(2):
            for unit in range(2):
                self._add_disk(devices, "ide", bus, unit)
        for unit in range(2):
            disk = self._disk("floppy", "fdc", 0, unit)
            if disk is not None:
                devices.disks.append(disk)

    def _scsi_model(self, controller: int) -> str | None:
        key = f"scsi{controller}.virtualDev"
        dev = self.values.string(key)
        if dev is None:
            return None
        model = SCSI_MODELS.get(dev.lower())
        if model is None:
            raise error(
                f"Expecting VMX entry '{key}' to be 'buslogic' or 'lsilogic' or 'lsisas1068' or 'pvscsi' "
                f"but found '{dev.lower()}'"
            )
        return model

    def _add_disk(self, devices: Devices, bus: str, controller: int, unit: int) -> None:
        disk = self._disk("disk", bus, controller, unit) or self._disk("cdrom", bus, controller, unit)
        if disk is not None:
            devices.disks.append(disk)

    def _disk(self, device: str, bus: str, controller: int, unit: int) -> Disk | None:
        """The disk (or CD-ROM, floppy) at this place, None when there is none of that ``device``
        kind: libvirt asks for a hard disk first, then for a CD-ROM, at each SCSI, SATA and IDE unit."""
        v = self.values
        if bus == "scsi":
            prefix = f"scsi{controller}:{unit}"
            dev = disks.index_to_name(controller * 15 + (unit if unit < 7 else unit - 1), "sd")
        elif bus == "sata":
            prefix = f"sata{controller}:{unit}"
            dev = disks.index_to_name(controller * 30 + unit, "sd")
        elif bus == "ide":
            prefix = f"ide{controller}:{unit}"
            dev = disks.index_to_name(controller * 2 + unit, "hd")
        else:
            prefix = f"floppy{unit}"
            dev = disks.index_to_name(unit, "fd")

        if not v.boolean(f"{prefix}.present", False):
            return None
        # a disconnected device is still the VM's; the entry is read only so a malformed one is
        # refused, as libvirt refuses it (likewise for NICs and ports)
        v.boolean(f"{prefix}.startConnected", True)
        device_type = v.string(f"{prefix}.deviceType")
        kind = None if device_type is None else device_type.lower()
        client_device = v.boolean(f"{prefix}.clientDevice", False)
        mode = v.string(f"{prefix}.mode")
        if client_device:
            # a device of the vSphere client's machine: nothing the VM's host can point at
            return None
        file_type = v.string(f"{prefix}.fileType")
        file_name = v.string(f"{prefix}.fileName")
        write_through = v.boolean(f"{prefix}.writeThrough", False)
        name_key = f"{prefix}.fileName"
        type_key = f"{prefix}.deviceType"

        def unhandled() -> VirtError:
            shown = "<null>" if file_name is None else file_name
            return error(
                f"Invalid or not yet handled value '{shown}' for VMX entry '{name_key}' "
                f"for device type '{device_type or 'unknown'}'"
            )

        disk = make(Disk, device=device, target=make(DiskTarget, dev=dev, bus=bus))
        name = file_name or ""
        lower_name = name.lower()
        if device == "disk":
            if (
                file_name is None
                or lower_name.endswith(".iso")
                or name == "emptyBackingString"
                or kind in ("atapi-cdrom", "cdrom-raw", "cdrom-image")
                or (kind == "scsi-passthru" and name.startswith("/vmfs/devices/cdrom/"))
            ):
                return None  # a CD-ROM's: the second call takes it
            if not lower_name.endswith(".vmdk"):
                raise unhandled()
            if kind is not None:
                if bus == "scsi" and kind not in ("scsi-harddisk", "disk"):
                    raise error(
                        f"Expecting VMX entry '{type_key}' to be 'scsi-hardDisk' or 'disk' but found '{device_type}'"
                    )
                if bus == "ide" and kind not in ("ata-harddisk", "disk"):
                    raise error(
                        f"Expecting VMX entry '{type_key}' to be 'ata-hardDisk' or 'disk' but found '{device_type}'"
                    )
            disk.type = "file"
            disk.source = make(DiskSource, file=self.context.parse_file_name(name, False))
            if write_through:
                disk.driver = make(DiskDriver, cache="writethrough")
            if mode is not None and mode.lower() == "independent-nonpersistent":
                disk.transient = element("transient")
        elif device == "cdrom":
            disk.readonly = True
            if lower_name.endswith(".vmdk"):
                return None  # a hard disk's
            if lower_name.endswith(".iso"):
                if kind is not None and kind != "cdrom-image":
                    raise error(f"Expecting VMX entry '{type_key}' to be 'cdrom-image' but found '{device_type}'")
                disk.type = "file"
                path = self.context.parse_file_name(name, True)
                if path is not None:
                    disk.source = make(DiskSource, file=path)
            elif kind in ("atapi-cdrom", "cdrom-raw"):
                if kind == "cdrom-raw":
                    disk.device = "lun"  # raw access to the host's drive: SCSI commands pass through
                disk.type = "block"
                if lower_name == "auto detect":
                    disk.source = make(DiskSource, startup_policy="optional")
                elif file_name is not None:
                    disk.source = make(DiskSource, dev=file_name)
            elif bus == "scsi" and kind == "scsi-passthru":
                if not name.startswith("/vmfs/devices/cdrom/"):
                    return None  # a passed-through SCSI device that is no CD-ROM: not mapped
                disk.device = "lun"
                disk.type = "block"
                disk.source = make(DiskSource, dev=name)
            elif name == "emptyBackingString":
                if kind is not None and kind != "cdrom-image":
                    raise error(f"Expecting VMX entry '{type_key}' to be 'cdrom-image' but found '{device_type}'")
                disk.type = "file"
            else:
                raise unhandled()
        else:
            lower_type = None if file_type is None else file_type.lower()
            if lower_type == "device":
                disk.type = "block"
                if file_name is not None:
                    disk.source = make(DiskSource, dev=file_name)
            elif lower_type == "file":
                disk.type = "file"
                if file_name is not None:
                    path = self.context.parse_file_name(file_name, False)
                    if path is not None:
                        disk.source = make(DiskSource, file=path)
            else:
                raise unhandled()

        index = disks.name_to_index(dev)
        assert index is not None
        address = disks.assign_address(bus, index, self.scsi_units)
        assert address is not None
        disk.address = make(
            Address,
            type="drive",
            controller=str(address.controller),
            bus=str(address.bus),
            target="0",
            unit=str(address.unit),
        )
        return disk

    def _shared_folder(self, number: int) -> Filesystem | None:
        v = self.values
        prefix = f"sharedFolder{number}"
        if not (v.boolean(f"{prefix}.present", False) and v.boolean(f"{prefix}.enabled", False)):
            return None
        host_path = v.required(f"{prefix}.hostPath")
        guest_name = v.required(f"{prefix}.guestName")
        return make(
            Filesystem,
            type="mount",
            accessmode="passthrough",
            source=element("source", dir=host_path),
            target=element("target", dir=guest_name),
            readonly=not v.boolean(f"{prefix}.writeAccess", False),
        )

    def _ethernet(self, n: int) -> Interface | None:
        v = self.values
        prefix = f"ethernet{n}"
        if not v.boolean(f"{prefix}.present", False):
            return None
        v.boolean(f"{prefix}.startConnected", True)
        connection = v.string(f"{prefix}.connectionType")
        address_type = v.string(f"{prefix}.addressType")
        generated = v.string(f"{prefix}.generatedAddress")
        static = v.string(f"{prefix}.address")
        check = v.string(f"{prefix}.checkMACAddress")

        mac = make(Mac, address="00:00:00:00:00:00")
        if address_type is None or address_type.lower() in ("generated", "vpx"):
            if generated is not None:
                mac.address = self._mac(f"{prefix}.generatedAddress", generated)
            if address_type is not None:
                mac.type = "generated"
        elif address_type.lower() == "static":
            if static is not None:
                mac.address = self._mac(f"{prefix}.address", static)
            mac.type = "static"
        else:
            raise error(
                f"Expecting VMX entry '{prefix}.addressType' to be 'generated' or 'static' or 'vpx' "
                f"but found '{address_type}'"
            )
        if check is not None:
            mac.check = "yes" if check == "true" else "no"

        model = None
        dev = v.string(f"{prefix}.virtualDev")
        features = v.long(f"{prefix}.features", 0)
        if dev is not None:
            if dev.lower() not in NET_MODELS:
                raise error(
                    f"Expecting VMX entry '{prefix}.virtualDev' to be 'vlance' or 'vmxnet' or 'vmxnet3' or "
                    f"'e1000' or 'e1000e' but found '{dev}'"
                )
            model = dev.lower()
            if model == "vmxnet" and features == 15:
                model = "vmxnet2"  # the enhanced vmxnet

        kind = None if connection is None else connection.lower()
        network = None
        if kind in (None, "bridged", "custom"):
            network = v.string(f"{prefix}.networkName", optional=kind is None)
        vnet = v.required(f"{prefix}.vnet") if kind == "custom" else None
        switch_id = v.string(f"{prefix}.dvs.switchId")

        net = make(Interface, mac=mac)
        if switch_id is not None:
            parsed = _uuid(switch_id)
            net.type = "vds"
            portgroup = v.required(f"{prefix}.dvs.portgroupId")
            port = v.long(f"{prefix}.dvs.portId", 0, optional=False)
            connection_id = v.long(f"{prefix}.dvs.connectionId", 0, optional=False)
            net.source = make(
                InterfaceSource,
                switchid=str(parsed),
                portid=str(port),
                portgroupid=portgroup,
                connectionid=connection_id,
            )
        elif kind is None and network is None:
            net.type = "null"
        elif kind in (None, "bridged"):
            net.type = "bridge"
            net.source = make(InterfaceSource, bridge=network)
        elif kind == "hostonly":
            raise error(f"No yet handled value '{connection}' for VMX entry '{prefix}.connectionType'")
        elif kind == "nat":
            net.type = "user"
        elif kind == "custom":
            net.type = "bridge"
            net.source = make(InterfaceSource, bridge=network)
            net.target = make(InterfaceTarget, dev=vnet)
        else:
            raise error(f"Invalid value '{connection}' for VMX entry '{prefix}.connectionType'")
        if model is not None:
            net.model = make(InterfaceModel, type=model)
        return net

    @staticmethod
    def _mac(key: str, value: str) -> str:
        try:
            return str(MAC_.parse(value))
        except ValueError:
            raise error(f"Expecting VMX entry '{key}' to be MAC address but found '{value}'") from None

    def _serial(self, port: int) -> Char | None:
        v = self.values
        prefix = f"serial{port}"
        if not v.boolean(f"{prefix}.present", False):
            return None
        v.boolean(f"{prefix}.startConnected", True)
        file_type = v.string(f"{prefix}.fileType")
        file_name = v.string(f"{prefix}.fileName")
        end_point = v.string(f"{prefix}.network.endPoint")
        kind = "device" if file_type is None else file_type.lower()  # VMware leaves out the default
        serial = make(Char, target=make(CharTarget, port=port))
        if kind == "device":
            serial.type = "dev"
            serial.sources = _path_source(file_name)
        elif kind == "file":
            serial.type = "file"
            serial.sources = _path_source(self._file(f"{prefix}.fileName", file_name))
        elif kind == "pipe":
            # which end the VM is, and whether the far end is a VM or an application, has no place
            # in domain XML
            serial.type = "pipe"
            serial.sources = _path_source(file_name)
        elif kind == "network":
            serial.type = "tcp"
            host, service, protocol = _network_uri(f"{prefix}.fileName", file_name)
            point = None if end_point is None else end_point.lower()
            if point not in (None, "server", "client"):
                raise error(
                    f"Expecting VMX entry '{prefix}.network.endPoint' to be 'server' or 'client' "
                    f"but found '{end_point}'"
                )
            mode = "connect" if point == "client" else "bind"
            serial.sources = [make(CharSource, mode=mode, host=host, service=service)]
            serial.protocol = element("protocol", type=protocol)
        else:
            raise error(
                f"Expecting VMX entry '{prefix}.fileType' to be 'device', 'file' or 'pipe' or 'network' "
                f"but found '{file_type}'"
            )
        return serial

    def _parallel(self, port: int) -> Char | None:
        v = self.values
        prefix = f"parallel{port}"
        if not v.boolean(f"{prefix}.present", False):
            return None
        v.boolean(f"{prefix}.startConnected", True)
        file_type = v.required(f"{prefix}.fileType")
        file_name = v.required(f"{prefix}.fileName")
        parallel = make(Char, target=make(CharTarget, port=port))
        if file_type.lower() == "device":
            parallel.type = "dev"
            parallel.sources = _path_source(file_name)
        elif file_type.lower() == "file":
            parallel.type = "file"
            parallel.sources = _path_source(self._file(f"{prefix}.fileName", file_name))
        else:
            raise error(f"Expecting VMX entry '{prefix}.fileType' to be 'device' or 'file' but found '{file_type}'")
        return parallel

    def _file(self, key: str, file_name: str | None) -> str | None:
        if file_name is None:
            raise error(f"Missing essential config entry '{key}'")
        return self.context.parse_file_name(file_name, False)

    def _svga(self) -> Video:
        vram = self.values.long("svga.vramSize", 4 * 1024 * 1024)
        return make(Video, model=make(VideoModel, type="vmvga", vram=_div_up(vram, 1024)))

    # -- what libvirt's generic post-parse step adds ---------------------------------------

    def _post_parse(self, devices: Devices) -> None:
        # a controller for every disk bus in use (SCSI and SATA ones are already there)
        for kind, bus in (("scsi", "scsi"), ("fdc", "fdc"), ("ide", "ide"), ("sata", "sata")):
            used = [
                int(d.address.controller or 0) for d in devices.disks if d.target and d.target.bus == bus and d.address
            ]
            if not used:
                continue
            present = {c.index for c in devices.controllers if c.type == kind}
            for index in range(max(used) + 1):
                if index not in present:
                    devices.controllers.append(make(Controller, type=kind, index=index))
        if devices.serials:
            # the first serial port doubles as the console, as libvirt shows it
            first = devices.serials[0]
            target = make(CharTarget, type="serial", port=first.target.port if first.target else 0)
            devices.consoles.append(
                make(Char, type=first.type, sources=list(first.sources), protocol=first.protocol, target=target)
            )
        if devices.videos and devices.videos[0].model is not None:
            devices.videos[0].model.primary = True


def _path_source(path: str | None) -> list[CharSource]:
    return [] if path is None else [make(CharSource, path=path)]


def _uuid(text: str) -> uuid.UUID:
    found = parse_uuid(text)
    if found is None:
        raise error(f"Could not parse UUID from string '{text}'")
    return found


def _network_uri(key: str, file_name: str | None) -> tuple[str, str, str]:
    """(host, port, protocol) of a network serial port's ``scheme://host:port``."""
    if file_name is None:
        raise error(f"Missing essential config entry '{key}'")
    scheme, _, rest = file_name.partition("://")
    if not rest:
        scheme, rest = "", file_name
    # the host keeps its case (urllib would lower it); [IPv6] loses its brackets
    netloc = rest.split("/", 1)[0].rpartition("@")[2]
    found = _HOST_PORT.fullmatch(netloc)
    if found is None or not found.group(3) or int(found.group(3)) == 0:
        raise error(f"VMX entry '{key}' doesn't contain a port part")
    host = found.group(1) if found.group(1) is not None else found.group(2)
    protocol = TCP_PROTOCOLS.get(scheme.lower() if scheme else "tcp")
    if protocol is None:
        raise error(f"VMX entry '{key}' contains unsupported scheme '{scheme}'")
    return host, str(int(found.group(3))), protocol

"""Domain model -> VMX, as libvirt's virVMXFormatConfig writes a VM's .vmx file.

The domain is read as libvirt's parser would have left it (disk addresses derived from the target
names, implicit controllers, a video card for a display, VMware's default video), without changing
the caller's model.
"""

from __future__ import annotations

import random
import re
import uuid
from collections.abc import Iterator

from lxml import etree
from virt.xml import Domain
from virt.xml.convert import CPUSET, UNIT_BYTES
from virt.xml.devices import Char, CharSource, Controller, Disk, Filesystem, Graphics, Interface, Video

from virt_esx.vmx import disks, syntax
from virt_esx.vmx.context import DEFAULT, Context
from virt_esx.vmx.values import error, escape_annotation, escape_name, parse_uuid, unsupported

# the virtual hardware of ESX 3.5, what libvirt's VMX tests write (the ESX driver passes its host's)
DEFAULT_VIRTUAL_HW_VERSION = 4

# the domain XML's SCSI controller models libvirt knows, and the VMware names of those ESX has
KNOWN_SCSI_MODELS = frozenset(
    {
        "auto",
        "buslogic",
        "lsilogic",
        "lsisas1068",
        "vmpvscsi",
        "ibmvscsi",
        "virtio-scsi",
        "lsisas1078",
        "virtio-transitional",
        "virtio-non-transitional",
        "ncr53c90",
        "dc390",
        "am53c974",
    }
)
VMX_SCSI_MODELS = {"buslogic": "buslogic", "lsilogic": "lsilogic", "lsisas1068": "lsisas1068", "vmpvscsi": "pvscsi"}
# libvirt's network card models: a name outside these is kept as text and not written to the file
KNOWN_NET_MODELS = frozenset(
    {
        "netfront",
        "rtl8139",
        "virtio",
        "e1000",
        "e1000e",
        "igb",
        "virtio-transitional",
        "virtio-non-transitional",
        "usb-net",
        "spapr-vlan",
        "lan9118",
        "smc91c111",
        "vlance",
        "vmxnet",
        "vmxnet2",
        "vmxnet3",
        "Am79C970A",
        "Am79C973",
        "82540EM",
        "82545EM",
        "82543GC",
    }
)
VMX_NET_MODELS = frozenset({"vlance", "vmxnet", "vmxnet2", "vmxnet3", "e1000", "e1000e"})
TCP_SCHEMES = {"raw": "tcp", "telnet": "telnet", "telnets": "telnets", "tls": "ssl"}
CPUMASK_LEN = 1024  # libvirt's VIR_DOMAIN_CPUMASK_LEN
VMVGA_DEFAULT_VRAM = 4096  # KiB, libvirt's default for a VMware guest's video card
VMWARE_MAC_PREFIX = "00:0c:29"  # the range VMware generates addresses in


def to_native(
    domain: Domain, *, context: Context = DEFAULT, virtual_hw_version: int = DEFAULT_VIRTUAL_HW_VERSION
) -> str:
    """The .vmx file for ``domain`` (``virt domxml-to-native vmware-vmx``), for VMware virtual
    hardware ``virtual_hw_version`` (4 is ESX 3.5, 7 ESX 4.0, 8 ESX 5.0, ... 17 ESX 7.0)."""
    return syntax.format_entries(_Writer(domain, context, virtual_hw_version).entries())


def _div_up(value: int, by: int) -> int:
    return -(-value // by)


def _kib(el: etree._Element) -> int:
    """A scaled value (``<min_guarantee unit='MiB'>``) in KiB, rounded up."""
    unit = el.get("unit", "KiB")
    try:
        return _div_up(int((el.text or "").strip()) * UNIT_BYTES[unit.lower()], 1024)
    except (ValueError, KeyError):
        raise error(f"Invalid value '{el.text}' ({unit}) in domain XML entry '{el.tag}'") from None


def _int(value: str | None, what: str) -> int:
    try:
        return int(value or "0", 10)
    except ValueError:
        raise error(f"Expecting domain XML attribute '{what}' to be a number but found '{value}'") from None


def _uuid_words(value: uuid.UUID) -> str:
    """A UUID as VMware writes it: ``56 4d 9b ef ac d9 b4 e0-c8 f0 ae a8 b9 10 35 15``."""
    octets = [f"{b:02x}" for b in value.bytes]
    return " ".join(octets[:8]) + "-" + " ".join(octets[8:])


class _Writer:
    def __init__(self, domain: Domain, context: Context, virtual_hw_version: int) -> None:
        self.dom = domain
        self.context = context
        self.hw_version = virtual_hw_version
        self.devices = domain.devices
        self.out: list[tuple[str, str]] = []

    def put(self, key: str, value: object) -> None:
        self.out.append((key, str(value)))

    def entries(self) -> list[tuple[str, str]]:
        dom = self.dom
        if dom.type != "vmware":
            raise error(f"Expecting virt type to be 'vmware' but found '{dom.type}'")
        self.put(".encoding", "UTF-8")
        self.put("config.version", 8)
        self.put("virtualHW.version", self.hw_version)

        os = dom.os
        os_type = os.type if os is not None else None
        if os_type is not None and os_type.name not in (None, "hvm"):
            raise error(f"Expecting domain XML entry 'os/type' to be 'hvm' but found '{os_type.name}'")
        arch = (os_type.arch if os_type is not None else None) or "i686"
        if arch == "i686":
            self.put("guestOS", "other")
        elif arch == "x86_64":
            self.put("guestOS", "other-64")
        else:
            raise error(
                f"Expecting domain XML attribute 'arch' of entry 'os/type' to be 'i686' or 'x86_64' but found '{arch}'"
            )
        smbios = None if os is None or os.smbios is None else os.smbios.get("mode")
        if smbios == "host":
            self.put("smbios.reflecthost", "true")
        elif smbios not in (None, "emulate", "none"):
            raise unsupported(f"Unsupported SMBIOS mode '{smbios}'")

        if dom.uuid is None or dom.uuid.int == 0:
            self.put("uuid.action", "create")
        else:
            self.put("uuid.bios", _uuid_words(dom.uuid))
        if dom.name is None:
            raise error("Expecting domain XML entry 'name'")
        self.put("displayName", escape_name(dom.name))
        if dom.description is not None:
            self.put("annotation", escape_annotation(dom.description))

        self._memory()
        vcpus = self._vcpus()
        self._shares(vcpus)
        for graphics in self._graphics():
            self._vnc(graphics)
        has_scsi = self._disks()
        self._filesystems()
        for n, net in enumerate(self.devices.interfaces if self.devices else []):
            self._ethernet(n, net)
        videos = self._videos()
        if len(videos) > 1:
            raise error("No support for multiple video devices")
        if videos:
            self._svga(videos[0])
        for port, serial in self._ports("serials"):
            self._serial(port, serial)
        for port, parallel in self._ports("parallels"):
            self._parallel(port, parallel)
        if os is not None and os.firmware == "efi":
            self.put("firmware", "efi")
        if self.hw_version >= 7:
            if has_scsi:
                # the PCI Express root ports newer virtual hardware puts its SCSI controllers behind
                self.put("pciBridge0.present", "true")
                for bridge in range(4, 8):
                    self.put(f"pciBridge{bridge}.present", "true")
                    self.put(f"pciBridge{bridge}.virtualDev", "pcieRootPort")
                    self.put(f"pciBridge{bridge}.functions", "8")
            self.put("vmci0.present", "true")
        return self.out

    # -- the VM -----------------------------------------------------------------------------

    def _memory(self) -> None:
        dom = self.dom
        memory = dom.memory or 0
        # VMware takes memory in MiB, and in multiples of 4 MiB
        max_balloon = _div_up(memory, 4096) * 4096
        self.put("memsize", max_balloon // 1024)
        current = dom.current_memory
        if not current or current > memory:
            current = memory
        if current < max_balloon:
            self.put("sched.mem.max", _div_up(current, 1024))
        minimum = None if dom.memtune is None else dom.memtune.find("min_guarantee")
        if minimum is not None:
            guarantee = _kib(minimum)
            if guarantee > 0:
                self.put("sched.mem.minsize", _div_up(guarantee, 1024))

    def _vcpus(self) -> int:
        dom = self.dom
        vcpu = dom.vcpu
        count = 1 if vcpu is None or vcpu.count is None else vcpu.count
        if vcpu is not None and vcpu.current is not None and vcpu.current < count:
            raise unsupported("No support for domain XML entry 'vcpu' attribute 'current'")
        if count == 0:
            raise error("Expecting domain XML entry 'vcpu' to be greater than 0")
        self.put("numvcpus", count)
        cpu = dom.cpu
        if cpu is not None:
            if (cpu.mode or "custom") != "custom":
                raise error(f"Expecting domain XML CPU mode 'custom' but found '{cpu.mode}'")
            topology = cpu.topology
            sockets = (topology.sockets if topology else None) or 0
            cores = (topology.cores if topology else None) or 0
            threads = (topology.threads if topology else None) or 0
            dies = 0 if topology is None else (1 if topology.dies is None else topology.dies)
            if threads != 1:
                raise unsupported("Only 1 thread per core is supported")
            if dies != 1:
                raise unsupported("Only 1 die per socket is supported")
            if sockets * cores != count:
                raise error(f"Expecting domain XML CPU sockets per core as {count} but found {sockets * cores}")
            self.put("cpuid.coresPerSocket", cores)
        if vcpu is not None and vcpu.cpuset:
            # libvirt's parser takes host CPUs below its mask size only (and so never expands a
            # range like 0-4294967295)
            if any(int(n) >= CPUMASK_LEN for n in re.findall(r"[0-9]+", vcpu.cpuset)):
                raise error(f"Invalid domain XML attribute 'cpuset' of entry 'vcpu': '{vcpu.cpuset}'")
            try:
                cpus = CPUSET.parse(vcpu.cpuset)
            except ValueError as e:
                raise error(f"Invalid domain XML attribute 'cpuset' of entry 'vcpu': {e}") from None
            if len(cpus) < count:
                raise error(
                    f"Expecting domain XML attribute 'cpuset' of entry 'vcpu' to contain at least {count} CPU(s)"
                )
            self.put("sched.cpu.affinity", ",".join(str(c) for c in cpus))
        return count if vcpu is None or vcpu.current is None else vcpu.current

    def _shares(self, vcpus: int) -> None:
        cputune = self.dom.cputune
        if cputune is None or cputune.shares is None:
            return
        shares = cputune.shares
        levels = {500: "low", 1000: "normal", 2000: "high"}
        level = next((name for per, name in levels.items() if shares == vcpus * per), None)
        self.put("sched.cpu.shares", level or shares)

    # -- devices ----------------------------------------------------------------------------

    def _graphics(self) -> list[Graphics]:
        return list(self.devices.graphics) if self.devices else []

    def _vnc(self, graphics: Graphics) -> None:
        if graphics.type != "vnc":
            raise unsupported(f"Unsupported graphics type '{graphics.type}'")
        self.put("RemoteDisplay.vnc.enabled", "true")
        autoport = graphics.autoport if graphics.autoport is not None else graphics.port in (None, -1)
        if not autoport and graphics.port is not None:
            self.put("RemoteDisplay.vnc.port", graphics.port)
        address = graphics.listens[0].address if graphics.listens else graphics.listen
        if address:
            self.put("RemoteDisplay.vnc.ip", address)
        if graphics.keymap is not None:
            self.put("RemoteDisplay.vnc.keymap", graphics.keymap)
        if graphics.passwd is not None:
            self.put("RemoteDisplay.vnc.password", graphics.passwd)

    def _disks(self) -> bool:
        """The disks' entries; whether a SCSI controller is in use."""
        all_disks = list(self.devices.disks) if self.devices else []
        placed = [(disk, self._verify_address(disk)) for disk in all_disks]
        models = self._scsi_models(placed)
        for index in sorted(models):
            self.put(f"scsi{index}.present", "true")
            model = models[index]
            if model is not None:
                self.put(f"scsi{index}.virtualDev", VMX_SCSI_MODELS[model])
        floppies = [False, False]
        for disk in all_disks:
            if disk.device in ("disk", "cdrom", "lun", None):
                self._disk(disk)
            elif disk.device == "floppy":
                floppies[self._floppy(disk)] = True
            else:
                raise unsupported(f"Unsupported disk device type '{disk.device}'")
        for unit, present in enumerate(floppies):
            # a floppy drive is there unless the file says it is not
            if not present:
                self.put(f"floppy{unit}.present", "false")
        return bool(models)

    def _verify_address(self, disk: Disk) -> disks.DriveAddress:
        """The disk's drive address (derived from its target name when it has none), checked against
        that name as libvirt checks it."""
        target = disk.target
        dev = target.dev if target else None
        bus = (target.bus if target else None) or _default_bus(dev)
        if dev is None:
            raise error("Expecting domain XML entry 'devices/disk/target' to have a 'dev' attribute")
        index = disks.name_to_index(dev)
        derived = None if index is None else disks.assign_address(bus or "", index)
        address = disk.address
        if address is None:
            if derived is None:
                if index is None:
                    raise error("Could not verify disk address")
                raise unsupported("Unsupported disk address type 'none'")
            drive = derived
        else:
            if address.type != "drive":
                raise unsupported(f"Unsupported disk address type '{address.type}'")
            drive = disks.DriveAddress(
                _int(address.controller, "controller"), _int(address.bus, "bus"), _int(address.unit, "unit")
            )
            if derived is None:
                raise error("Could not verify disk address")
            if derived != drive:
                raise error(
                    f"Disk address {drive.controller}:{drive.bus}:{drive.unit} doesn't match target device '{dev}'"
                )
        if bus == "scsi":
            if drive.controller > 3:
                raise error(f"SCSI controller index {drive.controller} out of [0..3] range")
            if drive.bus != 0:
                raise error(f"SCSI bus index {drive.bus} out of [0] range")
            if drive.unit > 15 or drive.unit == 7:
                raise error(f"SCSI unit index {drive.unit} out of [0..6,8..15] range")
        elif bus == "ide":
            if drive.controller != 0:
                raise error(f"IDE controller index {drive.controller} out of [0] range")
            if drive.bus > 1:
                raise error(f"IDE bus index {drive.bus} out of [0..1] range")
            if drive.unit > 1:
                raise error(f"IDE unit index {drive.unit} out of [0..1] range")
        elif bus == "fdc":
            if drive.controller != 0:
                raise error(f"FDC controller index {drive.controller} out of [0] range")
            if drive.bus != 0:
                raise error(f"FDC bus index {drive.bus} out of [0] range")
            if drive.unit > 1:
                raise error(f"FDC unit index {drive.unit} out of [0..1] range")
        else:
            raise unsupported(f"Unsupported bus type '{bus}'")
        return drive

    def _scsi_models(self, placed: list[tuple[Disk, disks.DriveAddress]]) -> dict[int, str | None]:
        """The SCSI controllers in use, by index, with their models (None: VMware's default)."""
        declared: dict[int, Controller] = {}
        for controller in self.devices.controllers if self.devices else []:
            if controller.type == "scsi" and controller.index is not None:
                declared.setdefault(controller.index, controller)
        models: dict[int, str | None] = {}
        for index, controller in declared.items():
            model = controller.model
            if model is not None and model not in KNOWN_SCSI_MODELS:
                raise error(f"Unknown SCSI controller model '{model}' of controller {index}")
            models[index] = model
        scsi = [(disk, drive) for disk, drive in placed if _bus(disk) == "scsi"]
        for disk, drive in scsi:
            models.setdefault(drive.controller, None)  # libvirt's implicit controller
            driver = disk.driver.name if disk.driver else None
            if driver is None:
                continue
            # a disk's <driver name> once chose its controller's model
            model = driver.lower()
            if model not in KNOWN_SCSI_MODELS:
                raise error(f"Unknown driver name '{driver}'")
            current = models[drive.controller]
            if current is None:
                models[drive.controller] = model
            elif current != model:
                raise error(
                    f"Inconsistent SCSI controller model ('{driver}' is not '{current}') "
                    f"for SCSI controller index {drive.controller}"
                )
        used: dict[int, str | None] = {}
        for index in sorted(models):
            attached = [disk for disk, drive in scsi if drive.controller == index]
            if not attached:
                continue
            model = models[index]
            if model == "auto" and self.context.autodetect_scsi_model is not None:
                detected = {self.context.autodetect_scsi_model(disk) for disk in attached}
                if len(detected) > 1:
                    raise error(
                        f"Disks on SCSI controller {index} have inconsistent controller models, cannot autodetect model"
                    )
                model = detected.pop()
            if model is not None and model not in VMX_SCSI_MODELS:
                raise error(
                    "Expecting domain XML attribute 'model' of entry 'controller' to be 'buslogic' or 'lsilogic' "
                    f"or 'lsisas1068' or 'vmpvscsi' but found '{model}'"
                )
            used[index] = model
        return used

    def _disk(self, disk: Disk) -> None:
        bus = _bus(disk) or ""
        device = disk.device or "disk"
        dev = disk.target.dev if disk.target and disk.target.dev else ""
        kind = disk.type or "file"
        if kind not in ("file", "block"):
            raise unsupported(f"{bus} {device} '{dev}' has unsupported type '{kind}', expecting 'file' or 'block'")
        if bus == "scsi":
            controller, unit = _scsi_place(dev)
        elif bus == "ide":
            controller, unit = _ide_place(dev)
        else:
            raise unsupported(f"Unsupported bus type '{bus}' for {device}")
        source = disk.source
        src = None if source is None else (source.file if kind == "file" else source.dev)
        if device == "disk" and kind == "file":
            vmx_type = "scsi-hardDisk" if bus == "scsi" else "ata-hardDisk"
        elif device == "cdrom":
            vmx_type = "cdrom-image" if kind == "file" else "atapi-cdrom"
        elif device == "lun":
            passthru = bus == "scsi" and src is not None and src.startswith("/vmfs/devices/cdrom/")
            vmx_type = "scsi-passthru" if passthru else "cdrom-raw"
        else:
            raise unsupported(f"{bus} {device} '{dev}' has an unsupported type '{kind}'")
        prefix = f"{bus}{controller}:{unit}"
        self.put(f"{prefix}.present", "true")
        self.put(f"{prefix}.deviceType", vmx_type)
        if kind == "file":
            suffix = ".vmdk" if device == "disk" else ".iso"
            if src is not None:
                if not src.lower().endswith(suffix):
                    raise error(f"Image file for {bus} {device} '{dev}' has unsupported suffix, expecting '{suffix}'")
                file_name = self.context.format_file_name(src)
            elif device == "cdrom":
                file_name = "emptyBackingString"  # VMware's name for a drive without a disc
            else:
                raise error(f"{bus} {device} '{dev}' has no source file")
            self.put(f"{prefix}.fileName", file_name)
        elif src is None and source is not None and source.startup_policy == "optional":
            # the host's drive, whichever it is
            self.put(f"{prefix}.autodetect", "true")
            self.put(f"{prefix}.fileName", "auto detect")
        elif src is not None:
            self.put(f"{prefix}.fileName", src)
        # else a host drive not chosen yet: libvirt writes the file name "(null)", which VMware
        # cannot read; without one the file reads back as the same empty drive
        if bus == "scsi":
            cache = disk.driver.cache if disk.driver else None
            if cache == "writethrough":
                self.put(f"{prefix}.writeThrough", "true")
            elif cache not in (None, "default"):
                raise unsupported(f"{bus} harddisk '{dev}' has unsupported cache mode '{cache}'")
        if disk.transient is not None:
            self.put(f"{prefix}.mode", "independent-nonpersistent")

    def _floppy(self, disk: Disk) -> int:
        dev = disk.target.dev if disk.target and disk.target.dev else ""
        if not dev.startswith("fd"):
            raise error("Expecting domain XML attribute 'dev' of entry 'devices/disk/target' to start with 'fd'")
        index = disks.name_to_index(dev)
        if index is None:
            raise error(f"Could not parse valid disk index from '{dev}'")
        if index >= 2:
            raise error(f"Floppy disk index (parsed from '{dev}') is too large")
        self.put(f"floppy{index}.present", "true")
        kind = disk.type or "file"
        src = None if disk.source is None else (disk.source.file if kind == "file" else disk.source.dev)
        if kind == "file":
            self.put(f"floppy{index}.fileType", "file")
            if src is not None:
                self.put(f"floppy{index}.fileName", self.context.format_file_name(src))
        elif kind == "block":
            self.put(f"floppy{index}.fileType", "device")
            if src is not None:
                self.put(f"floppy{index}.fileName", src)
        else:
            raise unsupported(f"Floppy '{dev}' has unsupported type '{kind}', expecting 'file' or 'block'")
        return index

    def _filesystems(self) -> None:
        filesystems: list[Filesystem] = list(self.devices.filesystems) if self.devices else []
        if not filesystems:
            return
        self.put("isolation.tools.hgfs.disable", "false")
        self.put("sharedFolder.maxNum", len(filesystems))
        for n, fs in enumerate(filesystems):
            if (fs.type or "mount") != "mount":
                raise unsupported("Only 'mount' filesystem type is supported")
            source = None if fs.source is None else fs.source.get("dir")
            target = None if fs.target is None else fs.target.get("dir")
            if source is None or target is None:
                raise error("Expecting domain XML entries 'devices/filesystem/source' and 'target' with a 'dir'")
            prefix = f"sharedFolder{n}"
            self.put(f"{prefix}.present", "true")
            self.put(f"{prefix}.enabled", "true")
            self.put(f"{prefix}.readAccess", "true")
            self.put(f"{prefix}.writeAccess", "false" if fs.readonly else "true")
            self.put(f"{prefix}.hostPath", source)
            self.put(f"{prefix}.guestName", target)

    def _ethernet(self, n: int, net: Interface) -> None:
        # virtual hardware before 7 (ESX 4.0) has room for 4 network cards, newer for 10
        limit = 9 if self.hw_version >= 7 else 3
        if n > limit:
            raise error(f"Ethernet controller index {n} out of [0..{limit}] range")
        prefix = f"ethernet{n}"
        self.put(f"{prefix}.present", "true")
        model = net.model.type if net.model else None
        if model in KNOWN_NET_MODELS:
            if model not in VMX_NET_MODELS:
                raise error(
                    "Expecting domain XML entry 'devices/interface/model' to be 'vlance' or 'vmxnet' or 'vmxnet2' "
                    f"or 'vmxnet3' or 'e1000' or 'e1000e' but found '{model}'"
                )
            if model == "vmxnet2":
                self.put(f"{prefix}.virtualDev", "vmxnet")
                self.put(f"{prefix}.features", "15")
            else:
                self.put(f"{prefix}.virtualDev", model)
        source = net.source
        if net.type == "bridge":
            self.put(f"{prefix}.networkName", source.bridge if source and source.bridge else "")
            ifname = net.target.dev if net.target else None
            if ifname is not None:
                self.put(f"{prefix}.connectionType", "custom")
                self.put(f"{prefix}.vnet", ifname)
            else:
                self.put(f"{prefix}.connectionType", "bridged")
        elif net.type == "user":
            self.put(f"{prefix}.connectionType", "nat")
        elif net.type == "null":
            pass
        elif net.type == "vds":
            switch = None if source is None or source.switchid is None else parse_uuid(source.switchid)
            if switch is None or source is None:
                raise error("Expecting domain XML entry 'devices/interface/source' to have a 'switchid' UUID")
            self.put(f"{prefix}.dvs.switchId", _uuid_words(switch))
            port = source.portid or "0"
            if not port.lstrip("-").isdigit():
                raise error(
                    f"Invalid value for attribute 'portid' in element 'source': '{port}'. Expected integer value"
                )
            self.put(f"{prefix}.dvs.portId", int(port))
            self.put(f"{prefix}.dvs.portgroupId", source.portgroupid or "")
            self.put(f"{prefix}.dvs.connectionId", source.connectionid or 0)
        else:
            raise unsupported(f"Unsupported net type '{net.type}'")
        self._mac(prefix, net)

    def _mac(self, prefix: str, net: Interface) -> None:
        mac = net.mac
        address = mac.address if mac and mac.address else None
        if address is None:
            # libvirt's parser gives a card without one an address in VMware's generated range
            address = VMWARE_MAC_PREFIX + "".join(f":{random.randrange(256):02x}" for _ in range(3))
        octets = [int(octet, 16) for octet in address.split(":")]
        high = (octets[0] << 16) | (octets[1] << 8) | octets[2]
        low = (octets[3] << 16) | (octets[4] << 8) | octets[5]
        # VMware's ranges say what an address is: 00:0c:29 generated, 00:50:56 up to 3f:ff:ff set
        # by hand, 00:50:56:80 to bf vCenter's; anything else is static and unchecked
        vpx = False
        check: bool | None = None
        if high == 0x000C29:
            generated = True
        elif high == 0x005056 and low <= 0x3FFFFF:
            generated = False
        elif high == 0x005056 and 0x800000 <= low <= 0xBFFFFF:
            generated, vpx = True, True
        else:
            generated, check = False, False
        if mac is not None and mac.type is not None:
            generated = mac.type == "generated"
            if generated:
                check = None
        if mac is not None and mac.check is not None:
            check = mac.check == "yes"
        if generated:
            self.put(f"{prefix}.addressType", "vpx" if vpx else "generated")
            self.put(f"{prefix}.generatedAddress", address)
            if not vpx:
                self.put(f"{prefix}.generatedAddressOffset", "0")
        else:
            self.put(f"{prefix}.addressType", "static")
            self.put(f"{prefix}.address", address)
        if check is not None:
            self.put(f"{prefix}.checkMACAddress", "true" if check else "false")

    def _videos(self) -> list[Video]:
        videos = list(self.devices.videos) if self.devices else []
        if not videos and self._graphics():
            videos = [Video()]  # libvirt adds a video card to a domain with a display
        return videos

    def _svga(self, video: Video) -> None:
        model = video.model
        kind = (model.type if model else None) or "vmvga"
        if kind != "vmvga":
            raise unsupported(f"Unsupported video device type '{kind}'")
        vram = (model.vram if model else None) or VMVGA_DEFAULT_VRAM
        if model is not None and model.heads is not None and model.heads > 1:
            raise unsupported("Multi-head video devices are unsupported")
        # Windows guests want the video memory in multiples of 64 KiB (VMware KB 1003, 1001558)
        self.put("svga.vramSize", _div_up(vram, 64) * 64 * 1024)

    def _ports(self, kind: str) -> Iterator[tuple[int, Char]]:
        """The serial (parallel) ports with their numbers: one without a number gets the one after
        the highest of the ports before it, as libvirt's parser numbers them."""
        chars: list[Char] = list(getattr(self.devices, kind)) if self.devices else []
        highest = -1
        for char in chars:
            port = char.target.port if char.target is not None else None
            if port is None:
                port = highest + 1
            highest = max(highest, port)
            yield port, char

    def _serial(self, port: int, serial: Char) -> None:
        if not 0 <= port <= 3:
            raise error(f"Serial port index {port} out of [0..3] range")
        prefix = f"serial{port}"
        self.put(f"{prefix}.present", "true")
        source = serial.sources[0] if serial.sources else None
        if serial.type == "dev":
            self.put(f"{prefix}.fileType", "device")
            self.put(f"{prefix}.fileName", _char_path(source, "serial"))
        elif serial.type == "file":
            self.put(f"{prefix}.fileType", "file")
            self.put(f"{prefix}.fileName", self.context.format_file_name(_char_path(source, "serial")))
        elif serial.type == "pipe":
            self.put(f"{prefix}.fileType", "pipe")
            # which end the VM is has no place in domain XML: the vSphere client's default
            self.put(f"{prefix}.pipe.endPoint", "client")
            self.put(f"{prefix}.tryNoRxLoss", "false")
            self.put(f"{prefix}.fileName", _char_path(source, "serial"))
        elif serial.type == "tcp":
            protocol = "raw" if serial.protocol is None else serial.protocol.get("type", "raw")
            scheme = TCP_SCHEMES.get(protocol)
            if scheme is None:
                raise unsupported(f"Unsupported character device TCP protocol '{protocol}'")
            host = source.host if source else None
            service = source.service if source else None
            self.put(f"{prefix}.fileType", "network")
            self.put(f"{prefix}.fileName", f"{scheme}://{host}:{service}")
            listen = source is not None and source.mode == "bind"
            self.put(f"{prefix}.network.endPoint", "server" if listen else "client")
        else:
            raise unsupported(f"Unsupported character device type '{serial.type}'")
        # the vSphere client's default: the VM yields the CPU while it polls the port
        self.put(f"{prefix}.yieldOnMsrRead", "true")

    def _parallel(self, port: int, parallel: Char) -> None:
        if not 0 <= port <= 2:
            raise error(f"Parallel port index {port} out of [0..2] range")
        prefix = f"parallel{port}"
        self.put(f"{prefix}.present", "true")
        source = parallel.sources[0] if parallel.sources else None
        if parallel.type == "dev":
            self.put(f"{prefix}.fileType", "device")
            self.put(f"{prefix}.fileName", _char_path(source, "parallel"))
        elif parallel.type == "file":
            self.put(f"{prefix}.fileType", "file")
            self.put(f"{prefix}.fileName", self.context.format_file_name(_char_path(source, "parallel")))
        else:
            raise unsupported(f"Unsupported character device type '{parallel.type}'")


def _bus(disk: Disk) -> str | None:
    target = disk.target
    return (target.bus if target else None) or _default_bus(target.dev if target else None)


def _default_bus(dev: str | None) -> str | None:
    """The bus libvirt's parser gives a disk without one, from its name."""
    if dev is None:
        return None
    for prefix, bus in (("hd", "ide"), ("sd", "scsi"), ("vd", "virtio"), ("xvd", "xen"), ("ubd", "uml"), ("fd", "fdc")):
        if dev.startswith(prefix):
            return bus
    return "ide"


def _scsi_place(dev: str) -> tuple[int, int]:
    if not dev.startswith("sd"):
        raise error("Expecting domain XML attribute 'dev' of entry 'devices/disk/target' to start with 'sd'")
    index = disks.name_to_index(dev)
    if index is None:
        raise error(f"Could not parse valid disk index from '{dev}'")
    # 4 controllers of 15 disks each (unit 7 is the controller's own)
    if index >= 4 * 15:
        raise error(f"SCSI disk index (parsed from '{dev}') is too large")
    unit = index % 15
    return index // 15, unit + 1 if unit >= 7 else unit


def _ide_place(dev: str) -> tuple[int, int]:
    if not dev.startswith("hd"):
        raise error("Expecting domain XML attribute 'dev' of entry 'devices/disk/target' to start with 'hd'")
    index = disks.name_to_index(dev)
    if index is None:
        raise error(f"Could not parse valid disk index from '{dev}'")
    if index >= 2 * 2:
        raise error(f"IDE disk index (parsed from '{dev}') is too large")
    return index // 2, index % 2


def _char_path(source: CharSource | None, kind: str) -> str:
    if source is None or source.path is None:
        raise error(f"Expecting domain XML entry 'devices/{kind}/source' to have a 'path' attribute")
    return source.path

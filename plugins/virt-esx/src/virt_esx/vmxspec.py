"""The entries of a .vmx file (the VMX converter's output for a domain) as the ``VirtualMachineConfigSpec``
that creates the VM on the server.

libvirt uploads the .vmx and registers it; creating the VM from a spec instead lets the server
check every device before anything is written, and works on servers that do not read uploaded
files (the simulator). Disks and images must exist already, as with libvirt. Entries the mapping
does not consume and that belong to no device go to ``extraConfig``, so that dumpxml gives them back.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from pyVmomi import vim
from virt.errors import ErrorDomain, ErrorNumber, VirtError

from virt_esx.vmx.context import datastore_path
from virt_esx.vmx.syntax import VmxFile
from virt_esx.vmx.values import parse_long, parse_uuid, unescape_hex
from virt_esx.vmxconfig import guest_os

Device = vim.vm.device
Spec = vim.vm.device.VirtualDeviceSpec
NetworkBacking = Callable[[str], Any]
"""A port group's name -> the backing that plugs a network card into it."""

_SCSI: dict[str, Any] = {
    "lsilogic": Device.VirtualLsiLogicController,
    "buslogic": Device.VirtualBusLogicController,
    "lsisas1068": Device.VirtualLsiLogicSASController,
    "pvscsi": Device.ParaVirtualSCSIController,
}
_NICS: dict[str, Any] = {
    "e1000": Device.VirtualE1000,
    "e1000e": Device.VirtualE1000e,
    "vmxnet3": Device.VirtualVmxnet3,
    "vmxnet": Device.VirtualVmxnet,
    "vlance": Device.VirtualPCNet32,
}
_MAC_TYPES = {"static": "manual", "generated": "generated", "vpx": "assigned"}
# keys the mapping consumes outside devices; anything else without a device prefix is kept as extraConfig
_CONSUMED = frozenset(
    k.lower()
    for k in (
        ".encoding", "config.version", "virtualHW.version", "displayName", "annotation", "guestOS", "uuid.bios",
        "uuid.action", "firmware", "memsize", "sched.mem.max", "sched.mem.minsize", "numvcpus", "cpuid.coresPerSocket",
        "sched.cpu.shares", "svga.vramSize",
    )
)  # fmt: skip
_DEVICE_KEY = re.compile(
    r"^(scsi\d+|ide\d+|sata\d+|floppy\d+|ethernet\d+|serial\d+|parallel\d+|pciBridge\d+|vmci\d+)[.:]", re.IGNORECASE
)
_IDE_CONTROLLER_KEY = 200  # ESX's two IDE controllers (keys 200 and 201) exist in every VM
_SIO_CONTROLLER_KEY = 400  # the floppy drives' controller


def _error(message: str) -> VirtError:
    return VirtError(f"cannot create the virtual machine: {message}", ErrorNumber.CONFIG_UNSUPPORTED, ErrorDomain.ESX)


def guest_id(vmx_guest_os: str | None) -> str:
    """The API guest id for a .vmx ``guestOS`` (the inverse of ``vmxconfig.guest_os``)."""
    wanted = (vmx_guest_os or "other").lower()
    # the enumeration's values exist at run time only (the stubs list them as class attributes)
    for candidate in getattr(vim.vm.GuestOsDescriptor.GuestOsIdentifier, "values", ()):
        if guest_os(str(candidate)) == wanted:
            return str(candidate)
    return "otherGuest64" if wanted.endswith("-64") else "otherGuest"


def _path(file_name: str) -> str:
    """A .vmx file name as the datastore path the API takes."""
    return datastore_path(file_name) or file_name


class _Builder:
    def __init__(self, vmx: VmxFile, network_backing: NetworkBacking) -> None:
        self.vmx = vmx
        self.network_backing = network_backing
        self.changes: list[Any] = []
        self.next_key = -100
        self.controllers: dict[str, int] = {f"ide{n}": _IDE_CONTROLLER_KEY + n for n in (0, 1)}

    def get(self, key: str) -> str | None:
        return self.vmx.get(key)

    def flag(self, key: str, default: bool = False) -> bool:
        value = self.get(key)
        return default if value is None else value.lower() == "true"

    def number(self, key: str) -> int | None:
        value = self.get(key)
        if value is None:
            return None
        parsed = parse_long(value)
        if parsed is None:
            raise _error(f"VMX entry '{key}' is not a number: '{value}'")
        return parsed

    def key(self) -> int:
        self.next_key -= 1
        return self.next_key

    def add(self, device: Any, *, file_operation: str | None = None) -> None:
        self.changes.append(Spec(operation="add", device=device, fileOperation=file_operation))

    # -- the whole VM ------------------------------------------------------------------------------
    def spec(self, vm_path: str) -> Any:
        name = self.get("displayName")
        if not name:
            raise _error("the domain has no name")
        name = unescape_hex(unescape_hex(name, "%") or name, "|") or name
        spec = vim.vm.ConfigSpec(name=name, guestId=guest_id(self.get("guestOS")))
        spec.files = vim.vm.FileInfo(vmPathName=vm_path)
        hw_version = self.get("virtualHW.version")
        if hw_version:
            spec.version = f"vmx-{int(hw_version):02d}" if hw_version.isdigit() else hw_version
        annotation = self.get("annotation")
        if annotation:
            spec.annotation = unescape_hex(annotation, "|") or annotation
        bios_uuid = parse_uuid(self.get("uuid.bios") or "")
        if bios_uuid is not None:
            spec.uuid = str(bios_uuid)
        if (self.get("firmware") or "").lower() == "efi":
            spec.firmware = "efi"
        self._resources(spec)
        self._controllers()
        self._drives()
        self._nics()
        self._ports("serial", Device.VirtualSerialPort)
        self._ports("parallel", Device.VirtualParallelPort)
        vram = self.number("svga.vramSize")
        if vram:
            self.add(Device.VirtualVideoCard(key=500, videoRamSizeInKB=vram // 1024))
        spec.deviceChange = self.changes
        spec.extraConfig = [
            vim.option.OptionValue(key=entry.key, value=entry.value)
            for entry in self.vmx
            if entry.key.lower() not in _CONSUMED and not _DEVICE_KEY.match(entry.key)
        ]
        return spec

    def _resources(self, spec: Any) -> None:
        memory = self.number("memsize")
        if memory is not None:
            spec.memoryMB = memory
        limit, reservation = self.number("sched.mem.max"), self.number("sched.mem.minsize")
        if limit is not None or reservation is not None:
            spec.memoryAllocation = vim.ResourceAllocationInfo(limit=limit, reservation=reservation)
        cpus = self.number("numvcpus")
        if cpus is not None:
            spec.numCPUs = cpus
        cores = self.number("cpuid.coresPerSocket")
        if cores is not None:
            spec.numCoresPerSocket = cores
        shares = self.get("sched.cpu.shares")
        if shares:
            level = shares.lower()
            info = (
                vim.SharesInfo(level=level, shares=0)
                if level in ("low", "normal", "high")
                else vim.SharesInfo(level="custom", shares=self.number("sched.cpu.shares"))
            )
            spec.cpuAllocation = vim.ResourceAllocationInfo(shares=info)

    def _controllers(self) -> None:
        for bus in range(4):
            if self.flag(f"scsi{bus}.present"):
                model = (self.get(f"scsi{bus}.virtualDev") or "lsilogic").lower()
                kind = _SCSI.get(model)
                if kind is None:
                    raise _error(f"SCSI controller model '{model}' is not one of {', '.join(sorted(_SCSI))}")
                key = self.key()
                self.add(kind(key=key, busNumber=bus, sharedBus="noSharing"))
                self.controllers[f"scsi{bus}"] = key
            if self.flag(f"sata{bus}.present"):
                key = self.key()
                self.add(Device.VirtualAHCIController(key=key, busNumber=bus))
                self.controllers[f"sata{bus}"] = key

    def _connectable(self, prefix: str) -> Any:
        return Device.VirtualDevice.ConnectInfo(
            startConnected=self.flag(f"{prefix}.startConnected", True), allowGuestControl=True, connected=False
        )

    def _drives(self) -> None:
        slots = sorted(
            {
                m.group(1)
                for m in (re.match(r"^((?:scsi|ide|sata)\d+:\d+)\.present$", e.key, re.IGNORECASE) for e in self.vmx)
                if m
            },
        )
        for slot in slots:
            if not self.flag(f"{slot}.present"):
                continue
            controller_name, _, unit = slot.partition(":")
            controller = self.controllers.get(controller_name.lower())
            if controller is None:
                raise _error(f"'{slot}' sits on controller '{controller_name}', which the domain does not have")
            kind = (self.get(f"{slot}.deviceType") or "").lower()
            file_name = self.get(f"{slot}.fileName") or ""
            if kind in ("cdrom-image", "atapi-cdrom", "cdrom-raw") or file_name.lower().endswith(".iso"):
                self._cdrom(slot, controller, int(unit), kind, file_name)
            else:
                self._disk(slot, controller, int(unit), file_name)
        for unit in range(2):
            prefix = f"floppy{unit}"
            if not self.flag(f"{prefix}.present"):
                continue
            file_name = self.get(f"{prefix}.fileName") or ""
            floppy = Device.VirtualFloppy
            backing = (
                floppy.DeviceBackingInfo(deviceName=file_name)
                if (self.get(f"{prefix}.fileType") or "").lower() == "device"
                else floppy.ImageBackingInfo(fileName=_path(file_name))
            )
            self.add(
                Device.VirtualFloppy(key=self.key(), controllerKey=_SIO_CONTROLLER_KEY, unitNumber=unit,
                                     backing=backing, connectable=self._connectable(prefix))
            )  # fmt: skip

    def _disk(self, slot: str, controller: int, unit: int, file_name: str) -> None:
        if not file_name.lower().endswith(".vmdk"):
            raise _error(f"disk '{slot}' is '{file_name}': only .vmdk images can be disks")
        mode = (self.get(f"{slot}.mode") or "persistent").replace("-", "_")
        backing = Device.VirtualDisk.FlatVer2BackingInfo(
            fileName=_path(file_name), diskMode=mode, writeThrough=self.flag(f"{slot}.writeThrough")
        )
        self.add(
            Device.VirtualDisk(
                key=self.key(), controllerKey=controller, unitNumber=unit, backing=backing, capacityInKB=0
            )
        )

    def _cdrom(self, slot: str, controller: int, unit: int, kind: str, file_name: str) -> None:
        cdrom = Device.VirtualCdrom
        backing: Any
        if self.flag(f"{slot}.clientDevice"):
            backing = cdrom.RemotePassthroughBackingInfo(deviceName="", exclusive=False)
        elif kind == "cdrom-raw":
            backing = cdrom.PassthroughBackingInfo(deviceName=file_name, exclusive=False)
        elif kind == "atapi-cdrom":
            backing = cdrom.AtapiBackingInfo(deviceName=file_name)
        elif file_name and file_name != "emptyBackingString":
            backing = cdrom.IsoBackingInfo(fileName=_path(file_name))
        else:
            backing = cdrom.RemotePassthroughBackingInfo(deviceName="", exclusive=False)
        self.add(
            Device.VirtualCdrom(key=self.key(), controllerKey=controller, unitNumber=unit, backing=backing,
                                connectable=self._connectable(slot))
        )  # fmt: skip

    def _nics(self) -> None:
        for number in range(10):
            prefix = f"ethernet{number}"
            if not self.flag(f"{prefix}.present"):
                continue
            model = (self.get(f"{prefix}.virtualDev") or "e1000").lower()
            kind = _NICS.get(model)
            if kind is None:
                raise _error(f"network card model '{model}' is not one of {', '.join(sorted(_NICS))}")
            if model == "vmxnet" and self.number(f"{prefix}.features") == 15:
                kind = Device.VirtualVmxnet2
            card = kind(key=4000 + number, connectable=self._connectable(prefix))
            switch = self.get(f"{prefix}.dvs.switchId")
            if switch:
                port = vim.dvs.PortConnection(
                    switchUuid=switch,
                    portgroupKey=self.get(f"{prefix}.dvs.portgroupId"),
                    portKey=self.get(f"{prefix}.dvs.portId"),
                    connectionCookie=self.number(f"{prefix}.dvs.connectionId"),
                )
                card.backing = Device.VirtualEthernetCard.DistributedVirtualPortBackingInfo(port=port)
            else:
                network = self.get(f"{prefix}.networkName")
                if not network:
                    raise _error(f"network card '{prefix}' names no port group (ethernet's networkName)")
                card.backing = self.network_backing(network)
            address_type = (self.get(f"{prefix}.addressType") or "generated").lower()
            card.addressType = _MAC_TYPES.get(address_type, "generated")
            mac = self.get(f"{prefix}.address") if address_type == "static" else self.get(f"{prefix}.generatedAddress")
            if mac:
                card.macAddress = mac.lower()
            self.add(card)

    def _ports(self, family: str, kind: Any) -> None:
        for number in range(4):
            prefix = f"{family}{number}"
            if not self.flag(f"{prefix}.present"):
                continue
            file_type = (self.get(f"{prefix}.fileType") or "").lower()
            file_name = self.get(f"{prefix}.fileName") or ""
            if file_type == "file":
                backing = kind.FileBackingInfo(
                    fileName=_path(file_name) if file_name.startswith("/vmfs/") else file_name
                )
            elif file_type == "device":
                backing = kind.DeviceBackingInfo(deviceName=file_name)
            elif file_type == "pipe" and family == "serial":
                end = (self.get(f"{prefix}.pipe.endPoint") or "client").lower()
                backing = kind.PipeBackingInfo(pipeName=file_name, endpoint=end)
            elif file_type == "network" and family == "serial":
                end = (self.get(f"{prefix}.network.endPoint") or "server").lower()
                backing = kind.URIBackingInfo(serviceURI=file_name, direction=end)
            else:
                raise _error(f"{family} port '{prefix}' has file type '{file_type}', which ESX does not offer")
            device = kind(key=self.key(), backing=backing, connectable=self._connectable(prefix))
            if family == "serial":
                device.yieldOnPoll = True
            self.add(device)


def create_spec(vmx: VmxFile, vm_path: str, network_backing: NetworkBacking) -> Any:
    """The spec creating the VM ``vmx`` describes, its files at datastore path ``vm_path``."""
    return _Builder(vmx, network_backing).spec(vm_path)


def first_disk_path(vmx: VmxFile) -> str | None:
    """The datastore path of the first disk image (libvirt puts the VM's files beside it)."""
    for entry in vmx:
        if entry.key.lower().endswith(".filename") and entry.value.lower().endswith(".vmdk"):
            prefix = entry.key[: -len(".fileName")]
            if _DEVICE_KEY.match(entry.key) and (vmx.get(f"{prefix}.present") or "").lower() == "true":
                return _path(entry.value)
    return None

"""A VM's configuration as the server reports it (``VirtualMachineConfigInfo``), written as the
entries of its .vmx file, for the VMX converter to turn into domain XML.

The server keeps the .vmx itself; reading the configuration through the API instead of
downloading the file costs one request and works the same on every server, the simulator
included. File names are written as ``/vmfs/volumes/DATASTORE/PATH``, which the converter's
default context reads back as the datastore path ``[DATASTORE] PATH``. Entries the server keeps in
``extraConfig`` (VNC settings, tools options...) follow the mapped ones.
"""

from __future__ import annotations

import uuid as uuid_module
from collections.abc import Callable, Iterator
from typing import Any

from pyVmomi import vim

from virt_esx.vmx.context import vmfs_path
from virt_esx.vmx.values import escape_annotation, escape_name

Device = vim.vm.device
Entries = list[tuple[str, str]]
PortGroupName = Callable[[str], "str | None"]
"""A distributed port group's key -> its name (None when unknown)."""

_SCSI_MODELS: tuple[tuple[type, str], ...] = (
    (Device.ParaVirtualSCSIController, "pvscsi"),
    (Device.VirtualLsiLogicSASController, "lsisas1068"),
    (Device.VirtualLsiLogicController, "lsilogic"),
    (Device.VirtualBusLogicController, "buslogic"),
)
# VirtualVmxnet2 and 3 derive from VirtualVmxnet: the most specific class first
_NIC_MODELS: tuple[tuple[type, str, str | None], ...] = (
    (Device.VirtualVmxnet3, "vmxnet3", None),
    (Device.VirtualVmxnet2, "vmxnet", "15"),
    (Device.VirtualVmxnet, "vmxnet", None),
    (Device.VirtualE1000e, "e1000e", None),
    (Device.VirtualE1000, "e1000", None),
    (Device.VirtualPCNet32, "vlance", None),
)
_MAC_TYPES = {"manual": "static", "generated": "generated", "assigned": "vpx"}


def guest_os(guest_id: str | None) -> str:
    """The .vmx ``guestOS`` for an API guest id: ``otherGuest64`` is ``other-64``, ``rhel7_64Guest``
    ``rhel7-64``, ``windows9Guest`` ``windows9`` (VMware's two spellings of one list)."""
    if not guest_id:
        return "other"
    name = guest_id.replace("Guest", "")
    if name.endswith("_64"):
        name = name[:-3] + "-64"
    elif name.endswith("64") and not name.endswith("-64"):
        name = name[:-2] + "-64"
    return name.lower()


def _uuid_words(value: str) -> str | None:
    try:
        raw = uuid_module.UUID(value).bytes
    except ValueError:
        return None
    octets = [f"{b:02x}" for b in raw]
    return " ".join(octets[:8]) + "-" + " ".join(octets[8:])


def _file(name: str | None) -> str | None:
    """A datastore path as a .vmx file name; paths outside datastores stay as they are."""
    if not name:
        return None
    return vmfs_path(name) if name.startswith("[") else name


def _flag(value: bool | None) -> str:
    return "true" if value else "false"


class _Writer:
    def __init__(self, config: Any, port_group_name: PortGroupName) -> None:
        self.config = config
        self.port_group_name = port_group_name
        self.entries: Entries = []
        self.devices = list(getattr(config.hardware, "device", None) or [])
        self.by_key = {d.key: d for d in self.devices}

    def add(self, key: str, value: str | int | None) -> None:
        if value is not None:
            self.entries.append((key, str(value)))

    def write(self) -> Entries:
        config = self.config
        self.add(".encoding", "UTF-8")
        self.add("config.version", "8")
        self.add("virtualHW.version", str(config.version or "vmx-4").removeprefix("vmx-"))
        self.add("displayName", escape_name(str(config.name or "")))
        if config.annotation:
            self.add("annotation", escape_annotation(str(config.annotation)))
        self.add("guestOS", guest_os(config.guestId))
        self.add("uuid.bios", _uuid_words(str(config.uuid or "")))
        if getattr(config, "firmware", None) == "efi":
            self.add("firmware", "efi")
        self._resources()
        self._devices()
        generated = {key.lower() for key, _ in self.entries}
        for option in config.extraConfig or []:
            key = str(option.key)
            if key.lower() not in generated and option.value is not None:
                self.add(key, str(option.value))
        return self.entries

    def _resources(self) -> None:
        config = self.config
        hardware = config.hardware
        self.add("memsize", hardware.memoryMB)
        memory = config.memoryAllocation
        if memory is not None and memory.limit is not None and memory.limit >= 0:
            self.add("sched.mem.max", memory.limit)
        if memory is not None and memory.reservation:
            self.add("sched.mem.minsize", memory.reservation)
        self.add("numvcpus", hardware.numCPU)
        if hardware.numCoresPerSocket and hardware.numCoresPerSocket > 1:
            self.add("cpuid.coresPerSocket", hardware.numCoresPerSocket)
        shares = getattr(config.cpuAllocation, "shares", None)
        if shares is not None and shares.level is not None:
            self.add("sched.cpu.shares", shares.shares if shares.level == "custom" else shares.level)

    # -- devices -----------------------------------------------------------------------------------
    def _controller_prefix(self, key: int | None) -> str | None:
        controller = self.by_key.get(key) if key is not None else None
        if controller is None:
            return None
        if isinstance(controller, Device.VirtualSCSIController):
            return f"scsi{controller.busNumber}"
        if isinstance(controller, Device.VirtualIDEController):
            return f"ide{controller.busNumber}"
        if isinstance(controller, Device.VirtualAHCIController):
            return f"sata{controller.busNumber}"
        return None

    def _devices(self) -> None:
        for device in self.devices:
            if isinstance(device, Device.VirtualSCSIController):
                self.add(f"scsi{device.busNumber}.present", "true")
                model = next((name for kind, name in _SCSI_MODELS if isinstance(device, kind)), None)
                self.add(f"scsi{device.busNumber}.virtualDev", model)
            elif isinstance(device, Device.VirtualAHCIController):
                self.add(f"sata{device.busNumber}.present", "true")
        taken: set[str] = set()
        # disks before CD-ROMs: when a server reports both on one slot, the disk keeps it
        ordered = sorted(
            (d for d in self.devices if isinstance(d, Device.VirtualDisk | Device.VirtualCdrom)),
            key=lambda d: 0 if isinstance(d, Device.VirtualDisk) else 1,
        )
        for device in ordered:
            controller = self._controller_prefix(device.controllerKey)
            if controller is None or device.unitNumber is None:
                continue
            slot = f"{controller}:{device.unitNumber}"
            if slot in taken:
                continue
            taken.add(slot)
            if isinstance(device, Device.VirtualDisk):
                self._disk(slot, controller, device)
            else:
                self._cdrom(slot, device)
        for number, device in enumerate(d for d in self.devices if isinstance(d, Device.VirtualFloppy)):
            self._floppy(f"floppy{number}", device)
        for number, device in self._numbered(Device.VirtualEthernetCard, 4000):
            self._nic(f"ethernet{number}", device)
        for number, device in enumerate(d for d in self.devices if isinstance(d, Device.VirtualSerialPort)):
            self._serial(f"serial{number}", device)
        for number, device in enumerate(d for d in self.devices if isinstance(d, Device.VirtualParallelPort)):
            self._parallel(f"parallel{number}", device)
        video = next((d for d in self.devices if isinstance(d, Device.VirtualVideoCard)), None)
        if video is not None and video.videoRamSizeInKB:
            self.add("svga.vramSize", int(video.videoRamSizeInKB) * 1024)

    def _numbered(self, kind: type, base_key: int) -> Iterator[tuple[int, Any]]:
        """Devices of ``kind`` with their .vmx numbers: ESX keys them base_key + N; others count up."""
        found: list[Any] = [d for d in self.devices if isinstance(d, kind)]
        numbers = [d.key - base_key for d in found]
        if len(set(numbers)) == len(numbers) and all(0 <= n < 100 for n in numbers):
            yield from zip(numbers, found, strict=True)
        else:
            yield from enumerate(found)

    def _connectable(self, prefix: str, device: Any) -> None:
        connectable = device.connectable
        if connectable is not None and connectable.startConnected is not None:
            self.add(f"{prefix}.startConnected", _flag(connectable.startConnected))

    def _disk(self, prefix: str, controller: str, device: Any) -> None:
        backing = device.backing
        file_name = _file(getattr(backing, "fileName", None))
        if file_name is None:
            return  # a raw LUN or a backing without a file: nothing the converter maps
        self.add(f"{prefix}.present", "true")
        kind = (
            "scsi-hardDisk"
            if controller.startswith("scsi")
            else "ata-hardDisk"
            if controller.startswith("ide")
            else "disk"
        )
        self.add(f"{prefix}.deviceType", kind)
        self.add(f"{prefix}.fileName", file_name)
        mode = getattr(backing, "diskMode", None)
        if mode:
            self.add(f"{prefix}.mode", str(mode).replace("_", "-"))
        if getattr(backing, "writeThrough", None):
            self.add(f"{prefix}.writeThrough", "true")

    def _cdrom(self, prefix: str, device: Any) -> None:
        backing = device.backing
        self.add(f"{prefix}.present", "true")
        self._connectable(prefix, device)
        if isinstance(backing, Device.VirtualCdrom.IsoBackingInfo):
            self.add(f"{prefix}.deviceType", "cdrom-image")
            self.add(f"{prefix}.fileName", _file(backing.fileName) or "emptyBackingString")
        elif isinstance(backing, Device.VirtualCdrom.PassthroughBackingInfo):
            self.add(f"{prefix}.deviceType", "cdrom-raw")
            self.add(f"{prefix}.fileName", backing.deviceName)
        elif isinstance(backing, Device.VirtualCdrom.AtapiBackingInfo):
            self.add(f"{prefix}.deviceType", "atapi-cdrom")
            self.add(f"{prefix}.fileName", backing.deviceName)
        else:  # the vSphere client's own drive, or none at all
            self.add(f"{prefix}.deviceType", "atapi-cdrom")
            self.add(f"{prefix}.clientDevice", "true")

    def _floppy(self, prefix: str, device: Any) -> None:
        backing = device.backing
        if isinstance(backing, Device.VirtualFloppy.ImageBackingInfo):
            file_type, name = "file", _file(backing.fileName)
        elif isinstance(backing, Device.VirtualFloppy.DeviceBackingInfo):
            file_type, name = "device", backing.deviceName
        else:
            return
        self.add(f"{prefix}.present", "true")
        self._connectable(prefix, device)
        self.add(f"{prefix}.fileType", file_type)
        self.add(f"{prefix}.fileName", name)

    def _nic(self, prefix: str, device: Any) -> None:
        self.add(f"{prefix}.present", "true")
        self._connectable(prefix, device)
        model = next(((name, features) for kind, name, features in _NIC_MODELS if isinstance(device, kind)), None)
        if model is not None:
            self.add(f"{prefix}.virtualDev", model[0])
            self.add(f"{prefix}.features", model[1])
        backing = device.backing
        if isinstance(backing, Device.VirtualEthernetCard.DistributedVirtualPortBackingInfo):
            port = backing.port
            if port.portKey is not None and port.connectionCookie is not None:
                self.add(f"{prefix}.dvs.switchId", port.switchUuid)
                self.add(f"{prefix}.dvs.portgroupId", port.portgroupKey)
                self.add(f"{prefix}.dvs.portId", port.portKey)
                self.add(f"{prefix}.dvs.connectionId", port.connectionCookie)
            else:
                # a port group connection without a fixed port: the port group is the bridge
                self.add(f"{prefix}.networkName", self.port_group_name(str(port.portgroupKey)) or port.portgroupKey)
                self.add(f"{prefix}.connectionType", "bridged")
        elif isinstance(backing, Device.VirtualEthernetCard.NetworkBackingInfo):
            self.add(f"{prefix}.networkName", backing.deviceName or "")
            self.add(f"{prefix}.connectionType", "bridged")
        address_type = _MAC_TYPES.get(str(device.addressType or "generated"), "generated")
        self.add(f"{prefix}.addressType", address_type)
        if device.macAddress:
            self.add(
                f"{prefix}.address" if address_type == "static" else f"{prefix}.generatedAddress", device.macAddress
            )

    def _serial(self, prefix: str, device: Any) -> None:
        backing = device.backing
        port = Device.VirtualSerialPort
        entries: list[tuple[str, str | None]]
        if isinstance(backing, port.URIBackingInfo):
            entries = [("fileType", "network"), ("fileName", backing.serviceURI)]
            entries.append(("network.endPoint", "server" if backing.direction == "server" else "client"))
        elif isinstance(backing, port.PipeBackingInfo):
            entries = [("fileType", "pipe"), ("fileName", backing.pipeName)]
            entries.append(("pipe.endPoint", "server" if backing.endpoint == "server" else "client"))
        elif isinstance(backing, port.FileBackingInfo):
            entries = [("fileType", "file"), ("fileName", _file(backing.fileName))]
        elif isinstance(backing, port.DeviceBackingInfo):
            entries = [("fileType", "device"), ("fileName", backing.deviceName)]
        else:
            return
        self.add(f"{prefix}.present", "true")
        self._connectable(prefix, device)
        for key, value in entries:
            self.add(f"{prefix}.{key}", value)

    def _parallel(self, prefix: str, device: Any) -> None:
        backing = device.backing
        if isinstance(backing, Device.VirtualParallelPort.FileBackingInfo):
            file_type, name = "file", _file(backing.fileName)
        elif isinstance(backing, Device.VirtualParallelPort.DeviceBackingInfo):
            file_type, name = "device", backing.deviceName
        else:
            return
        self.add(f"{prefix}.present", "true")
        self._connectable(prefix, device)
        self.add(f"{prefix}.fileType", file_type)
        self.add(f"{prefix}.fileName", name)


def config_entries(config: Any, port_group_name: PortGroupName) -> Entries:
    """The .vmx entries, in file order, of a VM whose ``config`` the server reported."""
    return _Writer(config, port_group_name).write()


def uses_distributed_port_groups(config: Any) -> bool:
    """Whether writing ``config`` needs the names of distributed port groups (one more request)."""
    return any(
        isinstance(getattr(d, "backing", None), Device.VirtualEthernetCard.DistributedVirtualPortBackingInfo)
        for d in getattr(config.hardware, "device", None) or []
    )

"""Device hotplug and unplug of ``qemu:///`` connections (a mixin of QemuConnection), with the rules
and words of libvirt 9.0's QEMU driver.

Live: a virtio disk is plugged as two ``blockdev-add`` nodes (storage, format) and a ``device_add``;
a NIC as a tap on its bridge (as root; else QEMU's bridge helper), ``netdev_add`` and ``device_add``.
The PCI address is the one the definition rules (``postparse``) give the device in a copy of the
live definition: a free port of an existing pcie-root-port on Q35 (QEMU cannot plug a new root
port), a free slot on i440FX. Unplug is ``device_del``: the guest must let go of the device (ACPI or
PCIe hotplug); as libvirt, the call waits 5 s for it, then returns with the removal pending; QEMU's
DEVICE_DELETED completes it later (``device_deleted``), DEVICE_REMOVED announcing it either way.
A hotplugged or unplugged live definition carries the devices' aliases (their QEMU ids).

Config: the device goes into (or out of) the persistent definition, whose addresses are assigned
the way a define assigns them and kept.
"""

from __future__ import annotations

import contextlib
import time
from typing import TYPE_CHECKING, Any

from virt import devicechanges as dc
from virt.devicechanges import DeviceModifyFlags, DeviceXML
from virt.domainevents import DeviceAddedEvent
from virt.driver import DomainRef
from virt.errors import ErrorDomain, ErrorNumber, VirtError
from virt.xml.devices import Address, Alias, Controller, Disk, Interface, InterfaceTarget

from virt_qemu import errors, memhotplug

if TYPE_CHECKING:
    from virt.xml import Domain

    from virt_qemu.driver import QemuDriver
    from virt_qemu.runtime import DomainObj, Running

UNPLUG_TIMEOUT = 5.0
"""How long an unplug waits for the guest (libvirt's QEMU_UNPLUG_TIMEOUT)."""
_QEMU = ErrorDomain.QEMU
_ACCEPTED = int(DeviceModifyFlags.LIVE | DeviceModifyFlags.CONFIG)
_UPDATE_ACCEPTED = _ACCEPTED | int(DeviceModifyFlags.FORCE)
_PERIPHERAL = "/machine/peripheral"


def _check_flags(flags: int, accepted: int, function: str) -> None:
    unknown = flags & ~accepted
    if unknown:
        raise errors.error(ErrorNumber.INVALID_ARG, f"unsupported flags (0x{unknown:x}) in function {function}")


def ensure_aliases(live: Domain) -> None:
    """Write into the live definition the QEMU ids the command builder gave its disks and NICs
    (libvirt's aliases), so that later changes name them whatever the order becomes."""
    from virt_qemu.command.controllers import disk_index

    devices = live.devices
    if devices is None:
        return
    for n, iface in enumerate(devices.interfaces):
        if iface.alias is None:
            iface.alias = _named(f"net{n}")
    for disk in devices.disks:
        bus = disk.target.bus if disk.target is not None else None
        if disk.alias is None and bus == "virtio":
            disk.alias = _named(f"virtio-disk{disk_index(dc.disk_target(disk)) or 0}")
        elif disk.alias is None and bus == "scsi" and disk.address is not None and disk.address.type == "drive":
            place = (disk.address.controller, disk.address.bus, disk.address.target, disk.address.unit)
            disk.alias = _named("scsi" + "-".join(str(int(v or "0")) for v in place))
    for controller in devices.controllers:
        if controller.alias is None and controller.type == "scsi":
            controller.alias = _named(f"scsi{controller.index or 0}")


def _find_for_detach(definition: Domain, parsed: DeviceXML, *, live: bool) -> int:
    if parsed.kind == "memory":
        return memhotplug.find(definition, parsed.device, live=live)
    return dc.find_for_detach(definition, parsed, _QEMU, live=live)


def _remove_from_config(config: Domain, kind: str, at: int) -> None:
    if kind == "memory":
        memhotplug.config_removed(config, at)  # <memory> loses the device's size
    else:
        del dc.device_list(config, kind)[at]


def _named(name: str) -> Alias:
    alias = Alias()
    alias.name = name
    return alias


def _alias(device: Any) -> str | None:
    return device.alias.name if device.alias is not None else None


def _pci_props(live: Domain, address: Address | None) -> dict[str, Any]:
    """``bus``/``addr`` of a device_add for a PCI address of the live definition."""
    if address is None or address.type != "pci":
        return {}
    bus, slot, function = (int(v or "0", 0) for v in (address.bus, address.slot, address.function))
    q35 = bool(live.os and live.os.type and "q35" in (live.os.type.machine or ""))
    name = ("pcie.0" if q35 else "pci.0") if bus == 0 else f"pci.{bus}"
    return {"bus": name, "addr": f"{slot:#x}" if function == 0 else f"{slot:#x}.{function:#x}"}


class QemuDeviceOperations:
    """The device hotplug methods of QemuConnection."""

    if TYPE_CHECKING:

        @property
        def qemu(self) -> QemuDriver: ...

    # -- the calls --------------------------------------------------------------------------------------
    def attach_device(self, ref: DomainRef, xml: str, flags: int) -> None:
        _check_flags(flags, _ACCEPTED, "qemuDomainAttachDeviceFlags")
        parsed = dc.parse_device(xml, new=True)
        with self.qemu.locked(ref) as obj:
            live, config = dc.targets(flags, active=obj.active, persistent=obj.persistent)
            new_config = None
            if config:
                assert obj.config is not None
                new_config = self._config_with(obj.config, DeviceXML(parsed.kind, parsed.device.clone()))
            if live:
                self._attach_live(obj, parsed)
            if new_config is not None:
                obj.config = new_config
                self.qemu.definitions.save(new_config)

    def detach_device(self, ref: DomainRef, xml: str, flags: int) -> None:
        _check_flags(flags, _ACCEPTED, "qemuDomainDetachDeviceFlags")
        parsed = dc.parse_device(xml)
        with self.qemu.locked(ref) as obj:
            live, config = dc.targets(flags, active=obj.active, persistent=obj.persistent)
            config_at = None
            if config:
                assert obj.config is not None
                if not dc.listed(parsed.kind):
                    raise dc.unsupported("persistent detach", parsed.kind, _QEMU)
                config_at = _find_for_detach(obj.config, parsed, live=False)
            if live:
                assert obj.live is not None
                ensure_aliases(obj.live)
                at = _find_for_detach(obj.live, parsed, live=True)
                self._detach_live(obj, parsed.kind, at)
            if config_at is not None:
                assert obj.config is not None
                _remove_from_config(obj.config, parsed.kind, config_at)
                self.qemu.definitions.save(obj.config)

    def detach_device_alias(self, ref: DomainRef, alias: str, flags: int) -> None:
        _check_flags(flags, _ACCEPTED, "qemuDomainDetachDeviceAlias")
        with self.qemu.locked(ref) as obj:
            live, config = dc.targets(flags, active=obj.active, persistent=obj.persistent)
            config_found = None
            if config:
                assert obj.config is not None
                config_found = dc.find_by_alias(obj.config, alias)
                if config_found is None:
                    raise dc.no_alias(alias, _QEMU)
            if live:
                assert obj.live is not None
                ensure_aliases(obj.live)
                found = dc.find_by_alias(obj.live, alias)
                if found is None:
                    raise dc.no_alias(alias, _QEMU)
                self._detach_live(obj, *found)
            if config_found is not None:
                assert obj.config is not None
                _remove_from_config(obj.config, *config_found)
                self.qemu.definitions.save(obj.config)

    def update_device(self, ref: DomainRef, xml: str, flags: int) -> None:
        _check_flags(flags, _UPDATE_ACCEPTED, "qemuDomainUpdateDeviceFlags")
        parsed = dc.parse_device(xml)
        with self.qemu.locked(ref) as obj:
            live, config = dc.targets(flags, active=obj.active, persistent=obj.persistent)
            if parsed.kind == "interface":
                self._update_interface(obj, parsed, live=live, config=config)
                return
            if parsed.kind != "disk":
                raise dc.unsupported("live update" if live else "persistent update", parsed.kind, _QEMU)
            disk: Disk = parsed.device
            new_config = None
            if config:
                assert obj.config is not None
                new_config = obj.config.clone()
                n = dc.find_for_detach(new_config, parsed, _QEMU, live=False)
                old = dc.device_list(new_config, "disk")[n]
                # libvirt keeps what the new XML does not say of the device's place
                new = disk.clone()
                new.address = new.address or old.address
                dc.device_list(new_config, "disk")[n] = new
                self.qemu.complete(new_config)  # the defaults a define fills in
            if live:
                assert obj.live is not None
                ensure_aliases(obj.live)
                at = dc.find_disk(obj.live, dc.disk_target(disk))
                if at is None:
                    raise errors.internal(f"disk '{dc.disk_target(disk)}' not found")
                self._change_media(obj, dc.device_list(obj.live, "disk")[at], disk, force=bool(flags & 4))
            if new_config is not None:
                obj.config = new_config
                self.qemu.definitions.save(new_config)

    def _update_interface(self, obj: DomainObj, parsed: DeviceXML, *, live: bool, config: bool) -> None:
        """A NIC's link state changes live (QMP ``set_link``); in the persistent definition the
        interface is replaced, its address kept."""
        wanted: Interface = parsed.device
        if live:
            assert obj.live is not None
            self.qemu._usable(obj)
            ensure_aliases(obj.live)
            current = dc.device_list(obj.live, "interface")[dc.find_interface(obj.live, wanted, _QEMU)]
            if _nic_shape(current) != _nic_shape(wanted):
                raise errors.error(ErrorNumber.OPERATION_UNSUPPORTED, "cannot modify network device configuration")
            up = _link_up(wanted)
            if up != _link_up(current):
                self._qmp(obj, "set_link", {"name": _alias(current), "up": up})
                current.link = wanted.link
                self.qemu._save_status(obj)
        if config:
            assert obj.config is not None
            copy = obj.config.clone()
            n = dc.find_interface(copy, wanted, _QEMU)
            new = wanted.clone()
            new.address = new.address or dc.device_list(copy, "interface")[n].address
            dc.device_list(copy, "interface")[n] = new
            obj.config = self.qemu.complete(copy)
            self.qemu.definitions.save(obj.config)

    # -- the persistent definition ----------------------------------------------------------------------
    def _config_with(self, config: Domain, parsed: DeviceXML) -> Domain:
        """A copy of ``config`` with the device added, completed (addresses) as a define completes it."""
        copy = config.clone()
        if parsed.kind == "disk":
            dc.check_new_disk(copy, parsed.device, _QEMU, live=False)
        elif parsed.kind == "controller":
            dc.check_new_controller(copy, parsed.device, _QEMU)
        if not dc.listed(parsed.kind):
            raise dc.unsupported("persistent attach", parsed.kind, _QEMU)
        if parsed.kind == "memory":
            memhotplug.config_added(copy, parsed.device)
        dc.add_device(copy, parsed)
        return self.qemu.complete(copy)

    # -- the running guest ------------------------------------------------------------------------------
    def _qmp(self, obj: DomainObj, command: str, arguments: dict[str, Any] | None = None) -> Any:
        return self.qemu.qmp(obj, command, arguments)

    def _placed(self, obj: DomainObj, parsed: DeviceXML) -> Any:
        """The new device as the definition rules complete it in a copy of the live definition (its
        PCI address); refused when that needs a new PCI controller, which QEMU cannot plug."""
        assert obj.live is not None
        copy = obj.live.clone()
        dc.add_device(copy, DeviceXML(parsed.kind, parsed.device.clone()))
        before = len(copy.devices.controllers) if copy.devices is not None else 0
        self.qemu.complete(copy)
        after = len(copy.devices.controllers) if copy.devices is not None else 0
        if after > before:
            raise errors.internal("No more available PCI slots")
        if parsed.kind == "disk":
            n = dc.find_disk(copy, dc.disk_target(parsed.device))
            assert n is not None
            return dc.device_list(copy, "disk")[n]
        if parsed.kind == "controller":
            at = dc.find_controller(copy, parsed.device)
            assert at is not None
            return dc.device_list(copy, "controller")[at]
        if parsed.kind == "interface":
            return dc.device_list(copy, "interface")[dc.find_interface(copy, parsed.device, _QEMU)]
        return dc.device_list(copy, parsed.kind)[-1]

    def _attach_live(self, obj: DomainObj, parsed: DeviceXML) -> None:
        running = self.qemu._usable(obj)
        live = obj.live
        assert live is not None
        ensure_aliases(live)
        if parsed.kind == "disk":
            dc.check_new_disk(live, parsed.device, _QEMU, live=True)
            placed = self._placed(obj, parsed)
            self._plug_disk(obj, live, placed)
            dc.insert_disk(live, placed)
        elif parsed.kind == "interface":
            placed = self._placed(obj, parsed)
            self._plug_nic(obj, running, live, placed)
            dc.device_list(live, "interface").append(placed)
        elif parsed.kind == "memory":
            memhotplug.attach_live(self.qemu, obj, parsed.device)  # its own event: the backend's name
            return
        elif parsed.kind == "controller":
            dc.check_new_controller(live, parsed.device, _QEMU)
            placed = self._placed(obj, parsed)
            self._plug_controller(obj, live, placed)
            from virt.xml.implicit import insert_controller

            insert_controller(dc.device_list(live, "controller"), placed)
        else:
            raise dc.unsupported("live attach", parsed.kind, _QEMU)
        self.qemu._save_status(obj)
        self.qemu._emit_other(DeviceAddedEvent(DomainRef(obj.name, obj.uuid, obj.id), str(_alias(placed))))

    def _used_ids(self, obj: DomainObj) -> set[str]:
        return {str(c.get("name")) for c in self._qmp(obj, "qom-list", {"path": _PERIPHERAL})}

    def _plug_disk(self, obj: DomainObj, live: Domain, disk: Disk) -> None:
        from virt_qemu.command.controllers import disk_index
        from virt_qemu.command.disks import VIRTIO_BLK_MODELS, _default_bus

        bus = (disk.target.bus if disk.target is not None else None) or _default_bus(dc.disk_target(disk))
        if disk.target is not None and disk.target.bus is None:
            disk.target.bus = bus  # as libvirt writes it into the live definition
        device = disk.device or "disk"
        if bus not in ("virtio", "scsi"):
            raise errors.error(ErrorNumber.OPERATION_UNSUPPORTED, f"disk bus '{bus}' cannot be hotplugged.")
        if device != "disk":
            raise dc.unsupported("live attach", f"disk device='{device}'", _QEMU)
        source = disk.source
        path = (source.file if disk.type in (None, "file") else source.dev) if source is not None else None
        if not path:
            raise errors.error(ErrorNumber.OPERATION_UNSUPPORTED, "cannot hotplug a disk without a source")
        placement: dict[str, Any] = _pci_props(live, disk.address)
        if bus == "scsi":
            alias, placement = self._scsi_place(live, disk)
        else:
            alias = f"virtio-disk{disk_index(dc.disk_target(disk)) or 0}"
        nodes = {str(n.get("node-name")) for n in self._qmp(obj, "query-named-block-nodes")}
        number = len(dc.device_list(live, "disk"))
        while f"disk{number}-format" in nodes or f"disk{number}-storage" in nodes:
            number += 1
        storage, fmt = f"disk{number}-storage", f"disk{number}-format"
        kind = "host_device" if disk.type == "block" else "file"
        driver = disk.driver.type if disk.driver is not None and disk.driver.type else "raw"
        self._qmp(
            obj,
            "blockdev-add",
            {"driver": kind, "filename": path, "node-name": storage, "auto-read-only": True, "discard": "unmap"},
        )
        added = [storage]
        try:
            self._qmp(
                obj,
                "blockdev-add",
                {"node-name": fmt, "read-only": bool(disk.readonly), "driver": driver, "file": storage},
            )
            added.insert(0, fmt)
            driver_name = "scsi-hd" if bus == "scsi" else VIRTIO_BLK_MODELS["virtio"]
            props = {"driver": driver_name, "drive": fmt, "id": alias, **placement}
            if disk.serial:
                props["serial"] = disk.serial
            self._qmp(obj, "device_add", props)
        except BaseException:
            for node in added:
                with contextlib.suppress(VirtError):
                    self._qmp(obj, "blockdev-del", {"node-name": node})
            raise
        disk.alias = _named(alias)

    @staticmethod
    def _scsi_place(live: Domain, disk: Disk) -> tuple[str, dict[str, Any]]:
        """A SCSI disk's id and place on its (virtio-scsi) controller, from its drive address."""
        address = disk.address
        controller, channel, target, unit = (
            (int(getattr(address, name) or "0") for name in ("controller", "bus", "target", "unit"))
            if address is not None
            else (0, 0, 0, 0)
        )
        present = [c for c in dc.device_list(live, "controller") if c.type == "scsi" and (c.index or 0) == controller]
        if not present or not (present[0].model or "virtio-scsi").startswith("virtio"):
            raise errors.error(
                ErrorNumber.OPERATION_UNSUPPORTED,
                f"SCSI controller {controller} is not a plugged virtio-scsi controller of the running domain",
            )
        alias = f"scsi{controller}-{channel}-{target}-{unit}"
        return alias, {"bus": f"scsi{controller}.0", "channel": channel, "scsi-id": target, "lun": unit}

    def _plug_controller(self, obj: DomainObj, live: Domain, controller: Controller) -> None:
        """libvirt's QEMU driver plugs SCSI controllers only (virt-qemu: the virtio-scsi ones)."""
        from virt_qemu.command.controllers import _SCSI_MODELS

        model = controller.model or "virtio-scsi"
        if controller.type != "scsi" or model not in _SCSI_MODELS or not model.startswith("virtio"):
            raise errors.error(
                ErrorNumber.OPERATION_UNSUPPORTED, f"'{controller.type}' controller cannot be hot plugged."
            )
        alias = f"scsi{controller.index or 0}"
        self._qmp(
            obj, "device_add", {"driver": _SCSI_MODELS[model], "id": alias, **_pci_props(live, controller.address)}
        )
        controller.model = model
        controller.alias = _named(alias)

    def _plug_nic(self, obj: DomainObj, running: Running, live: Domain, iface: Interface) -> None:
        from virt_qemu import netif
        from virt_qemu.command.net import _MODELS

        if iface.type not in ("network", "bridge", "user"):
            raise dc.unsupported("live attach", f"interface type='{iface.type}'", _QEMU)
        model = (iface.model.type if iface.model is not None else None) or "rtl8139"
        if model not in _MODELS:
            raise errors.unsupported(f"NIC model '{model}' is not supported yet")
        used = self._used_ids(obj)
        number = len(dc.device_list(live, "interface"))
        while f"net{number}" in used:
            number += 1
        alias, netdev = f"net{number}", f"hostnet{number}"
        taps: list[str] = []
        if iface.type in netif.BRIDGED:
            single = live.clone()
            assert single.devices is not None
            single.devices.interfaces = [iface]
            self.qemu._attach_interfaces(single)  # the network's bridge, and as root a tap on it
            iface = single.devices.interfaces[0]
            taps = netif.taps_of(single)
        try:
            if iface.type == "user":
                backend: dict[str, Any] = {"type": "user", "id": netdev}
            elif taps:
                backend = {"type": "tap", "ifname": taps[0], "script": "no", "downscript": "no", "id": netdev}
            else:
                assert iface.source is not None
                backend = {"type": "bridge", "br": iface.source.bridge, "id": netdev}
            self._qmp(obj, "netdev_add", backend)
            try:
                assert iface.mac is not None
                props = {"driver": _MODELS[model], "netdev": netdev, "id": alias, "mac": iface.mac.address}
                self._qmp(obj, "device_add", {**props, **_pci_props(live, iface.address)})
            except BaseException:
                with contextlib.suppress(VirtError):
                    self._qmp(obj, "netdev_del", {"id": netdev})
                raise
        except BaseException:
            netif.detach(taps)
            raise
        if taps and iface.target is None:
            iface.target = InterfaceTarget()
            iface.target.dev = taps[0]
        iface.alias = _named(alias)

    def _detach_live(self, obj: DomainObj, kind: str, at: int) -> None:
        self.qemu._usable(obj)
        live = obj.live
        assert live is not None
        device = dc.device_list(live, kind)[at]
        alias = _alias(device)
        if kind == "controller":
            alias = alias or (f"scsi{device.index or 0}" if device.type == "scsi" else None)
            if device.type != "scsi" or alias is None:
                raise errors.error(
                    ErrorNumber.OPERATION_UNSUPPORTED, f"'{device.type}' controller cannot be hot unplugged."
                )
            index = device.index or 0
            for disk in dc.device_list(live, "disk"):
                bus = disk.target.bus if disk.target is not None else None
                if bus == "scsi" and disk.address is not None and int(disk.address.controller or "0") == index:
                    raise errors.error(ErrorNumber.OPERATION_INVALID, "device cannot be detached: device is busy")
            device.alias = _named(alias)
        elif kind == "memory":
            memhotplug.detach_live(self.qemu, obj, at)
            return
        elif kind not in ("disk", "interface") or alias is None:
            raise dc.unsupported("live detach", kind, _QEMU)
        if kind == "disk" and (device.target is None or device.target.bus not in ("virtio", "scsi")):
            raise errors.error(ErrorNumber.OPERATION_UNSUPPORTED, "This type of disk cannot be hot unplugged")
        self._qmp(obj, "device_del", {"id": alias})
        deadline = time.monotonic() + UNPLUG_TIMEOUT
        while time.monotonic() < deadline:
            if alias not in self._used_ids(obj):
                device_deleted(self.qemu, obj, alias)
                return
            time.sleep(0.1)
        # libvirt returns with the removal pending: DEVICE_DELETED finishes it (device_deleted)

    def _change_media(self, obj: DomainObj, current: Disk, wanted: Disk, *, force: bool) -> None:
        from virt_qemu.command.controllers import drive_address
        from virt_qemu.command.errors import Node

        self.qemu._usable(obj)
        if (current.device or "disk") != "cdrom":
            raise errors.error(ErrorNumber.OPERATION_UNSUPPORTED, "disk device 'disk' cannot be updated live")
        bus = current.target.bus if current.target is not None else None
        controller, drive_bus, _target, unit = drive_address(current, Node.of("/domain/devices/disk", current))
        qdev = f"sata{controller}-0-{unit}" if bus == "sata" else f"ide0-{drive_bus}-{unit}"
        source = wanted.source
        path = (source.file if wanted.type in (None, "file") else source.dev) if source is not None else None
        if path:
            driver = wanted.driver.type if wanted.driver is not None and wanted.driver.type else "raw"
            arguments = {"id": qdev, "filename": path, "format": driver, "read-only-mode": "read-only"}
            self._qmp(obj, "blockdev-change-medium", arguments)
        else:
            self._qmp(obj, "blockdev-open-tray", {"id": qdev, "force": force})
            self._qmp(obj, "blockdev-remove-medium", {"id": qdev})
        current.source = wanted.source
        current.driver = wanted.driver or current.driver
        self.qemu._save_status(obj)


def device_deleted(driver: QemuDriver, obj: DomainObj, alias: str) -> None:
    """QEMU let go of the device ``alias`` (DEVICE_DELETED, or seen gone by an unplug's wait): out of
    the live definition, its backend (block nodes, netdev, tap) removed. Called with the lock held."""
    from virt_qemu import netif

    live, running = obj.live, obj.running
    if live is None or running is None or running.monitor is None:
        return
    found = dc.find_by_alias(live, alias)
    if found is None:
        return
    kind, at = found
    device = dc.device_list(live, kind)[at]

    def execute(command: str, arguments: dict[str, Any]) -> None:
        with contextlib.suppress(VirtError):  # a backend QEMU already dropped with its device
            driver.qmp(obj, command, arguments)

    if kind == "disk":
        _delete_orphan_nodes(driver, obj, alias)
    elif kind == "memory":
        memhotplug.removed(driver, obj, device)
    elif kind == "interface":
        execute("netdev_del", {"id": f"host{alias}"})
        taps = [device.target.dev] if device.target is not None and device.target.dev else []
        netif.detach([t for t in taps if t.startswith(netif.TAP_PREFIX)])
    del dc.device_list(live, kind)[at]
    if kind == "memory":
        memhotplug.refresh_balloon(driver, obj)  # without a balloon: the whole memory, now smaller
    driver._save_status(obj)


def _named_nodes(driver: QemuDriver, obj: DomainObj) -> list[dict[str, Any]]:
    try:
        found = driver.qmp(obj, "query-named-block-nodes")
    except VirtError:
        return []
    return [e for e in found if isinstance(e, dict)]


BACKEND_RELEASE_WAIT = 2.0
"""Seconds an unplugged disk's block backend may outlive its DEVICE_DELETED (seen under load): its nodes
cannot go before it has."""


def _delete_orphan_nodes(driver: QemuDriver, obj: DomainObj, alias: str) -> None:
    """Remove the block nodes the removed disk ``alias`` left: its format and storage nodes and, for a
    disk with external snapshots, its overlays' nodes down its chain. QEMU refuses to delete a node
    something still uses (a device, a node above it, a job), so once the device's backend is gone every
    node no device holds is tried, top-down by passes, until a pass deletes nothing: what is left is in use."""
    deadline = time.monotonic() + BACKEND_RELEASE_WAIT
    while True:
        try:
            entries = [e for e in driver.qmp(obj, "query-block") if isinstance(e, dict)]
        except VirtError:
            return
        if not any(_backend_of(entry, alias) for entry in entries) or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    in_use = {
        str((entry.get("inserted") or {}).get("node-name"))
        for entry in entries
        if (entry.get("inserted") or {}).get("node-name")
    }
    left = [str(e["node-name"]) for e in _named_nodes(driver, obj) if e.get("node-name")]
    left = [n for n in dict.fromkeys(left) if n not in in_use]
    while left:
        kept = []
        for node in left:
            try:
                driver.qmp(obj, "blockdev-del", {"node-name": node})
            except VirtError:
                kept.append(node)
        if len(kept) == len(left):
            return
        left = kept


def _backend_of(entry: dict[str, Any], alias: str) -> bool:
    """Whether a ``query-block`` entry may be the backend of the removed device ``alias``: one still
    naming it (its qdev path or id), or one left with neither a device nor a name while QEMU lets it go."""
    qdev = str(entry.get("qdev") or "")
    if not qdev and not entry.get("device"):
        return bool((entry.get("inserted") or {}).get("node-name"))
    return qdev == alias or f"/{alias}/" in qdev or qdev.endswith(f"/{alias}")


def _link_up(iface: Interface) -> bool:
    return iface.link is None or iface.link.get("state") != "down"


def _nic_shape(iface: Interface) -> tuple[Any, ...]:
    """What a live update may not change: the type, MAC, source and model (the link state may)."""
    source = iface.source
    return (
        iface.type,
        iface.mac.address.lower() if iface.mac is not None and iface.mac.address else None,
        source.network if source is not None else None,
        (iface.model.type if iface.model is not None else None) or "rtl8139",
    )

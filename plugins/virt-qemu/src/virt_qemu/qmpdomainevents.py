"""QEMU's QMP events turned into libvirt's domain events of the ids beyond lifecycle, as libvirt 9.0's
qemu_process.c turns them (qemuProcessHandleReset, -RTCChange, -Watchdog, -IOError, -TrayChange,
-BalloonChange, -DeviceDeleted, -AcpiOstInfo, -PMSuspend, -PMWakeup, -PMSuspendDisk, -SerialChanged).

``translate`` only reads the event and the domain's live definition; the state changes some of
these events bring (a watchdog or an I/O error pausing the guest, a guest suspended to RAM) are the
caller's (``QmpEvents``). ``query`` asks the monitor what the event does not say (which device a
block node belongs to).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from virt.domainevents import AgentLifecycleEvent as AgentEvent
from virt.domainevents import (
    AgentLifecycleReason,
    AgentLifecycleState,
    BalloonChangeEvent,
    DeviceRemovalFailedEvent,
    DeviceRemovedEvent,
    IOErrorAction,
    IOErrorEvent,
    IOErrorReasonEvent,
    OtherDomainEvent,
    PMSuspendDiskEvent,
    PMSuspendEvent,
    PMWakeupEvent,
    RebootEvent,
    RTCChangeEvent,
    TrayChangeEvent,
    TrayChangeReason,
    WatchdogAction,
    WatchdogEvent,
)
from virt.driver import DomainRef
from virt.xml import Domain

from virt_qemu.agent import CHANNEL_NAME

Query = Callable[[str], Any]
"""Runs a QMP command without arguments on the domain's monitor (raises QMPError)."""

_WATCHDOG_ACTIONS = {
    "none": WatchdogAction.NONE,
    "pause": WatchdogAction.PAUSE,
    "reset": WatchdogAction.RESET,
    "poweroff": WatchdogAction.POWEROFF,
    "shutdown": WatchdogAction.SHUTDOWN,
    "debug": WatchdogAction.DEBUG,
    "inject-nmi": WatchdogAction.INJECTNMI,
}
# QEMU's BLOCK_IO_ERROR actions (BlockErrorAction)
_IO_ERROR_ACTIONS = {"ignore": IOErrorAction.NONE, "report": IOErrorAction.REPORT, "stop": IOErrorAction.PAUSE}
_NODE_NAME = re.compile(r"disk(\d+)-(?:c\d+-)?(?:format|storage)")  # cK: a block copy's (virt_qemu.blockjobs)


def translate(
    ref: DomainRef, live: Domain | None, name: str, data: dict[str, Any], query: Query
) -> list[OtherDomainEvent]:
    """The libvirt events the QMP event ``name`` (with ``data``) of the domain ``ref`` makes; none
    for an event libvirt turns into none of these."""
    if name == "RESET":
        return [RebootEvent(ref)]
    if name == "RTC_CHANGE" and isinstance(data.get("offset"), int):
        return [RTCChangeEvent(ref, data["offset"])]
    if name == "WATCHDOG":
        return [WatchdogEvent(ref, _WATCHDOG_ACTIONS.get(str(data.get("action")), WatchdogAction.NONE))]
    if name == "BLOCK_IO_ERROR":
        return _io_error(ref, live, data, query)
    if name == "DEVICE_TRAY_MOVED" and data.get("id"):
        reason = TrayChangeReason.OPEN if data.get("tray-open") else TrayChangeReason.CLOSE
        return [TrayChangeEvent(ref, str(data["id"]), reason)]
    if name == "BALLOON_CHANGE" and isinstance(data.get("actual"), int):
        return [BalloonChangeEvent(ref, data["actual"] // 1024)]  # bytes -> KiB
    if name == "DEVICE_DELETED" and data.get("device"):
        # QEMU also reports the deletion of a device's own parts (by QOM path only); libvirt
        # announces the devices it named
        return [DeviceRemovedEvent(ref, str(data["device"]))]
    if name == "ACPI_DEVICE_OST" and isinstance(data.get("info"), dict):
        from virt_qemu.memhotplug import ost_failure

        refused = ost_failure(data["info"])  # the guest would not give a DIMM back
        return [DeviceRemovalFailedEvent(ref, refused)] if refused else []
    if name == "SUSPEND":
        return [PMSuspendEvent(ref)]
    if name == "SUSPEND_DISK":
        return [PMSuspendDiskEvent(ref)]
    if name == "WAKEUP":
        return [PMWakeupEvent(ref)]
    if name == "VSERPORT_CHANGE":
        return _serial_changed(ref, live, data)
    return []


def _io_error(ref: DomainRef, live: Domain | None, data: dict[str, Any], query: Query) -> list[OtherDomainEvent]:
    action = _IO_ERROR_ACTIONS.get(str(data.get("action")), IOErrorAction.NONE)
    reason = str(data.get("reason") or "")
    if data.get("nospace"):
        reason = "enospc"
    node = str(data.get("node-name") or "")
    src_path, alias = "", str(data.get("device") or "")
    matched = _NODE_NAME.fullmatch(node)
    disks = live.devices.disks if live is not None and live.devices is not None else []
    if matched is not None and int(matched.group(1)) < len(disks):
        source = disks[int(matched.group(1))].source
        if source is not None:
            src_path = source.file or source.dev or ""
    alias = _qdev_of_node(node, query) or alias
    return [IOErrorEvent(ref, src_path, alias, action), IOErrorReasonEvent(ref, src_path, alias, action, reason)]


def _qdev_of_node(node: str, query: Query) -> str | None:
    """The device id (libvirt's alias) of the guest device whose medium is the block node ``node``."""
    from virt_qemu.monitor import QMPError

    if not node:
        return None
    try:
        blocks = query("query-block")
    except QMPError:
        return None
    for block in blocks if isinstance(blocks, list) else []:
        inserted = block.get("inserted") if isinstance(block, dict) else None
        if isinstance(inserted, dict) and inserted.get("node-name") == node:
            # "/machine/peripheral/virtio-disk0/virtio-backend": the id is the peripheral's name
            parts = str(block.get("qdev", "")).split("/")
            return parts[3] if len(parts) > 3 and parts[2] == "peripheral" else None
    return None


def _serial_changed(ref: DomainRef, live: Domain | None, data: dict[str, Any]) -> list[OtherDomainEvent]:
    """The guest agent's port opened or closed: libvirt's agent lifecycle event (other ports: none)."""
    devices = live.devices if live is not None else None
    if devices is None:
        return []
    for n, channel in enumerate(devices.channels):
        target = channel.target
        if target is None or target.type != "virtio" or target.name != CHANNEL_NAME:
            continue
        # the command builder names the n-th channel's port so (virt_qemu.command.chardev)
        alias = channel.alias.name if channel.alias is not None and channel.alias.name else f"channel{n}"
        if data.get("id") != alias:
            continue
        state = AgentLifecycleState.CONNECTED if data.get("open") else AgentLifecycleState.DISCONNECTED
        return [AgentEvent(ref, state, AgentLifecycleReason.CHANNEL)]
    return []

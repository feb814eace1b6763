"""The virtio balloon's statistics, as libvirt's QEMU driver reaches them.

The balloon device asks the guest for its memory statistics every ``guest-stats-polling-interval``
seconds (0: never) and keeps the last answer in its ``guest-stats`` property. Both are QOM
properties of the device, whose path is found once per QEMU run the way libvirt finds it
(qemuMonitorInitBalloonObjectPath): the child named after the device's id (``balloon0``, the
command builder's and libvirt's alias) under ``/machine/peripheral``, of the type of its model,
that has the polling property. A balloon not on PCI has no such path (libvirt looks on PCI and CCW
only, and virt-qemu builds PCI balloons only).

Every function here is called with the domain's lock held and a usable monitor.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from virt_qemu.command.devices import VIRTIO_MODELS

if TYPE_CHECKING:
    from virt.xml.devices import Memballoon

    from virt_qemu.stats import RunFacts

Execute = Callable[..., Any]
"""``execute(command, arguments=None)``: one QMP command on the domain's monitor."""

ALIAS = "balloon0"
"""The balloon's device id: the command builder gives it the alias libvirt gives it."""
PERIPHERALS = "/machine/peripheral"
POLLING = "guest-stats-polling-interval"
GUEST_STATS = "guest-stats"


def qom_type(balloon: Memballoon) -> str | None:
    """The QEMU device type of a balloon model (None: no virtio balloon, so no statistics)."""
    suffix = VIRTIO_MODELS.get(balloon.model or "virtio")
    return None if suffix is None else f"virtio-balloon-pci{suffix}"


def device_path(execute: Execute, facts: RunFacts, balloon: Memballoon) -> str | None:
    """The balloon's QOM path, looked up on the first call of a QEMU run (None: it has none)."""
    from virt_qemu.monitor import QMPError

    if facts.balloon_looked_up:
        return facts.balloon_path
    facts.balloon_looked_up = True
    address = balloon.address
    wanted = qom_type(balloon)
    if wanted is None or (address is not None and address.type not in (None, "pci")):
        return None
    try:
        children = execute("qom-list", {"path": PERIPHERALS})
        if not any(c.get("name") == ALIAS and c.get("type") == f"child<{wanted}>" for c in children):
            return None
        path = f"{PERIPHERALS}/{ALIAS}"
        if not any(p.get("name") == POLLING for p in execute("qom-list", {"path": path})):
            return None  # a QEMU whose balloon cannot poll (before 1.5): no statistics
    except QMPError:
        return None
    facts.balloon_path = path
    return path


def set_polling(execute: Execute, facts: RunFacts, balloon: Memballoon, period: int) -> bool:
    """Ask QEMU to poll the guest every ``period`` seconds (0: stop); False when the balloon cannot."""
    from virt_qemu.monitor import QMPError

    path = device_path(execute, facts, balloon)
    if path is None:
        return False
    try:
        execute("qom-set", {"path": path, "property": POLLING, "value": period})
    except QMPError:
        return False
    return True


def guest_stats(execute: Execute, facts: RunFacts, balloon: Memballoon) -> dict[str, Any] | None:
    """The guest's last report (``stats`` and ``last-update``), None when the balloon has no path or QEMU refuses."""
    from virt_qemu.monitor import QMPError

    path = device_path(execute, facts, balloon)
    if path is None:
        return None
    try:
        found = execute("qom-get", {"path": path, "property": GUEST_STATS})
    except QMPError:
        return None
    return found if isinstance(found, dict) else None

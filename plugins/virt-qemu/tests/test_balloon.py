"""How the balloon's QOM path is found and used (virt_qemu.balloon), against a stand-in monitor that
answers as QEMU 7.2 answers (qom-list of /machine/peripheral and of the balloon, qom-set, qom-get)."""

from __future__ import annotations

from typing import Any

import pytest
from virt.xml.devices import Address, Memballoon
from virt_qemu import balloon
from virt_qemu.monitor import QMPError
from virt_qemu.stats import RunFacts

PROPERTIES = [
    {"name": "guest-stats-polling-interval", "type": "int"},
    {"name": "guest-stats", "type": "guest statistics"},
]


class FakeMonitor:
    """Records the commands; ``device`` is the type of /machine/peripheral/balloon0 (None: no such child)."""

    def __init__(
        self, device: str | None = "virtio-balloon-pci", properties: list[dict[str, str]] = PROPERTIES
    ) -> None:
        self.device = device
        self.properties = properties
        self.calls: list[tuple[str, dict[str, Any] | None]] = []
        self.refuse: set[str] = set()

    def __call__(self, command: str, arguments: dict[str, Any] | None = None) -> Any:
        self.calls.append((command, arguments))
        if command in self.refuse:
            raise QMPError(f"{command}: refused")
        if command == "qom-list" and arguments == {"path": "/machine/peripheral"}:
            children = [{"name": "type", "type": "string"}]
            return children + ([{"name": "balloon0", "type": f"child<{self.device}>"}] if self.device else [])
        if command == "qom-list":
            return self.properties
        if command == "qom-get":
            return {"stats": {"stat-free-memory": 1 << 20}, "last-update": 5}
        return {}


def _balloon(model: str = "virtio", address_type: str | None = "pci") -> Memballoon:
    found = Memballoon()
    found.model = model
    if address_type is not None:
        found.address = Address()
        found.address.type = address_type
    return found


@pytest.mark.parametrize(
    ("model", "device"),
    [
        ("virtio", "virtio-balloon-pci"),
        ("virtio-transitional", "virtio-balloon-pci-transitional"),
        ("virtio-non-transitional", "virtio-balloon-pci-non-transitional"),
    ],
)
def test_the_path_is_the_peripheral_of_the_models_type(model: str, device: str) -> None:
    monitor, facts = FakeMonitor(device), RunFacts()
    assert balloon.device_path(monitor, facts, _balloon(model)) == "/machine/peripheral/balloon0"
    assert balloon.set_polling(monitor, facts, _balloon(model), 5)
    # looked up once per QEMU run, as libvirt keeps its balloonpath
    assert [c for c, _ in monitor.calls] == ["qom-list", "qom-list", "qom-set"]
    path, name, value = (monitor.calls[-1][1] or {}).values()
    assert (path, name, value) == ("/machine/peripheral/balloon0", "guest-stats-polling-interval", 5)
    assert balloon.guest_stats(monitor, facts, _balloon(model)) == {
        "stats": {"stat-free-memory": 1 << 20},
        "last-update": 5,
    }


@pytest.mark.parametrize(
    ("monitor", "memballoon"),
    [
        (FakeMonitor("virtio-balloon-pci-transitional"), _balloon("virtio")),  # another type under that id
        (FakeMonitor(None), _balloon()),
        (FakeMonitor(properties=[{"name": "guest-stats", "type": "guest statistics"}]), _balloon()),
        (FakeMonitor(), _balloon(address_type="ccw")),
        (FakeMonitor(), _balloon(model="xen")),
    ],
    ids=["wrong type", "no device", "no polling property", "not on PCI", "not virtio"],
)
def test_without_a_path_the_period_is_not_set_and_no_stats_read(monitor: FakeMonitor, memballoon: Memballoon) -> None:
    facts = RunFacts()
    assert balloon.device_path(monitor, facts, memballoon) is None
    assert not balloon.set_polling(monitor, facts, memballoon, 5)
    assert balloon.guest_stats(monitor, facts, memballoon) is None
    assert all(command == "qom-list" for command, _ in monitor.calls) and len(monitor.calls) <= 2


def test_qemu_refusing_the_period_is_a_failure_to_set_it() -> None:
    monitor, facts = FakeMonitor(), RunFacts()
    monitor.refuse = {"qom-set", "qom-get"}
    assert not balloon.set_polling(monitor, facts, _balloon(), 5)
    assert balloon.guest_stats(monitor, facts, _balloon()) is None

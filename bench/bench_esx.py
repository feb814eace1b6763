"""virt-esx against pyVmomi alone (the floor: our layer's overhead), on VMware's vSphere simulator.

One simulated ESX host with ``--vms`` (100) virtual machines, served on loopback over plain http
(the same simulator virt-esx's tests build from Debian's govmomi sources; Go is needed). Each side is
logged in before timing starts; each step is timed ``--runs`` times, the two sides taking turns (so
that a busy machine slows both alike), and the median kept. Before each of our runs the driver's VM
snapshot is dropped, as a new process (or a second's wait) finds it: every read goes to the server.

- list + state: ours ``conn.list_domains()`` then ``dom.state()`` of each (virt list --all); the floor,
  one RetrievePropertiesEx of every VM's name, UUID and power state, as pyVmomi users should write it
  (not pyVmomi's per-attribute reads, which cost one request per property).
- dominfo of each, fresh: ours ``dom.info()`` of each VM once the listing's snapshot has expired (so
  each is a request of its own, as a ``virt dominfo`` in a new process makes); the floor, one
  RetrievePropertiesEx per VM of power state, memory, processors and memory limit.
- list + state + dominfo, back to back, as a script runs them: both steps above in a row.

Target: ours within 1.5x of the floor for each.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

TARGET = 1.5
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "plugins" / "virt-esx" / "tests"))

INFO_PATHS = [
    "runtime.powerState",
    "config.hardware.memoryMB",
    "config.hardware.numCPU",
    "config.memoryAllocation.limit",
]


def timed(step: Callable[[], object], before: Callable[[], None] | None = None) -> float:
    if before is not None:
        before()
    start = time.perf_counter()
    step()
    return time.perf_counter() - start


def compare(
    ours: Callable[[], object], floor: Callable[[], object], runs: int, fresh: Callable[[], None]
) -> tuple[float, float]:
    """Median seconds of ``ours`` (each run after ``fresh()``) and of ``floor``, run in turns."""
    mine, theirs = [], []
    for _ in range(runs):
        theirs.append(timed(floor))
        mine.append(timed(ours, fresh))
    return statistics.median(mine), statistics.median(theirs)


class Floor:
    """pyVmomi alone: a logged-in stub and PropertyCollector requests written by hand."""

    def __init__(self, host: str, port: int, user: str, password: str) -> None:
        from pyVmomi import vim, vmodl
        from pyVmomi.SoapAdapter import SoapStubAdapter

        self.vim, self.pc = vim, vmodl.query.PropertyCollector
        stub = SoapStubAdapter(host=host, port=-port, version="vim.version.version11")
        self.content = vim.ServiceInstance("ServiceInstance", stub).RetrieveContent()
        self.content.sessionManager.Login(user, password, None)
        self.collector = self.content.propertyCollector
        datacenter = self.content.rootFolder.childEntity[0]
        folders = self.pc.TraversalSpec(name="f", type=vim.Folder, path="childEntity", skip=False,
                                        selectSet=[self.pc.SelectionSpec(name="f")])  # fmt: skip
        self.list_spec = self.pc.FilterSpec(
            objectSet=[self.pc.ObjectSpec(obj=datacenter.vmFolder, skip=True, selectSet=[folders])],
            propSet=[
                self.pc.PropertySpec(type=vim.VirtualMachine, pathSet=["name", "config.uuid", "runtime.powerState"])
            ],
        )
        self.vms: list[Any] = []

    def list_with_state(self) -> list[tuple[str, str, str]]:
        result = self.collector.RetrievePropertiesEx([self.list_spec], self.pc.RetrieveOptions())
        rows, self.vms = [], []
        while result is not None:
            for item in result.objects:
                props = {p.name: p.val for p in item.propSet}
                rows.append((props["name"], props["config.uuid"], props["runtime.powerState"]))
                self.vms.append(item.obj)
            result = self.collector.ContinueRetrievePropertiesEx(result.token) if result.token else None
        return rows

    def info_each(self) -> list[dict[str, Any]]:
        infos = []
        for vm in self.vms:
            spec = self.pc.FilterSpec(
                objectSet=[self.pc.ObjectSpec(obj=vm)],
                propSet=[self.pc.PropertySpec(type=self.vim.VirtualMachine, pathSet=INFO_PATHS)],
            )
            found = self.collector.RetrievePropertiesEx([spec], self.pc.RetrieveOptions()).objects[0]
            infos.append({p.name: p.val for p in found.propSet})
        return infos


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--vms", type=int, default=100)
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args()
    try:
        import virt
        from vcsim import SimulatorError, answer, build, running
    except ImportError as exc:
        print(f"bench_esx: skipped, virt-esx is not installed ({exc})")
        return 0
    try:
        binary = build()
    except SimulatorError as exc:
        print(f"bench_esx: skipped, no simulator: {exc}")
        return 0

    with running(binary, "esx", vms=args.vms) as simulator:
        floor = Floor(simulator.host, simulator.port, simulator.user, simulator.password)
        opened = time.perf_counter()
        conn = virt.open(simulator.uri(), auth=answer())
        open_time = time.perf_counter() - opened
        domains: list[Any] = []

        def ours_list() -> None:
            domains[:] = conn.list_domains()
            for domain in domains:
                domain.state()

        def ours_info() -> None:
            for domain in domains:
                domain.info()

        def ours_script() -> None:
            ours_list()
            ours_info()

        def fresh() -> None:
            conn.driver.server.snapshot.clear()  # type: ignore[attr-defined]  # outside the timing

        def floor_script() -> None:
            floor.list_with_state()
            floor.info_each()

        try:
            ours_list_time, floor_list = compare(ours_list, floor.list_with_state, args.runs, fresh)
            assert len(domains) == len(floor.vms) == args.vms
            ours_info_time, floor_info = compare(ours_info, floor.info_each, args.runs, fresh)
            ours_script_time, floor_script_time = compare(ours_script, floor_script, args.runs, fresh)
        finally:
            conn.close()

    rows = [
        (f"list + state ({args.vms} VMs)", ours_list_time, floor_list, True),
        (f"dominfo of each, fresh ({args.vms} requests)", ours_info_time, floor_info, True),
        ("list + state + dominfo, back to back", ours_script_time, floor_script_time, True),
    ]
    print(f"virt-esx vs pyVmomi alone on the vSphere simulator (ESX, {args.vms} VMs), median of {args.runs} runs")
    print(f"(virt.open with login: {open_time * 1000:.1f} ms, not counted)")
    print(f"{'step':<44}{'virt-esx':>11}{'pyVmomi':>11}{'ratio':>9}")
    worst = 0.0
    for name, ours_seconds, floor_seconds, counted in rows:
        ratio = ours_seconds / floor_seconds
        if counted:
            worst = max(worst, ratio)
        print(f"{name:<44}{ours_seconds * 1000:9.1f}ms{floor_seconds * 1000:9.1f}ms{ratio:8.2f}x")
    print(f"worst ratio {worst:.2f}x (target <= {TARGET}x) {'OK' if worst <= TARGET else 'OVER TARGET'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

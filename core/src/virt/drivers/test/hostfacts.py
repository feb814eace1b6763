"""libvirt 9.0's test driver's host facts: 32 virtual processors for any guest type, the free memory
of its NUMA cells and a canned SMBIOS <sysinfo> (its testConnectGetMaxVcpus, testNodeGet*FreeMemory,
testConnectGetSysinfo, testNodeGetCPUStats, testNodeGetFreePages, testConnectGetCPUModelNames: libvirt's CPU map).

The default host has two cells; cell i holds (i + 1) * 2 GiB of which (i + 1) GiB is free. The
test driver answers virNodeGetCellsFreeMemory with a cell's whole memory, not its free part, and
virNodeGetFreeMemory with the free parts' sum in KiB, not bytes: both are reproduced. A host loaded
from a node file has no cells.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from virt import cpumodels
from virt.drivers.test.errors import error
from virt.errors import ErrorDomain, ErrorNumber, InvalidArgument
from virt.hostfacts import FreePages

if TYPE_CHECKING:
    from collections.abc import Sequence

    from virt.drivers.test.host import Host

MAX_VCPUS = 32
CPU_STATS = (("user", 9797400000), ("kernel", 34678723400000), ("idle", 87264900000), ("iowait", 763600000))
"""The nanoseconds testNodeGetCPUStats reports for any processor, ever the same."""
_CELLS = 2
SYSINFO = """<sysinfo type='smbios'>
  <bios>
    <entry name='vendor'>LENOVO</entry>
    <entry name='version'>G4ETA1WW (2.61 )</entry>
    <entry name='date'>05/07/2014</entry>
    <entry name='release'>2.61</entry>
  </bios>
</sysinfo>
"""


def _cell_count(host: Host) -> int:
    return _CELLS if host.numa else 0


def _cell_memory(cell: int) -> int:
    return (cell + 1) * 2048 * 1024


def _cell_free(cell: int) -> int:
    return (cell + 1) * 1024 * 1024


class HostFactsOperations:
    """Host-fact methods of TestConnection."""

    host: Host

    def get_max_vcpus(self, virt_type: str | None) -> int:
        return MAX_VCPUS

    def get_node_free_memory(self) -> int:
        with self.host.lock:
            return sum(_cell_free(cell) for cell in range(_cell_count(self.host)))

    def get_node_cells_free_memory(self, start_cell: int, max_cells: int) -> list[int]:
        with self.host.lock:
            count = _cell_count(self.host)
        if start_cell >= count:
            raise error(ErrorNumber.INVALID_ARG, "Range exceeds available cells")
        return [_cell_memory(cell) for cell in range(start_cell, min(count, start_cell + max_cells))]

    def get_sysinfo(self, flags: int) -> str:
        if flags:
            raise InvalidArgument(
                f"unsupported flags (0x{flags:x}) in function testConnectGetSysinfo",
                ErrorNumber.INVALID_ARG,
                ErrorDomain.TEST,
            )
        return SYSINFO

    def get_node_cpu_stats(self, cpu: int, flags: int) -> list[tuple[str, int]]:
        if flags:
            raise InvalidArgument(
                f"unsupported flags (0x{flags:x}) in function testNodeGetCPUStats",
                ErrorNumber.INVALID_ARG,
                ErrorDomain.TEST,
            )
        return list(CPU_STATS)

    def get_node_free_pages(self, pages: Sequence[int], start_cell: int, cell_count: int, flags: int) -> FreePages:
        if flags:
            raise InvalidArgument(
                f"unsupported flags (0x{flags:x}) in function testNodeGetFreePages",
                ErrorNumber.INVALID_ARG,
                ErrorDomain.TEST,
            )
        # made-up counts, whatever the sizes and cells: 19, 45, 97... (each twice the last and 7)
        counts = []
        count = 6
        for _ in range(cell_count * len(pages)):
            count = count * 2 + 7
            counts.append(count)
        return FreePages(counts, 0)

    def get_cpu_model_names(self, arch: str, flags: int) -> list[str]:
        if flags:
            raise InvalidArgument(
                f"unsupported flags (0x{flags:x}) in function testConnectGetCPUModelNames",
                ErrorNumber.INVALID_ARG,
                ErrorDomain.TEST,
            )
        return cpumodels.models(arch, ErrorDomain.TEST)

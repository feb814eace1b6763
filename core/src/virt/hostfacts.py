"""Host facts' rules shared by every driver: what libvirt's public API checks before a driver sees
virNodeGetCellsFreeMemory or virNodeGetCPUStats (libvirt-host.c, whose errors belong to no domain and, as libvirt's
argument checks word them, carry no "invalid argument: " prefix)."""

from __future__ import annotations

import attrs

from virt.errors import ErrorDomain, ErrorNumber, InvalidArgument

_API = "virNodeGetCellsFreeMemory"


def check_cells(start_cell: int, max_cells: int) -> None:
    """libvirt's argument checks: a positive count of cells, a start that is not negative."""
    if max_cells <= 0:
        raise InvalidArgument(
            f"maxCells in {_API} must be greater than zero", ErrorNumber.INVALID_ARG, ErrorDomain.NONE
        )
    if start_cell < 0:
        raise InvalidArgument(f"startCell in {_API} must be zero or greater", ErrorNumber.INVALID_ARG, ErrorDomain.NONE)


def check_cpu(cpu: int) -> None:
    """virNodeGetCPUStats' check: a processor number, or -1 for all of them."""
    if cpu < -1:
        raise InvalidArgument(
            "cpuNum in virNodeGetCPUStats only accepts -1 as a negative value",
            ErrorNumber.INVALID_ARG,
            ErrorDomain.NONE,
        )


def check_memory_cell(cell: int) -> None:
    """virNodeGetMemoryStats' check: a cell number, or -1 for the whole host."""
    if cell < -1:
        raise InvalidArgument(
            "cellNum in virNodeGetMemoryStats only accepts -1 as a negative value",
            ErrorNumber.INVALID_ARG,
            ErrorDomain.NONE,
        )


@attrs.frozen
class FreePages:
    """virNodeGetFreePages' answer: the counts it filled (page size after page size, cell after
    cell) and the number it returned, which callers read as how many counts hold data (libvirt's
    test driver fills them all and returns 0)."""

    counts: list[int]
    returned: int


def check_free_pages(pages: list[int], cell_count: int) -> None:
    """virNodeGetFreePages' checks: some page sizes, some cells."""
    if not pages:
        raise InvalidArgument(
            "npages in virNodeGetFreePages must not be zero", ErrorNumber.INVALID_ARG, ErrorDomain.DOMAIN
        )
    if cell_count == 0:
        raise InvalidArgument(
            "cellCount in virNodeGetFreePages must not be zero", ErrorNumber.INVALID_ARG, ErrorDomain.DOMAIN
        )

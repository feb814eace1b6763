"""Host facts' rules shared by every driver: what libvirt's public API checks before a driver sees
virNodeGetCellsFreeMemory or virNodeGetCPUStats (libvirt-host.c, whose errors belong to no domain and, as libvirt's
argument checks word them, carry no "invalid argument: " prefix)."""

from __future__ import annotations

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

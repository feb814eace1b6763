"""``domjobinfo``'s layout of a job's statistics, as virsh 9.0 prints them (cmdDomjobinfo): the
figures a migration (or save, dump...) reports, each on its line with virsh's label, padding and
units; statistics virsh does not know are not shown, as by virsh."""

from __future__ import annotations

from collections.abc import Callable

from virt.domainstats import JobInfo, JobType

_OPERATIONS = (
    "Unknown", "Start", "Save", "Restore", "Incoming migration", "Outgoing migration", "Snapshot",
    "Snapshot revert", "Dump", "Backup", "Snapshot delete",
)  # fmt: skip
"""virDomainJobOperation's words in virsh."""


def pretty(value: int) -> str:
    """vshPrettyCapacity with virsh's three decimals: ``61.326 MiB``, ``0.000 B``."""
    from virt.cli.commands.storage import pretty_capacity

    return pretty_capacity(value, 3)


def _line(label: str, value: str) -> str:
    return f"{label:<17} {value}"


def job_lines(job: JobInfo) -> list[str]:
    """The lines virsh prints for ``job``."""
    lines = [_line("Job type:", f"{job.type.label:<12}")]
    if job.type is JobType.NONE:
        return lines
    stats = {p.field: p.value for p in job.params}

    def number(field: str) -> int | None:
        value = stats.get(field)
        return int(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None

    def add(label: str, field: str, show: Callable[[int], str], *, nonzero: bool = False) -> None:
        value = number(field)
        if value is not None and (value or not nonzero):
            lines.append(_line(label, show(value)))

    def count(unit: str = "") -> Callable[[int], str]:
        return lambda value: f"{value:<12} {unit}" if unit else f"{value:<12}"

    operation = number("operation")
    if operation is not None:
        lines.append(
            _line("Operation:", f"{_OPERATIONS[operation] if operation < len(_OPERATIONS) else 'Unknown':<12}")
        )
    lines.append(_line("Time elapsed:", f"{job.time_elapsed:<12} ms"))
    add("Time elapsed w/o network:", "time_elapsed_net", count("ms"))
    if job.type is JobType.BOUNDED:
        lines.append(_line("Time remaining:", f"{job.time_remaining:<12} ms"))
    if job.data_total or job.data_remaining or job.data_processed:
        lines.append(_line("Data processed:", pretty(job.data_processed)))
        lines.append(_line("Data remaining:", pretty(job.data_remaining)))
        lines.append(_line("Data total:", pretty(job.data_total)))
    if job.mem_total or job.mem_remaining or job.mem_processed:
        lines.append(_line("Memory processed:", pretty(job.mem_processed)))
        lines.append(_line("Memory remaining:", pretty(job.mem_remaining)))
        lines.append(_line("Memory total:", pretty(job.mem_total)))
        # virsh leaves out a bandwidth of 0 (a migration too short to measure one)
        add("Memory bandwidth:", "memory_bps", lambda value: f"{pretty(value)}/s", nonzero=True)
        add("Dirty rate:", "memory_dirty_rate", count("pages/s"))
        add("Page size:", "memory_page_size", count("bytes"))
        add("Iteration:", "memory_iteration", count())
        add("Postcopy requests:", "memory_postcopy_requests", count())
        add("Constant pages:", "memory_constant", count())
        add("Normal pages:", "memory_normal", count())
        add("Normal data:", "memory_normal_bytes", pretty)
    if job.file_total or job.file_remaining or job.file_processed:
        lines.append(_line("File processed:", pretty(job.file_processed)))
        lines.append(_line("File remaining:", pretty(job.file_remaining)))
        lines.append(_line("File total:", pretty(job.file_total)))
    running = job.type in (JobType.BOUNDED, JobType.UNBOUNDED)
    add("Expected downtime:" if running else "Total downtime:", "downtime", count("ms"))
    add("Downtime w/o network:", "downtime_net", count("ms"))
    add("Setup time:", "setup_time", count("ms"))
    add("Auto converge throttle:", "auto_converge_throttle", lambda value: f"{value:<12} %")
    error = stats.get("errmsg")
    if isinstance(error, str):
        lines.append(_line("Error message:", error))
    return lines

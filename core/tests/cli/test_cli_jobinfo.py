"""virt.cli.jobinfo: the lines of ``domjobinfo`` as virsh prints them."""

from __future__ import annotations

from virt.cli.jobinfo import job_lines
from virt.domainstats import JobInfo, JobType, ParamType, TypedParameter


def _job(bps: int) -> JobInfo:
    params = tuple(
        TypedParameter(field, ParamType.ULLONG, value)
        for field, value in (
            ("memory_total", 1 << 20),
            ("memory_processed", 1 << 20),
            ("memory_bps", bps),
            ("memory_page_size", 4096),
        )
    )
    return JobInfo.from_stats(JobType.COMPLETED, params)


def test_a_memory_bandwidth_of_zero_is_left_out_as_virsh_does() -> None:
    assert "Memory bandwidth: 0.000 B/s" not in job_lines(_job(0))
    assert any(line.startswith("Memory bandwidth: 2.000 KiB/s") for line in job_lines(_job(2048)))
    assert any(line.startswith("Page size:") for line in job_lines(_job(0)))

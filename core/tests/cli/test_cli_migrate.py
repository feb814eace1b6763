"""virt migrate and its companions on the test driver, which migrates nothing: the options refused
before any host is asked, in virsh's words, and the driver's refusal otherwise."""

from __future__ import annotations

import pytest
from cli_helpers import Run


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (
            ["--timeout-suspend", "--timeout-postcopy"],
            "Options --timeout-suspend and --timeout-postcopy are mutually exclusive",
        ),
        (["--stall-postcopy"], "option --stall-postcopy requires option --stall-timeout"),
        (["--direct"], "Requested operation is not valid: direct migration is not supported by the source host"),
        (["--timeout", "5"], "migrate: Unexpected timeout for offline migration"),
        (["--live", "--timeout", "x"], "Numeric value 'x' for <timeout> option is malformed or out of range"),
        (
            ["--live", "--stall-timeout", "0"],
            "Numeric value '0' for <stall-timeout> option is malformed or out of range",
        ),
        (["--live", "--timeout-postcopy"], "--timeout-postcopy requires --postcopy"),
    ],
)
def test_migrate_options_refused(virt: Run, options: list[str], message: str) -> None:
    result = virt("migrate", "test", "test:///default", *options)
    assert result.status == 1
    assert f"error: {message}" in result.err


def test_migrate_with_a_driver_that_does_not_migrate(virt: Run) -> None:
    result = virt("migrate", "--live", "--p2p", "test", "qemu+tcp://elsewhere/system")
    assert result.status == 1
    assert "this function is not supported by the connection driver" in result.err
    assert "migrate_perform" in result.err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["migrate-setspeed", "test", "-1"], "Numeric value '-1' for <bandwidth> option is malformed or out of range"),
        (["migrate-setmaxdowntime", "test", "0"], "migrate: Invalid downtime"),
        (["migrate-getspeed", "test"], "migrate_get_max_speed"),
        (["domjobabort", "test"], "abort_domain_job"),
    ],
)
def test_tunables(virt: Run, argv: list[str], message: str) -> None:
    result = virt(*argv)
    assert result.status == 1
    assert message in result.err

"""The README's demo: a domain's whole life on test:///default, through the CLI."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

DEMO = Path(__file__).resolve().parents[2] / "demo" / "demo.py"


def test_demo_runs_every_step() -> None:
    result = subprocess.run([sys.executable, str(DEMO)], capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    for line in (
        "Domain 'demo' defined from",
        "Domain 'demo' started",
        " 2    demo   running",
        "Domain 'demo' suspended",
        "paused (user)",
        "Domain 'demo' resumed",
        "Domain 'demo' destroyed",
        "Domain 'demo' has been undefined",
    ):
        assert line in out
    assert out.rstrip().endswith(" 1    test   running"), "the demo domain is gone at the end"

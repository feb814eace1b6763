"""The ``virt`` console script in a real process."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

VIRT = shutil.which("virt", path=str(Path(sys.executable).parent))

pytestmark = pytest.mark.skipif(VIRT is None, reason="the virt console script is not installed (pip install -e core)")


def run(*argv: str) -> subprocess.CompletedProcess[str]:
    assert VIRT is not None
    return subprocess.run([VIRT, *argv], capture_output=True, text=True, timeout=60)


def test_list_all() -> None:
    result = run("-c", "test:///default", "list", "--all")
    assert (result.returncode, result.stdout, result.stderr) == (
        0,
        " Id   Name   State\n----------------------\n 1    test   running\n\n",
        "",
    )


@pytest.mark.parametrize(
    "argv",
    [("-c", "bogus:///", "list"), ("-c", "test:///default", "dominfo", "nope"), ("nonsense",), ("list", "--what")],
)
def test_errors_have_no_traceback(argv: tuple[str, ...]) -> None:
    result = run(*argv)
    assert result.returncode == 1
    assert result.stderr.startswith("error: ")
    assert "Traceback" not in result.stderr


def test_closed_pipe_is_quiet() -> None:
    assert VIRT is not None
    process = subprocess.Popen(
        [VIRT, "-c", "test:///default", "; ".join(["help"] * 300)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None and process.stderr is not None
    process.stdout.close()
    assert process.wait(timeout=60) == 1
    assert process.stderr.read() == ""

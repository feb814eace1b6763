"""Shell completion through argcomplete: command names, options and domain names."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from virt.cli.registry import complete_domains, complete_files, complete_networks, complete_pools

VIRT = shutil.which("virt", path=str(Path(sys.executable).parent)) or "virt"


def test_completers_list_names() -> None:
    import argparse

    args = argparse.Namespace(connect="test:///default")
    assert complete_domains("t", parsed_args=args) == ["test"]
    assert complete_networks("", parsed_args=args) == ["default"]
    assert complete_pools("def", parsed_args=args) == ["default-pool"]
    assert complete_domains("", parsed_args=argparse.Namespace(connect="nope:///")) == []


def test_complete_files(tmp_path: Path) -> None:
    (tmp_path / "vm.xml").write_text("")
    (tmp_path / "vms").mkdir()
    assert complete_files(f"{tmp_path}/vm") == [f"{tmp_path}/vm.xml", f"{tmp_path}/vms/"]


def _complete(line: str, tmp_path: Path) -> list[str]:
    pytest.importorskip("argcomplete")
    out = tmp_path / "completions"
    env = dict(
        os.environ,
        _ARGCOMPLETE="1",
        _ARGCOMPLETE_IFS="\n",
        COMP_LINE=line,
        COMP_POINT=str(len(line)),
        COMP_TYPE="9",
        _ARGCOMPLETE_STDOUT_FILENAME=str(out),
    )
    subprocess.run([VIRT], env=env, check=True, capture_output=True, timeout=60)
    return out.read_text().split("\n")


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("virt -c test:///default domxml", ["domxml-from-native", "domxml-to-native"]),
        ("virt -c test:///default dominfo t", ["test"]),
        ("virt -c test:///default vol-list def", ["default-pool"]),
        ("virt -c test:///default net-dumpxml d", ["default"]),
        ("virt -c test:///default domstate test --re", ["--reason"]),
        ("virt -c test:///default event --event pm-", ["pm-suspend", "pm-suspend-disk", "pm-wakeup"]),
    ],
)
def test_shell_completion(line: str, expected: list[str], tmp_path: Path) -> None:
    assert sorted(c.strip() for c in _complete(line, tmp_path)) == expected


def test_command_names_complete_from_the_registry(tmp_path: Path) -> None:
    from virt.cli.main import load_commands

    wanted = sorted(name for name in load_commands().names() if name.startswith("dom"))
    assert {"domid", "dominfo", "domstate", "domuuid"} <= set(wanted)
    assert sorted(c.strip() for c in _complete("virt -c test:///default dom", tmp_path)) == wanted

"""The VMware Workstation stand-ins (``vmware_standin.py``) installed for a test, and stock virsh
and ``virt`` run on the same steps beside them.

``StandIns`` copies the stand-in under each tool's name into a folder put first on PATH (copies,
not links: libvirt resolves vmrun's links and runs ``vmware -v`` from the folder vmrun really lies
in), keeps the stand-ins' state and virt's own state folder (``VIRT_VMWARE_ROOT``) under the test's
folder, and reads back what the tools were asked. On exit, the processes standing for running VMs
are ended, by the pids the stand-in recorded.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from virt.testing import VIRSH, need_virsh

STANDIN = Path(__file__).with_name("vmware_standin.py")
TOOLS = ("vmrun", "vmware", "vmplayer", "vmware-vmx")
VIRT = Path(sys.executable).parent / "virt"


class StandIns:
    """The stand-in tools of one test: ``bin`` (first on PATH), ``state``, and virt's state root."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.bin = folder / "bin"
        self.state = folder / "standin"
        self.virt_root = folder / "virt"
        self.bin.mkdir(parents=True)
        for tool in TOOLS:
            shutil.copy(STANDIN, self.bin / tool)
            (self.bin / tool).chmod(0o755)

    def env(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("PATH", f"{self.bin}{os.pathsep}{os.environ['PATH']}")
        monkeypatch.setenv("VMWARE_STANDIN_STATE", str(self.state))
        monkeypatch.setenv("VIRT_VMWARE_ROOT", str(self.virt_root))

    def calls(self) -> list[list[str]]:
        """Every call so far: the tool's name, then its arguments."""
        log = self.state / "calls.jsonl"
        return [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []

    def clear_calls(self) -> None:
        (self.state / "calls.jsonl").unlink(missing_ok=True)

    def vms(self) -> dict[str, dict[str, object]]:
        table = self.state / "vms.json"
        return json.loads(table.read_text()) if table.exists() else {}

    def end_vms(self) -> None:
        """End the processes standing for VMs still running (by their recorded pids only): the VMs
        are powered off, as if the host had stopped them."""
        for vm in self.vms().values():
            pid = vm.get("pid")
            if isinstance(pid, int):
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGCONT)
                    os.kill(pid, signal.SIGKILL)


@contextlib.contextmanager
def stand_ins(folder: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[StandIns]:
    tools = StandIns(folder)
    tools.env(monkeypatch)
    try:
        yield tools
    finally:
        tools.end_vms()


def vm_xml(folder: Path, name: str = "vm1", *, graphics: str = "") -> str:
    """A small VMware domain whose first disk (so its .vmx) lies in ``folder``."""
    disk = f"<disk type='file' device='disk'><source file='{folder}/{name}.vmdk'/><target dev='sda' bus='scsi'/></disk>"
    nic = "<interface type='bridge'><mac address='00:50:56:11:22:33'/><source bridge='vmnet1'/></interface>"
    return (
        f"<domain type='vmware'><name>{name}</name><uuid>564d1111-2222-3333-4444-5555666677{len(name):02d}</uuid>"
        "<memory unit='KiB'>524288</memory><vcpu>1</vcpu><os><type arch='x86_64'>hvm</type></os>"
        f"<devices>{disk}{nic}{graphics}</devices></domain>"
    )


def run(program: str, uri: str, commands: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """``PROGRAM -c URI COMMANDS`` (several commands separated by ``;`` share one connection)."""
    return subprocess.run([program, "-c", uri, commands], capture_output=True, text=True, timeout=timeout, check=False)


def virsh(uri: str, commands: str) -> subprocess.CompletedProcess[str]:
    need_virsh()
    return run(VIRSH, uri, commands)


def virt(uri: str, commands: str) -> subprocess.CompletedProcess[str]:
    program = str(VIRT) if VIRT.exists() else "virt"
    return run(program, uri, commands)


def pids_in_logs(folder: Path) -> set[str]:
    """The pids the stand-in wrote into the vmware.log files under ``folder`` (every rotation)."""
    found = set()
    for log in folder.rglob("vmware*.log"):
        match = re.search(r" pid=(\d+) ", log.read_text().splitlines()[0])
        if match:
            found.add(match.group(1))
    return found


def without_pids(text: str, pids: set[str]) -> str:
    """``text`` with each VM process's pid (domain ids) written as PID, so two runs compare."""
    for pid in sorted(pids, key=len, reverse=True):
        text = re.sub(rf"\b{pid}\b", "PID", text)
    # table columns are as wide as the ids in them: compare the cells, not the padding
    return re.sub(r"[ -]{2,}", " ", text)

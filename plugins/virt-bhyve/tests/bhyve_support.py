"""What the driver's tests share: the stand-in bhyve host, the ``virt`` CLI on ``bhyve:///system`` in
subprocesses (each one an owner of the driver's state, as a user's commands are), domain XML, waits."""

from __future__ import annotations

import contextlib
import json
import os
import select
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import attrs

STANDINS = Path(__file__).parent / "standins"
VIRT = [sys.executable, "-m", "virt.cli.main"]
PROBES = {
    ("bhyve", "-h"),
    ("bhyve", "-s", "0,ahci"),
    ("bhyve", "-s", "0,e1000"),
    ("bhyve", "-l", "bootrom"),
    ("bhyve", "-s", "0,fbuf"),
    ("bhyve", "-s", "0,xhci"),
    ("bhyve", "-s", "0,hda"),
    ("bhyve", "-s", "0,fbuf,password="),
    ("bhyve", "-s", "0,virtio-9p"),
    ("grub-bhyve", "--help"),
}
"""The capability probe's calls (libvirt's, bhyve_capabilities.c), made once by each owner."""


@attrs.frozen
class BhyveHost:
    """The stand-in host under ``base``."""

    base: Path

    @property
    def bin(self) -> Path:
        return self.base / "bin"

    @property
    def root(self) -> Path:
        return self.base / "host"

    @property
    def dev(self) -> Path:
        return self.root / "dev"

    @property
    def state(self) -> Path:
        return self.base / "state"

    def env(self) -> dict[str, str]:
        return {
            "PATH": f"{self.bin}{os.pathsep}{os.environ.get('PATH', '')}",
            "BHYVE_STANDIN_ROOT": str(self.root),
            "VIRT_BHYVE_DEV": str(self.dev),
            "VIRT_BHYVE_ROOT": str(self.state),
            "VIRT_DAEMON": "never",
        }

    def calls(self, *, probes: bool = False) -> list[list[str]]:
        """Every call of a stand-in so far (the probe's left out unless ``probes``)."""
        path = self.root / "calls.jsonl"
        found = [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []
        return [call for call in found if probes or tuple(call) not in PROBES]

    def forget_calls(self) -> None:
        (self.root / "calls.jsonl").write_text("")

    def interfaces(self) -> dict[str, dict[str, object]]:
        path = self.root / "interfaces.json"
        found: dict[str, dict[str, object]] = json.loads(path.read_text()) if path.exists() else {}
        return found

    def vms(self) -> list[str]:
        folder = self.dev / "vmm"
        return sorted(p.name for p in folder.iterdir()) if folder.exists() else []

    def bhyve_pid(self, name: str) -> int | None:
        """The pid of the stand-in bhyve running ``name`` (its process title ``bhyve: NAME``)."""
        done = subprocess.run(
            ["ps", "-ww", "-e", "-o", "pid=", "-o", "command="], capture_output=True, text=True, check=False
        )
        for line in done.stdout.splitlines():
            pid, _, command = line.strip().partition(" ")
            if command.startswith(f"bhyve: {name} ") and str(self.bin) in command:
                return int(pid)
        return None

    def end_guests(self) -> None:
        """Kill every stand-in bhyve of this host still running (a test that failed half-way)."""
        done = subprocess.run(
            ["ps", "-ww", "-e", "-o", "pid=", "-o", "command="], capture_output=True, text=True, check=False
        )
        for line in done.stdout.splitlines():
            pid, _, command = line.strip().partition(" ")
            if command.startswith("bhyve: ") and str(self.bin) in command:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(int(pid), signal.SIGKILL)

    def disk(self, name: str = "disk.img") -> Path:
        path = self.base / name
        if not path.exists():
            with path.open("wb") as file:
                file.truncate(1 << 20)
        return path


def make_host(base: Path) -> BhyveHost:
    host = BhyveHost(base)
    host.bin.mkdir(parents=True)
    for tool in STANDINS.iterdir():
        if tool.is_file():
            shutil.copy2(tool, host.bin / tool.name)
    host.root.mkdir()
    host.dev.mkdir()
    return host


def guest_xml(host: BhyveHost, name: str = "bsd1", *, uuid: str | None = None, nmdm: str = "0") -> str:
    """A FreeBSD guest booted by bhyveload: one SATA disk, one virtio NIC on bridge0, com1 on nmdm."""
    uuid_line = f"<uuid>{uuid}</uuid>" if uuid else ""
    return f"""<domain type='bhyve'>
  <name>{name}</name>{uuid_line}
  <memory unit='MiB'>256</memory>
  <vcpu>1</vcpu>
  <os><type>hvm</type></os>
  <devices>
    <disk type='file' device='disk'>
      <driver name='file' type='raw'/>
      <source file='{host.disk()}'/>
      <target dev='hda' bus='sata'/>
    </disk>
    <interface type='bridge'>
      <mac address='52:54:00:b9:94:02'/>
      <source bridge='bridge0'/>
      <model type='virtio'/>
    </interface>
    <serial type='nmdm'><source master='/dev/nmdm{nmdm}A' slave='/dev/nmdm{nmdm}B'/></serial>
  </devices>
</domain>
"""


@attrs.frozen
class Cli:
    """``virt -c URI ...`` in a subprocess, against ``host``."""

    host: BhyveHost
    uri: str = "bhyve:///system"

    def run(self, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
        env = {**os.environ, **self.host.env()}
        return subprocess.run(
            [*VIRT, "-c", self.uri, *args], capture_output=True, text=True, timeout=timeout, env=env, check=False
        )

    def ok(self, *args: str, timeout: float = 60) -> str:
        done = self.run(*args, timeout=timeout)
        assert done.returncode == 0, f"virt {' '.join(args)} exited {done.returncode}: {done.stderr}{done.stdout}"
        return done.stdout

    def state(self, name: str = "bsd1") -> str:
        return self.ok("domstate", name).strip()


def wait_for(what: str, check: Callable[[], bool], timeout: float = 30.0, step: float = 0.1) -> None:
    """Until ``check()`` is true; AssertionError naming ``what`` after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(step)


def read_until(sock: socket.socket, wanted: bytes, timeout: float = 10.0) -> bytes:
    """What the console says until ``wanted`` (AssertionError after ``timeout`` seconds or its end)."""
    seen = b""
    deadline = time.monotonic() + timeout
    while wanted not in seen:
        left = deadline - time.monotonic()
        assert left > 0 and select.select([sock], [], [], left)[0], f"no {wanted!r} on the console: {seen!r}"
        data = sock.recv(4096)
        assert data, f"console ended before {wanted!r}: {seen!r}"
        seen += data
    return seen

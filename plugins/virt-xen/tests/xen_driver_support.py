"""What the driver's tests share: the ``virt`` CLI on a ``xen+ssh://`` URI in subprocesses (each
one an owner of the driver's state, as a user's commands are), the PV guest's domain XML, waits."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import attrs
from xenhost import PV_INITRD, PV_KERNEL, PV_MEMORY_MIB, XenHost

VIRT = [sys.executable, "-m", "virt.cli.main"]
GUEST = "xpv"


def pv_domain_xml(
    name: str = GUEST, *, memory_mib: int = PV_MEMORY_MIB, vcpus: int = 2, uuid: str | None = None
) -> str:
    """The test host's PV guest as domain XML: its kernel and initramfs in dom0, its console on hvc0."""
    uuid_line = f"<uuid>{uuid}</uuid>" if uuid else ""
    return f"""<domain type='xen'>
  <name>{name}</name>{uuid_line}
  <memory unit='MiB'>{memory_mib}</memory>
  <vcpu>{vcpus}</vcpu>
  <os>
    <type arch='x86_64' machine='xenpv'>linux</type>
    <kernel>{PV_KERNEL}</kernel>
    <initrd>{PV_INITRD}</initrd>
    <cmdline>console=hvc0 quiet</cmdline>
  </os>
  <on_poweroff>destroy</on_poweroff>
  <on_reboot>restart</on_reboot>
  <on_crash>destroy</on_crash>
  <devices>
    <console type='pty'><target type='xen' port='0'/></console>
  </devices>
</domain>
"""


@attrs.frozen
class Cli:
    """``virt -c URI ...`` in a subprocess, with the driver's local state under ``root``."""

    uri: str
    root: Path

    def env(self) -> dict[str, str]:
        return {**os.environ, "VIRT_XEN_ROOT": str(self.root), "VIRT_DAEMON": "never"}

    def run(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*VIRT, "-c", self.uri, *args], capture_output=True, text=True, timeout=timeout, env=self.env(), check=False
        )

    def ok(self, *args: str, timeout: float = 120) -> str:
        done = self.run(*args, timeout=timeout)
        assert done.returncode == 0, f"virt {' '.join(args)} exited {done.returncode}: {done.stderr}{done.stdout}"
        return done.stdout

    def state(self, name: str = GUEST) -> str:
        return self.ok("domstate", name).strip()


def xl_domains(host: XenHost) -> dict[str, tuple[int, str]]:
    """``xl list`` in dom0: each domain's id and state letters, by name."""
    found: dict[str, tuple[int, str]] = {}
    for line in host.run("xl list").stdout.splitlines()[1:]:
        match = re.match(r"^(\S+)\s+(\d+)\s+\d+\s+\d+\s+([-rbpscd]{6})", line)
        if match:
            found[match[1]] = (int(match[2]), match[3])
    return found


def wait_for(what: str, check: Callable[[], bool], timeout: float = 90.0, step: float = 0.5) -> None:
    """Until ``check()`` is true; AssertionError naming ``what`` after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(step)

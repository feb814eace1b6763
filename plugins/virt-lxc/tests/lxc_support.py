"""Domain XML for test containers, their init, and small helpers (importable: pytest puts this folder on sys.path)."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from pathlib import Path
from xml.etree import ElementTree as ET

import virt
from virt.cli.main import main

BOOTED = "VIRT-LXC-BOOTED"

TEST_INIT = """#!/bin/sh
# The test containers' init: says it booted, obeys SIGTERM (power off) and SIGHUP (reboot through
# reboot(2), which ends the PID namespace's init with SIGHUP), runs what the console says.
trap 'echo "init: TERM"; exit 0' TERM
trap 'echo "init: HUP"; reboot -f' HUP
echo "VIRT-LXC-BOOTED host=$(hostname) pid=$$"
( while read -r line; do eval "$line"; done ) </dev/console >/dev/console 2>&1 &
while true; do sleep 1 & wait $!; done
"""


def install_init(root: Path) -> str:
    """Write the test init into ``root``; its path inside the container."""
    path = root / "sbin" / "testinit"
    path.write_text(TEST_INIT)
    path.chmod(0o755)
    return "/sbin/testinit"


def domain_xml(
    name: str,
    root: Path | None,
    *,
    init: str = "/sbin/testinit",
    args: Sequence[str] = (),
    memory_mib: int = 64,
    consoles: int = 1,
    interfaces: Sequence[str] = (),
    filesystems: Sequence[str] = (),
    features: str = "",
    top: str = "",
    on_reboot: str | None = None,
) -> str:
    """A container: ``root`` (None: the host's) as /, the given raw XML fragments added in place."""
    domain = ET.Element("domain", type="lxc")
    ET.SubElement(domain, "name").text = name
    ET.SubElement(domain, "memory", unit="MiB").text = str(memory_mib)
    os_el = ET.SubElement(domain, "os")
    ET.SubElement(os_el, "type").text = "exe"
    ET.SubElement(os_el, "init").text = init
    for arg in args:
        ET.SubElement(os_el, "initarg").text = arg
    for fragment in (top,) if top else ():
        for el in ET.fromstring(f"<x>{fragment}</x>"):
            domain.append(el)
    if features:
        domain.append(ET.fromstring(f"<features>{features}</features>"))
    if on_reboot:
        ET.SubElement(domain, "on_reboot").text = on_reboot
    devices = ET.SubElement(domain, "devices")
    if root is not None:
        fs = ET.SubElement(devices, "filesystem", type="mount")
        ET.SubElement(fs, "source", dir=str(root))
        ET.SubElement(fs, "target", dir="/")
    for fragment in (*filesystems, *interfaces):
        devices.append(ET.fromstring(fragment))
    for _ in range(consoles):
        ET.SubElement(devices, "console", type="pty")
    return ET.tostring(domain, encoding="unicode")


def wait_until(predicate: Callable[[], object], timeout: float = 10.0, what: str = "the condition") -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")
        time.sleep(0.02)


def enter(name: str, *argv: str) -> int:
    """``virt -c lxc:/// lxc-enter-namespace NAME -- ARGV`` in this process (its output on fd 1)."""
    return main(["-c", "lxc:///", "lxc-enter-namespace", name, "--", *argv])


def state(domain: virt.Domain) -> str:
    return domain.state().state.label


class Console:
    """A console session: bytes read so far, and waiting for some text to show up."""

    def __init__(self, domain: virt.Domain, device: str | None = None) -> None:
        self.sock = domain.open_console(device)
        self.sock.settimeout(0.2)
        self.seen = b""

    def send(self, text: str) -> None:
        self.sock.sendall(text.encode())

    def expect(self, text: str, timeout: float = 10.0) -> str:
        deadline = time.monotonic() + timeout
        while text.encode() not in self.seen:
            if time.monotonic() > deadline:
                raise AssertionError(f"{text!r} did not show up on the console; it showed {self.seen[-500:]!r}")
            try:
                chunk = self.sock.recv(65536)
            except TimeoutError:
                continue
            if not chunk:
                raise AssertionError(f"the console closed before {text!r} showed up; it showed {self.seen[-500:]!r}")
            self.seen += chunk
        return self.seen.decode(errors="replace")

    def close(self) -> None:
        self.sock.close()


def wait_ready(conn: virt.Connection, name: str) -> None:
    """Until the test init has its TERM and HUP handlers: a PID 1 without one ignores those signals."""
    driver = conn.driver.lxc  # type: ignore[attr-defined]

    def handles() -> bool:
        running = driver.by_name(name).running
        if running is None:
            return False
        try:
            status = Path(f"/proc/{running.init_pid}/status").read_text()
        except OSError:
            return False
        caught = int(next(line for line in status.splitlines() if line.startswith("SigCgt:")).split()[1], 16)
        return bool(caught & (1 << 0) and caught & (1 << 14))  # SIGHUP is 1, SIGTERM 15

    wait_until(handles, what=f"the init of {name} to handle SIGTERM and SIGHUP")

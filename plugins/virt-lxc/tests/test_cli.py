"""The virt command line with lxc:///: console, lxc-enter-namespace, the usual domain commands."""

from __future__ import annotations

import os
import pty
import select
import subprocess
import sys
import time
from pathlib import Path

import pytest
import virt
from lxc_support import domain_xml, install_init, wait_ready
from virt.cli.main import main

VIRT = [sys.executable, "-m", "virt.cli.main", "-c", "lxc:///"]


def read_until(fd: int, text: bytes, seen: bytearray, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while text not in seen:
        ready, _, _ = select.select([fd], [], [], max(0.0, deadline - time.monotonic()))
        if not ready:
            raise AssertionError(f"{text!r} did not come; got {bytes(seen)[-400:]!r}")
        try:
            chunk = os.read(fd, 4096)
        except OSError:
            chunk = b""
        if not chunk:
            raise AssertionError(f"the terminal closed before {text!r}; got {bytes(seen)[-400:]!r}")
        seen += chunk


def test_virt_console_on_a_terminal(lxc_root: Path, rootfs: Path) -> None:
    install_init(rootfs)
    with virt.open("lxc:///") as conn:
        conn.define_domain(domain_xml("tty", rootfs)).start()
        wait_ready(conn, "tty")
    # this process let go of the driver: the virt command becomes its owner, takes the container back
    leader, follower = pty.openpty()
    process = subprocess.Popen([*VIRT, "console", "tty"], stdin=follower, stdout=follower, stderr=follower)
    os.close(follower)
    seen = bytearray()
    try:
        read_until(leader, b"Escape character is ^] (Ctrl + ])", seen)
        assert b"Connected to domain 'tty'" in seen
        os.write(leader, b"echo via-virt-console-$((6*7))\r")
        read_until(leader, b"via-virt-console-42", seen)
        os.write(leader, b"\x1d")
        assert process.wait(20) == 0
    finally:
        if process.poll() is None:
            process.kill()
        os.close(leader)
    with virt.open("lxc:///") as conn:
        conn.lookup_domain_by_name("tty").destroy()


def test_enter_while_another_process_owns_the_driver(conn: virt.Connection, rootfs: Path) -> None:
    install_init(rootfs)
    conn.create_domain(domain_xml("owned", rootfs))
    done = subprocess.run(
        [*VIRT, "lxc-enter-namespace", "owned", "--", "sh", "-c", "hostname; exit 7"],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert (done.returncode, done.stdout, done.stderr) == (7, "owned\n", "")
    missing = subprocess.run(
        [*VIRT, "lxc-enter-namespace", "nosuch", "--", "true"], capture_output=True, text=True, timeout=60, check=False
    )
    assert missing.returncode == 1
    assert "no running container 'nosuch'" in missing.stderr


def test_domain_commands(conn: virt.Connection, rootfs: Path, capfd: pytest.CaptureFixture[str]) -> None:
    install_init(rootfs)
    conn.define_domain(domain_xml("clidom", rootfs))
    capfd.readouterr()
    assert main(["-c", "lxc:///", "start", "clidom"]) == 0
    assert "Domain 'clidom' started" in capfd.readouterr().out
    assert main(["-c", "lxc:///", "list", "--all"]) == 0
    listing = capfd.readouterr().out
    assert "clidom" in listing and "running" in listing
    assert main(["-c", "lxc:///", "dominfo", "clidom"]) == 0
    info = capfd.readouterr().out
    assert "OS Type:        exe" in info and "State:          running" in info
    assert main(["-c", "lxc:///", "lxc-enter-namespace", "clidom", "--", "cat", "/etc/hostname", "/nonexistent"]) == 1
    assert main(["-c", "lxc:///", "lxc-enter-namespace", "clidom"]) == 1
    assert "requires <cmd> option" in capfd.readouterr().err
    assert main(["-c", "lxc:///", "destroy", "clidom"]) == 0
    assert main(["-c", "lxc:///", "lxc-enter-namespace", "clidom", "--", "true"]) == 1
    assert "domain is not running" in capfd.readouterr().err
    assert main(["-c", "lxc:///", "help", "lxc-enter-namespace"]) == 0
    assert "lxc-enter-namespace <domain> [--noseclabel] [--] <cmd>..." in capfd.readouterr().out


def test_enter_refuses_other_drivers(capfd: pytest.CaptureFixture[str]) -> None:
    assert main(["-c", "test:///default", "lxc-enter-namespace", "test", "--", "true"]) == 1
    assert "virDomainLxcOpenNamespace" in capfd.readouterr().err

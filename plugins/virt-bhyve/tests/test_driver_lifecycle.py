"""The bhyve driver's lifecycle through ``virt -c bhyve:///system`` against the stand-in host: each
command a new owner of the driver's state (as a user's commands are), the exact command lines the
tools were given, the state they left (``/dev/vmm``, interfaces), the owner killed and the guest
taken back, the guest ending on its own, the console."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import pytest
from bhyve_support import BhyveHost, Cli, guest_xml, read_until, wait_for

MAC = "52:54:00:b9:94:02"


def _taps_made(name: str = "bsd1") -> list[list[str]]:
    """The ifconfig calls that make the tap of the guest's one interface (virNetDevTapCreateInBridgePort)."""
    return [
        ["ifconfig", "tap", "create"],
        ["ifconfig", "-l"],
        ["ifconfig", "tap0", "name", "vnet0"],
        ["ifconfig", "vnet0", "ether", "fe" + MAC[2:]],
        ["ifconfig", "vnet0", "description", f"bhyve: {name}"],
        ["ifconfig", "bridge0", "addm", "vnet0"],
        ["ifconfig", "vnet0", "up"],
    ]


def _started(host: BhyveHost, name: str = "bsd1") -> list[list[str]]:
    disk = str(host.disk())
    return [
        *_taps_made(name),
        ["bhyveload", "-m", "256", "-d", disk, name],
        [
            "bhyve", "-c", "1", "-m", "256", "-u", "-H", "-P",
            "-s", "0:0,hostbridge", "-s", "1:0,lpc", "-s", f"2:0,ahci,hd:{disk}",
            "-s", f"3:0,virtio-net,vnet0,mac={MAC}", "-l", "com1,/dev/nmdm0A", name,
        ],
    ]  # fmt: skip


def _stopped(name: str = "bsd1") -> list[list[str]]:
    """virBhyveProcessStop: the VM destroyed, the tap off its bridge and destroyed."""
    return [
        ["bhyvectl", "--destroy", f"--vm={name}"],
        ["ifconfig", "bridge0", "deletem", "vnet0"],
        ["ifconfig", "vnet0", "destroy"],
    ]


def _define(host: BhyveHost, cli: Cli, name: str = "bsd1") -> None:
    xml = host.base / f"{name}.xml"
    xml.write_text(guest_xml(host, name))
    cli.ok("define", str(xml))


def test_lifecycle_with_exact_command_lines(bhyve_host: BhyveHost) -> None:
    host, cli = bhyve_host, Cli(bhyve_host)
    _define(host, cli)
    assert host.calls() == [] and ("bhyve", "-h") in {tuple(c) for c in host.calls(probes=True)}
    assert "bsd1   shut off" in cli.ok("list", "--all")

    host.forget_calls()
    cli.ok("start", "bsd1")
    # the probe's flags were kept by the first owner (define): this one probes no more
    assert host.calls(probes=True) == _started(host)
    pid = host.bhyve_pid("bsd1")
    assert pid is not None and host.vms() == ["bsd1"]
    assert f"{pid}   bsd1   running" in cli.ok("list")
    interfaces = host.interfaces()
    assert interfaces["bridge0"]["members"] == ["vnet0"]
    assert interfaces["vnet0"]["up"] is True and interfaces["vnet0"]["ether"] == "fe" + MAC[2:]
    live = cli.ok("dumpxml", "bsd1")
    assert f"<domain type='bhyve' id='{pid}'>" in live and "<target dev='vnet0'/>" in live
    assert "<source master='/dev/nmdm0A' slave='/dev/nmdm0B'/>" in live
    info = cli.ok("dominfo", "bsd1")
    assert "State:          running" in info and "OS Type:        hvm" in info

    # shutdown: SIGTERM (the ACPI power button); the guest powers off, bhyve exits 1; the next look settles it
    host.forget_calls()
    cli.ok("shutdown", "bsd1")
    wait_for("bhyve to end", lambda: host.bhyve_pid("bsd1") is None)
    assert cli.ok("domstate", "--reason", "bsd1").strip() == "shut off (shutdown)"
    assert host.calls() == _stopped()
    assert host.vms() == [] and "vnet0" not in host.interfaces()
    assert host.interfaces()["bridge0"]["members"] == []

    # destroy: bhyvectl --destroy at once
    cli.ok("start", "bsd1")
    assert host.bhyve_pid("bsd1") is not None
    host.forget_calls()
    cli.ok("destroy", "bsd1")
    assert host.calls() == _stopped()
    assert host.bhyve_pid("bsd1") is None and host.vms() == []

    # reboot: the power button too, and the owner that sees bhyve end starts the guest again
    cli.ok("start", "bsd1")
    first = host.bhyve_pid("bsd1")
    host.forget_calls()
    cli.ok("reboot", "bsd1")
    wait_for("bhyve to end", lambda: host.bhyve_pid("bsd1") != first)
    assert cli.ok("domstate", "--reason", "bsd1").strip() == "running (booted)"
    assert host.calls() == [*_stopped(), *_started(host)]
    second = host.bhyve_pid("bsd1")
    assert second not in (None, first) and f"{second}   bsd1   running" in cli.ok("list")
    cli.ok("destroy", "bsd1")

    # an operation that needs a running guest says so, as libvirt does
    done = cli.run("shutdown", "bsd1")
    assert done.returncode != 0 and "domain is not running" in done.stderr
    cli.ok("undefine", "bsd1")
    assert "bsd1" not in cli.ok("list", "--all")


def test_owner_killed_and_guest_taken_back(bhyve_host: BhyveHost) -> None:
    """An owner that dies (SIGKILL, right after the start) leaves the guest running; the next owner
    takes it back from its status file, with the same pid, and stops it as if it had started it."""
    host, cli = bhyve_host, Cli(bhyve_host)
    _define(host, cli)
    script = (
        "import os, signal, virt\n"
        "conn = virt.open('bhyve:///system')\n"
        "conn.lookup_domain_by_name('bsd1').start()\n"
        "os.kill(os.getpid(), signal.SIGKILL)\n"
    )
    done = subprocess.run([sys.executable, "-c", script], env={**os.environ, **host.env()}, timeout=60, check=False)
    assert done.returncode == -signal.SIGKILL
    pid = host.bhyve_pid("bsd1")
    assert pid is not None
    assert f"{pid}   bsd1   running" in cli.ok("list")
    host.forget_calls()
    cli.ok("destroy", "bsd1")
    assert host.calls() == _stopped() and host.bhyve_pid("bsd1") is None


def test_guest_ends_while_nobody_owns_it(bhyve_host: BhyveHost) -> None:
    """The guest powers off with no owner (SIGTERM straight to bhyve): the next owner reads the exit
    status bhyve left, cleans up as libvirt's monitor does, and reports a shutdown."""
    host, cli = bhyve_host, Cli(bhyve_host)
    _define(host, cli)
    cli.ok("start", "bsd1")
    pid = host.bhyve_pid("bsd1")
    assert pid is not None
    os.kill(pid, signal.SIGTERM)
    wait_for("bhyve to end", lambda: host.bhyve_pid("bsd1") is None)
    assert host.vms() == ["bsd1"]  # bhyve leaves the VM to whoever started it (no -D)
    host.forget_calls()
    assert cli.ok("domstate", "--reason", "bsd1").strip() == "shut off (shutdown)"
    assert host.calls() == _stopped() and host.vms() == []


def test_console_and_a_reboot_from_inside(bhyve_host: BhyveHost) -> None:
    """The console is the nmdm pair's other end; a guest that reboots (bhyve exits 0) is started
    again by its owner (libvirt's bhyve monitor), loader and all, under a new pid."""
    import virt

    host, cli = bhyve_host, Cli(bhyve_host)
    _define(host, cli)
    with virt.open("bhyve:///system") as conn:
        domain = conn.lookup_domain_by_name("bsd1")
        domain.start()
        first = host.bhyve_pid("bsd1")
        console = domain.open_console()
        try:
            console.sendall(b"\r")
            console.sendall(b"uname\r")
            assert b"uname: Command not found." in read_until(console, b"Command not found.")
            with pytest.raises(virt.VirtError, match="Active console session exists for this domain"):
                domain.open_console()
            host.forget_calls()
            console.sendall(b"reboot\r")
            # each look at the state settles what the host did meanwhile (no event listener here)
            wait_for(
                "the guest to come back",
                lambda: domain.state().state is virt.DomainState.RUNNING and domain.id not in (-1, first),
            )
        finally:
            console.close()
        assert domain.id == host.bhyve_pid("bsd1")
        assert host.calls() == [*_stopped(), *_started(host)]
        domain.destroy()
        assert host.bhyve_pid("bsd1") is None

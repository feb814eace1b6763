"""``bhyve+ssh://root@host/system``: the tools run on the host over ssh (virt's fake ssh runs the
remote command here with ``sh -c``, as sshd would there), the definitions and status files stay on
this machine under ``hosts/root@HOST:22``; the same command lines reach the stand-ins."""

from __future__ import annotations

import json

import pytest
from bhyve_support import BhyveHost, Cli, guest_xml, read_until
from virt.testing.fakessh import write_fake_ssh


def test_lifecycle_over_ssh(bhyve_host: BhyveHost, monkeypatch: pytest.MonkeyPatch) -> None:
    host = bhyve_host
    ssh = write_fake_ssh(host.base)
    monkeypatch.setenv("VIRT_BHYVE_HOST_DIR", str(host.base / "remote"))
    cli = Cli(host, f"bhyve+ssh://root@bhyvehost/system?command={ssh}&no_verify=1")
    xml = host.base / "g.xml"
    xml.write_text(guest_xml(host))
    cli.ok("define", str(xml))
    assert (host.state / "state" / "hosts" / "root@bhyvehost:22" / "domains" / "bsd1.xml").exists()
    host.forget_calls()
    cli.ok("start", "bsd1")
    calls = host.calls()
    assert calls[-2] == ["bhyveload", "-m", "256", "-d", str(host.disk()), "bsd1"]
    assert calls[-1][0] == "bhyve" and calls[-1][-1] == "bsd1"
    pid = host.bhyve_pid("bsd1")
    assert pid is not None and f"{pid}   bsd1   running" in cli.ok("list")
    assert (host.base / "remote" / "log" / "bsd1.log").read_text().startswith(f"{host.bin}/bhyveload -m 256")
    sessions = [json.loads(line) for line in (host.base / "ssh-calls.log").read_text().splitlines()]
    assert any(f"{host.bin}/bhyveload " in session[-1] for session in sessions)
    host.forget_calls()
    cli.ok("destroy", "bsd1")
    assert host.calls() == [
        ["bhyvectl", "--destroy", "--vm=bsd1"],
        ["ifconfig", "bridge0", "deletem", "vnet0"],
        ["ifconfig", "vnet0", "destroy"],
    ]
    assert host.bhyve_pid("bsd1") is None
    cli.ok("undefine", "bsd1")


def test_console_over_ssh(bhyve_host: BhyveHost, monkeypatch: pytest.MonkeyPatch) -> None:
    """The nmdm end on the remote host, copied both ways by ``cat`` in an ssh session of its own."""
    import virt

    host = bhyve_host
    ssh = write_fake_ssh(host.base)
    monkeypatch.setenv("VIRT_BHYVE_HOST_DIR", str(host.base / "remote"))
    with virt.open(f"bhyve+ssh://root@bhyvehost/system?command={ssh}&no_verify=1") as conn:
        domain = conn.define_domain(guest_xml(host))
        domain.start()
        console = domain.open_console()
        try:
            console.sendall(b"hostname\r")
            read_until(console, b"hostname: Command not found.")
        finally:
            console.close()
        domain.destroy()
        assert host.bhyve_pid("bsd1") is None


def test_nodeinfo_is_the_bhyve_hosts(bhyve_host: BhyveHost, monkeypatch: pytest.MonkeyPatch) -> None:
    """virsh nodeinfo describes the host bhyve runs on, read with sysctl there (libvirt's FreeBSD
    nodeinfo): hw.ncpu CPUs as one socket, hw.clockrate when cpufreq(4) gives no dev.cpu.0.freq,
    hw.physmem. Here and over ssh alike; a host without sysctl's answers is an error naming it."""
    import os
    import platform

    host = bhyve_host
    ssh = write_fake_ssh(host.base)
    monkeypatch.setenv("VIRT_BHYVE_HOST_DIR", str(host.base / "remote"))
    machine = {"amd64": "x86_64", "arm64": "aarch64"}.get(platform.machine(), platform.machine())
    for uri in ("bhyve:///system", f"bhyve+ssh://root@bhyvehost/system?command={ssh}&no_verify=1"):
        info = Cli(host, uri).ok("nodeinfo")
        assert f"CPU model:           {machine}" in info
        assert "CPU(s):              4" in info and "CPU frequency:       2394 MHz" in info
        assert "CPU socket(s):       1" in info and "Core(s) per socket:  4" in info
        assert "Thread(s) per core:  1" in info and "NUMA cell(s):        1" in info
        assert f"Memory size:         {8557285376 // 1024} KiB" in info
    assert ["sysctl", "-n", "dev.cpu.0.freq"] in host.calls() and ["sysctl", "-n", "hw.clockrate"] in host.calls()
    os.unlink(host.bin / "sysctl")
    (host.bin / "sysctl").write_text("#!/bin/sh\necho \"sysctl: unknown oid '$3'\" >&2\nexit 1\n")
    (host.bin / "sysctl").chmod(0o755)
    done = Cli(host).run("nodeinfo")
    assert done.returncode == 1 and "Cannot obtain CPU count" in done.stderr and "Traceback" not in done.stderr

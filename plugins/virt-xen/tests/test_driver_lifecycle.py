"""The Xen driver on a real Xen 4.17 (booted under QEMU, ``xen_host``), through ``virt -c xen+ssh://...``:
the issue's acceptance (define a PV guest, start it, see it in ``xl list``, pause and unpause it, read
its console, shut it down, undefine it; kill the owner while it runs and take it back), and the
other operations on the same guest (vCPUs, memory, save and restore, host facts, errors)."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import virt
from xen_driver_support import GUEST, Cli, pv_domain_xml, wait_for, xl_domains
from xenhost import PV_KERNEL, PV_MEMORY_MIB, PV_TICK, SAVE_DIR, XenHost


@pytest.fixture(scope="module")
def cli(xen_host: XenHost, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cli]:
    """The CLI on the test host's URI, with a state folder of this module's own; guests left are destroyed."""
    runner = Cli(xen_host.uri, tmp_path_factory.mktemp("xen-state"))
    yield runner
    for name in re.findall(r"^\s*\S+\s+(\S+)\s+", runner.run("list", "--all").stdout, re.M)[1:]:
        if name != "Domain-0":
            runner.run("destroy", name)
            runner.run("undefine", name)


def _read_console(sock: socket.socket, wanted: bytes, timeout: float = 60.0) -> bytes:
    sock.settimeout(1.0)
    seen = b""
    deadline = time.monotonic() + timeout
    while wanted not in seen:
        if time.monotonic() > deadline:
            raise AssertionError(f"the console did not show {wanted!r} in {timeout:.0f} s; it showed {seen[-500:]!r}")
        try:
            data = sock.recv(4096)
        except TimeoutError:
            continue
        if not data:
            raise AssertionError(f"the console ended before {wanted!r}; it showed {seen[-500:]!r}")
        seen += data
    return seen


def _on_dom0(host: XenHost, program: str) -> int:
    """How many processes of ``program`` run in dom0."""
    return sum(program in line for line in host.run("ps -o args").stdout.splitlines())


def test_host_facts_are_the_hypervisor_s(cli: Cli, xen_host: XenHost) -> None:
    info = dict(
        (key.strip(), value.strip())
        for key, _, value in (line.partition(":") for line in xen_host.run("xl info").stdout.splitlines())
    )
    nodeinfo = cli.ok("nodeinfo")
    assert re.search(rf"CPU\(s\):\s+{info['nr_cpus']}\n", nodeinfo), nodeinfo
    assert re.search(rf"Memory size:\s+{int(info['total_memory']) * 1024} KiB", nodeinfo), nodeinfo
    version = cli.ok("version")
    extra = re.match(r"\.(\d+)", info["xen_extra"])
    release = extra[1] if extra else "0"
    assert f"Running hypervisor: Xen {info['xen_major']}.{info['xen_minor']}.{release}" in version, version
    caps = cli.ok("capabilities")
    assert "<os_type>xen</os_type>" in caps and "<machine>xenpv</machine>" in caps, caps
    assert "<cells num='1'>" in caps, caps


def test_bad_input_is_refused_with_the_reason(cli: Cli, tmp_path: Path) -> None:
    kvm = tmp_path / "kvm.xml"
    kvm.write_text(pv_domain_xml("xbad").replace("type='xen'", "type='kvm'"))
    done = cli.run("define", str(kvm))
    assert done.returncode != 0 and "domaintype=kvm" in done.stderr, done.stderr
    # xl's own complaint reaches the user: a kernel that is not there
    missing = tmp_path / "missing.xml"
    missing.write_text(pv_domain_xml("xbad").replace(PV_KERNEL, "/no-such-kernel"))
    cli.ok("define", str(missing))
    try:
        done = cli.run("start", "xbad")
        assert done.returncode != 0, done.stdout
        assert "xl create of domain 'xbad' failed" in done.stderr and "no-such-kernel" in done.stderr, done.stderr
        assert cli.state("xbad") == "shut off"
    finally:
        cli.ok("undefine", "xbad")
    done = cli.run("start", "no-such-guest")
    assert done.returncode != 0 and "no-such-guest" in done.stderr, done.stderr


def test_pv_guest_lifecycle(cli: Cli, xen_host: XenHost, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The acceptance: define, start, xl list, pause/unpause, console, vCPUs and memory, save/restore,
    shutdown, undefine."""
    xml = tmp_path / "guest.xml"
    xml.write_text(pv_domain_xml())
    assert "defined" in cli.ok("define", str(xml))
    assert re.search(rf"-\s+{GUEST}\s+shut off", cli.ok("list", "--all"))
    cli.ok("start", GUEST)
    domid, flags = xl_domains(xen_host)[GUEST]
    assert "p" not in flags and cli.ok("domid", GUEST).strip() == str(domid)
    assert cli.state() == "running"

    cli.ok("suspend", GUEST)
    assert "p" in xl_domains(xen_host)[GUEST][1]
    assert cli.state() == "paused"
    cli.ok("resume", GUEST)
    assert "p" not in xl_domains(xen_host)[GUEST][1]
    assert cli.state() == "running"

    # the console, as a stream of the driver (the same state folder, in this process)
    monkeypatch.setenv("VIRT_XEN_ROOT", str(cli.root))
    with virt.open(cli.uri) as conn:
        console = conn.lookup_domain_by_name(GUEST).open_console()
        try:
            _read_console(console, PV_TICK.encode())
        finally:
            console.close()
    wait_for("xl console to end on dom0", lambda: _on_dom0(xen_host, "bin/xenconsole ") == 0, 10)

    if int(re.search(r"nr_cpus\s*: (\d+)", xen_host.run("xl info").stdout)[1]) > 1:  # type: ignore[index]
        cli.ok("vcpupin", GUEST, "0", "1", "--live")
        assert xen_host.run(f"xl vcpu-list {GUEST}").stdout.splitlines()[1].split()[-3] == "1"
        assert re.search(r"^ 0\s+1\s*$", cli.ok("vcpupin", GUEST), re.M)
    cli.ok("setvcpus", GUEST, "1", "--live")
    target = PV_MEMORY_MIB - 16  # much less would starve this guest (it has no swap)
    cli.ok("setmem", GUEST, f"{target}M", "--live")
    dominfo = cli.ok("dominfo", GUEST)
    scheduler = re.search(r"xen_scheduler\s*: (\S+)", xen_host.run("xl info").stdout)
    # (virsh exits 1 for a scheduler without parameters, credit2's here, after naming it)
    assert scheduler is not None and f"Scheduler      : {scheduler[1]}" in cli.run("schedinfo", GUEST).stdout
    vcpus = cli.ok("vcpuinfo", GUEST)  # the online ones, as virsh shows them
    assert "VCPU:           0" in vcpus and "VCPU:           1" not in vcpus, vcpus
    assert re.search(r"CPU\(s\):\s+1\n", dominfo) and f"Max memory:     {PV_MEMORY_MIB * 1024} KiB" in dominfo, dominfo
    wait_for("the balloon", lambda: f"Used memory:    {target * 1024} KiB" in cli.ok("dominfo", GUEST), 60)
    assert xen_host.run("xl list -v " + GUEST).stdout.split("\n")[1].split()[3] == "1"

    image = f"{SAVE_DIR}/{GUEST}.save"  # a tmpfs of its own: dom0's root is small
    cli.ok("save", GUEST, image, timeout=180)
    assert GUEST not in xl_domains(xen_host) and cli.state() == "shut off"
    cli.ok("restore", image, timeout=180)
    restored, _ = xl_domains(xen_host)[GUEST]
    assert restored != domid and cli.ok("domid", GUEST).strip() == str(restored)
    assert cli.state() == "running"
    xen_host.run(f"rm -f {image} {image}.xml")

    # managed save: the next start resumes the image (and removes it); the driver's folder for the
    # images on the test host's tmpfs for them
    xen_host.run(f"mkdir -p /var/lib/virt-xen && ln -sfn {SAVE_DIR} /var/lib/virt-xen/save")
    cli.ok("managedsave", GUEST, timeout=180)
    assert re.search(rf"-\s+{GUEST}\s+saved", cli.ok("list", "--all", "--managed-save")) and GUEST not in xl_domains(
        xen_host
    )
    assert "Managed save:   yes" in cli.ok("dominfo", GUEST)
    assert "Refusing to undefine while domain managed save image exists" in cli.run("undefine", GUEST).stderr
    cli.ok("start", GUEST, timeout=180)
    assert cli.state() == "running" and "Managed save:   no" in cli.ok("dominfo", GUEST)
    assert xen_host.run("ls /var/lib/virt-xen/save").stdout.split() == []
    cli.ok("desc", GUEST, "--live", "a PV guest")
    assert cli.ok("desc", GUEST).strip() == "a PV guest"

    cli.ok("shutdown", GUEST)
    wait_for("the guest to power off", lambda: GUEST not in xl_domains(xen_host))
    wait_for("virt to see it shut off", lambda: cli.state() == "shut off", 30)
    cli.ok("undefine", GUEST)
    assert GUEST not in cli.ok("list", "--all")


OWNER = """
import sys, time, virt
conn = virt.open(sys.argv[1])
seen = []
conn.add_domain_event_callback(lambda domain, event: seen.append(event))
print("owner ready", flush=True)
time.sleep(600)
"""


def test_owner_killed_while_the_guest_runs(cli: Cli, xen_host: XenHost, tmp_path: Path) -> None:
    """A transient guest (known from its status file alone) outlives its owner, killed; the next owner
    takes it back under the same id, and can still stop it."""
    xml = tmp_path / "transient.xml"
    xml.write_text(pv_domain_xml("xtr", vcpus=1))
    cli.ok("create", str(xml))
    domid, _ = xl_domains(xen_host)["xtr"]
    owner = subprocess.Popen([sys.executable, "-c", OWNER, cli.uri], stdout=subprocess.PIPE, env=cli.env(), text=True)
    try:
        assert owner.stdout is not None and owner.stdout.readline().strip() == "owner ready"
        os.kill(owner.pid, signal.SIGKILL)
    finally:
        owner.kill()
        owner.wait()
    assert xl_domains(xen_host)["xtr"][0] == domid
    # what the owner ran on dom0 (its xenstore watch) ends with it
    wait_for("the killed owner's xenstore watch to end", lambda: _on_dom0(xen_host, "xenstore-watch") == 0, 15)
    listing = cli.ok("list")
    assert re.search(rf"^\s*{domid}\s+xtr\s+running", listing, re.M), listing
    assert f"<domain type='xen' id='{domid}'>" in cli.ok("dumpxml", "xtr")
    cli.ok("destroy", "xtr")
    assert "xtr" not in xl_domains(xen_host) and "xtr" not in cli.ok("list", "--all")


def test_events_follow_dom0(cli: Cli, xen_host: XenHost, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A guest destroyed on dom0 behind virt's back: the xenstore watch tells, a STOPPED event follows."""
    from virt.events import DomainEventType

    xml = tmp_path / "watched.xml"
    xml.write_text(pv_domain_xml("xev", vcpus=1))
    monkeypatch.setenv("VIRT_XEN_ROOT", str(cli.root))
    events: list[tuple[str, int]] = []
    with virt.open(cli.uri) as conn:
        conn.add_domain_event_callback(lambda domain, event: events.append((domain.name, int(event.type))))
        domain = conn.create_domain(xml.read_text())
        wait_for("the STARTED event", lambda: ("xev", DomainEventType.STARTED) in events, 30)
        # a reboot: xl's monitor on dom0 starts the guest again under a new domid, which virt follows
        first, _ = xl_domains(xen_host)["xev"]
        domain.reboot()
        wait_for("the guest to come back", lambda: xl_domains(xen_host).get("xev", (first, ""))[0] != first, 60)
        again, _ = xl_domains(xen_host)["xev"]
        wait_for("virt to follow the new domid", lambda: conn.lookup_domain_by_name("xev").id == again, 10)
        xen_host.run("xl destroy xev")
        wait_for("the STOPPED event", lambda: ("xev", DomainEventType.STOPPED) in events, 30)
        # a transient guest that ended is gone with it
        wait_for("the guest to leave the listing", lambda: "xev" not in [d.name for d in conn.list_domains()], 10)
        del domain

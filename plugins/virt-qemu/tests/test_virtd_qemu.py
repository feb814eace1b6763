"""virtd serving real QEMU/KVM guests (issue 5's acceptance with ``qemu:///``).

Debian's stock virsh and python3-libvirt talk to virtd serving ``qemu:///system`` whose state is
under a private ``VIRT_QEMU_ROOT``; where it is practical, the same virsh commands run against
Debian's real libvirtd (its QEMU driver, in its own mount namespace) on the same guest XML and the
outputs are compared. Guests are firmware-only KVM guests (SeaBIOS idling): no OS is needed.
One virtd and one libvirtd serve the module's virsh tests; the SIGKILL test has its own virtd and
state, and the session test its own user folders. Every guest and daemon is stopped afterwards,
whatever happened.
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import shutil
import signal
import subprocess
import sys
import tempfile
import textwrap
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import virt
from daemon_support import private_qemu_root, private_virtd, qemu_uri, reference_libvirtd, remove_guests, virtd_serving
from driver_support import QEMU, alive, firmware_xml, pid_of, wait_until
from virsh_support import (
    event_watcher,
    kill_processes_mentioning,
    normalise,
    virsh_ok,
    without_lines,
    xml_contained,
)
from virt.daemon.testing import Virtd
from virt.errors import VirtError
from virt.events import DomainEventType, ShutdownDetail, StoppedDetail
from virt.remote.connection import RemoteConnection
from virt.testing import Libvirtd, missing_dependency, need_virsh

LIBVIRT_PYTHON = "/usr/bin/python3"

NAME = "vq1"
UUID = "5e1f0c3a-7d2b-4c69-9a41-0f6b2d8e3c71"
PROBE_UUID = "5e1f0c3a-7d2b-4c69-9a41-0f6b2d8e3c72"
"""The event watchers' probe domain (defined and undefined, never started)."""


@pytest.fixture(scope="module")
def virtd() -> Iterator[Virtd]:
    need_virsh()
    with private_virtd() as daemon:
        yield daemon


@pytest.fixture(scope="module")
def libvirtd() -> Iterator[Libvirtd]:
    need_virsh()
    if not os.access("/dev/kvm", os.R_OK | os.W_OK):
        missing_dependency("/dev/kvm is not usable: the libvirtd comparison runs the same KVM guest")
    with reference_libvirtd([UUID]) as daemon:
        yield daemon


@pytest.fixture
def guest_xml(tmp_path: Path) -> Path:
    path = tmp_path / f"{NAME}.xml"
    path.write_text(firmware_xml(NAME, uuid=UUID))
    return path


@pytest.fixture
def probe_xml(tmp_path: Path) -> Path:
    path = tmp_path / "probe.xml"
    path.write_text(firmware_xml("vqprobe", uuid=PROBE_UUID))
    return path


# -- 1. stock virsh, side by side with libvirtd ------------------------------------------------------------
def _info(text: str) -> dict[str, str]:
    """``virsh dominfo``'s lines as a dict."""
    return {key.strip(): value.strip() for key, _, value in (line.partition(":") for line in text.splitlines()) if key}


def _life(uri: str, xml: Path, probe: Path, folder: Path, events: int) -> tuple[dict[str, str], list[str]]:
    """A guest's life through separate virsh runs, watched by ``virsh event --all --loop``:
    each step's output (normalised) by step name, and the (at least ``events``) events printed meanwhile."""
    folder.mkdir()
    watcher = event_watcher(uri, folder, probe)
    outputs = {}
    try:
        steps = [
            ("define", ["define", str(xml)]),
            ("list defined", ["list", "--all"]),
            ("start", ["start", NAME]),
            ("list running", ["list", "--all"]),
            ("dominfo", ["dominfo", NAME]),
            ("domstate started", ["domstate", NAME, "--reason"]),
            ("suspend", ["suspend", NAME]),
            ("domstate suspended", ["domstate", NAME, "--reason"]),
            ("dominfo suspended", ["dominfo", NAME]),
            ("resume", ["resume", NAME]),
            ("domstate resumed", ["domstate", NAME, "--reason"]),
            ("dumpxml", ["dumpxml", NAME]),
            ("destroy", ["destroy", NAME]),
            ("domstate destroyed", ["domstate", NAME, "--reason"]),
            ("dumpxml inactive", ["dumpxml", "--inactive", NAME]),
            ("undefine", ["undefine", NAME]),
            ("list undefined", ["list", "--all"]),
        ]
        for step, command in steps:
            outputs[step] = normalise(virsh_ok(uri, *command))
        printed = watcher.wait_for(events, timeout=20, settle=0.3)
    finally:
        watcher.stop()
        remove_guests(uri)
    return outputs, printed


OUR_EVENTS = [
    f"event 'lifecycle' for domain '{NAME}': Defined Added",
    f"event 'lifecycle' for domain '{NAME}': Resumed Unpaused",
    f"event 'lifecycle' for domain '{NAME}': Started Booted",
    f"event 'lifecycle' for domain '{NAME}': Suspended Paused",
    f"event 'lifecycle' for domain '{NAME}': Resumed Unpaused",
    f"event 'lifecycle' for domain '{NAME}': Shutdown Finished after host request",
    f"event 'lifecycle' for domain '{NAME}': Stopped Destroyed",
    f"event 'lifecycle' for domain '{NAME}': Undefined Removed",
]


def test_a_kvm_guests_life_through_virsh(virtd: Virtd, guest_xml: Path, probe_xml: Path, tmp_path: Path) -> None:
    """define, list --all, start, dominfo, domstate, suspend, resume, dumpxml, destroy, undefine
    through stock virsh (each a client of its own) print what they must, and ``virsh event --all
    --loop`` prints the guest's lifecycle meanwhile."""
    ours, events = _life(qemu_uri(virtd), guest_xml, probe_xml, tmp_path / "virtd", len(OUR_EVENTS))
    assert ours["define"] == f"Domain '{NAME}' defined from {guest_xml}\n\n"
    assert ours["list defined"] == f"Id Name State\n-\n- {NAME} shut off\n\n"
    assert ours["start"] == f"Domain '{NAME}' started\n\n"
    assert ours["list running"] == f"Id Name State\n-\nN {NAME} running\n\n"
    assert _info(ours["dominfo"]) == {
        "Id": "N",
        "Name": NAME,
        "UUID": UUID,
        "OS Type": "hvm",
        "State": "running",
        "CPU(s)": "1",
        "CPU time": "N",
        "Max memory": "65536 KiB",
        "Used memory": "65536 KiB",
        "Persistent": "yes",
        "Autostart": "disable",
        "Managed save": "no",
        "Security model": "none",
        "Security DOI": "0",
    }
    assert ours["domstate started"] == "running (booted)\n\n"
    assert ours["suspend"] == f"Domain '{NAME}' suspended\n\n"
    assert ours["domstate suspended"] == "paused (user)\n\n"
    assert _info(ours["dominfo suspended"])["State"] == "paused"
    assert ours["resume"] == f"Domain '{NAME}' resumed\n\n"
    assert ours["domstate resumed"] == "running (unpaused)\n\n"
    live = ET.fromstring(ours["dumpxml"])
    assert (live.get("type"), live.get("id"), live.findtext("name"), live.findtext("uuid")) == ("kvm", "N", NAME, UUID)
    assert live.findtext("memory") == "65536" and live.findtext("vcpu") == "1"
    assert live.findtext("devices/emulator") == shutil.which(QEMU)
    assert ours["destroy"] == f"Domain '{NAME}' destroyed\n\n"
    assert ours["domstate destroyed"] == "shut off (destroyed)\n\n"
    assert ET.fromstring(ours["dumpxml inactive"]).get("id") is None
    assert ours["undefine"] == f"Domain '{NAME}' has been undefined\n\n"
    assert ours["list undefined"] == "Id Name State\n-\n\n"
    assert events == OUR_EVENTS


def test_the_same_life_through_libvirtd_prints_the_same(
    virtd: Virtd, libvirtd: Libvirtd, guest_xml: Path, probe_xml: Path, tmp_path: Path
) -> None:
    """The same virsh runs against libvirtd's QEMU driver, on the same guest XML, print the same
    (ids, CPU time and sockets aside), except:

    - dominfo: libvirtd also prints a "Security label" (its DAC driver's, beside the "none" model both
      report) and "Messages: tainted: running with undesirable elevated privileges" (QEMU runs as root
      here); virt-qemu labels nothing and records no taint, so virsh prints neither for virtd.
    - dumpxml: libvirt fills in what virt-qemu does not (device aliases, <resource>, <seclabel>):
      what virtd prints must be contained in what libvirtd prints, element by element. The running
      guest's <cpu> is left out: libvirt rewrites it at start from what QEMU enabled (check='full'
      and the feature list), virt-qemu shows the definition's.
    - events: none (the "cont" of a start is "Resumed Unpaused" and QEMU's SHUTDOWN on the
      SIGTERM of destroy "Shutdown Finished after host request" on both sides).
    """
    ours, our_events = _life(qemu_uri(virtd), guest_xml, probe_xml, tmp_path / "virtd", len(OUR_EVENTS))
    theirs, their_events = _life(qemu_uri(libvirtd), guest_xml, probe_xml, tmp_path / "libvirtd", len(OUR_EVENTS))
    assert our_events == their_events == OUR_EVENTS
    security = ("Security label:", "Messages:")
    assert ours.keys() == theirs.keys()
    for step in ours:
        if step.startswith("dumpxml"):
            mine, reference = ET.fromstring(ours[step]), ET.fromstring(theirs[step])
            if step == "dumpxml":
                for root in (mine, reference):
                    for cpu in root.findall("cpu"):
                        root.remove(cpu)
            problems = xml_contained(mine, reference)
            assert not problems, f"virsh {step}: virtd says what libvirtd does not: {problems}"
        elif step.startswith("dominfo"):
            assert ours[step] == without_lines(theirs[step], *security) + "\n", step
        else:
            assert ours[step] == theirs[step], step


def test_host_facts_through_virsh(virtd: Virtd) -> None:
    """version, hostname, nodeinfo and capabilities say what this host is."""
    uri = qemu_uri(virtd)
    qemu = subprocess.run([QEMU, "--version"], capture_output=True, text=True, check=True).stdout.split()[3]
    version = virsh_ok(uri, "version")
    assert "Using API: QEMU 9.0.0\n" in version and f"Running hypervisor: QEMU {qemu}\n" in version
    assert virsh_ok(uri, "hostname") == f"{os.uname().nodename}\n\n"
    node = _nodeinfo(uri)
    assert node["CPU model"] == os.uname().machine
    assert int(node["CPU(s)"]) == os.cpu_count()
    assert (
        int(node["CPU socket(s)"])
        * int(node["Core(s) per socket"])
        * int(node["Thread(s) per core"])
        * int(node["NUMA cell(s)"])
        == os.cpu_count()
    )
    assert int(node["Memory size"].removesuffix(" KiB")) > 0
    capabilities = ET.fromstring(virsh_ok(uri, "capabilities"))
    assert capabilities.findtext("host/cpu/arch") == os.uname().machine
    x86 = _guests(capabilities)[("hvm", "x86_64")]
    assert x86["emulator"] == shutil.which(QEMU)
    assert x86["domains"] == ["kvm", "qemu"]
    assert ("pc", [("canonical", f"pc-i440fx-{'.'.join(qemu.split('.')[:2])}"), ("maxCpus", "255")]) in x86["machines"]


def test_version_and_hostname_as_libvirtd_prints_them(virtd: Virtd, libvirtd: Libvirtd) -> None:
    for command in (["version"], ["hostname"]):
        assert virsh_ok(qemu_uri(virtd), *command) == virsh_ok(qemu_uri(libvirtd), *command), command


def _nodeinfo(uri: str) -> dict[str, str]:
    return _info(virsh_ok(uri, "nodeinfo"))


def test_nodeinfo_as_libvirtd_prints_it(virtd: Virtd, libvirtd: Libvirtd) -> None:
    assert _nodeinfo(qemu_uri(virtd)) == _nodeinfo(qemu_uri(libvirtd))


def _guests(capabilities: ET.Element) -> dict[tuple[str, str], dict[str, Any]]:
    """Each <guest> by (os type, arch): what QEMU offers, in no particular order (libvirt lists the
    machine types in the order of QEMU's hash table)."""
    found: dict[tuple[str, str], dict[str, Any]] = {}
    for guest in capabilities.iterfind("guest"):
        arch = guest.find("arch")
        assert arch is not None
        found[(guest.findtext("os_type", ""), arch.get("name", ""))] = {
            "wordsize": arch.findtext("wordsize"),
            "emulator": arch.findtext("emulator"),
            "machines": sorted((m.text or "", sorted(m.attrib.items())) for m in arch.iterfind("machine")),
            "domains": sorted(d.get("type", "") for d in arch.iterfind("domain")),
            "features": sorted(ET.tostring(f).decode().strip() for f in guest.iterfind("features/*")),
        }
    return found


def test_capabilities_offer_the_guests_libvirtd_offers(virtd: Virtd, libvirtd: Libvirtd) -> None:
    """The <guest> elements (arches, word sizes, emulators, machine types with their canonical
    names and vCPU limits, domain types, features) are libvirt's, order aside; the host's
    architecture too. Not compared: the rest of <host>, where libvirt describes the host CPU from
    its CPU map (model, vendor, microcode, signature, features), NUMA cells, caches, IOMMU,
    migration transports and its security drivers; virt-qemu says only the architecture (and a
    host uuid, which must differ)."""
    ours = ET.fromstring(virsh_ok(qemu_uri(virtd), "capabilities"))
    theirs = ET.fromstring(virsh_ok(qemu_uri(libvirtd), "capabilities"))
    assert ours.findtext("host/cpu/arch") == theirs.findtext("host/cpu/arch")
    assert _guests(ours) == _guests(theirs)


def test_virsh_event_sees_what_another_client_does(virtd: Virtd, probe_xml: Path, tmp_path: Path) -> None:
    """``virsh event --all --loop`` on virtd prints the lifecycle events of a transient guest's
    start, suspend, resume and destroy made through python3-libvirt (another client, another
    library)."""
    need_libvirt_python()
    watcher = event_watcher(qemu_uri(virtd), tmp_path, probe_xml)
    script = textwrap.dedent(
        """
        import sys, libvirt
        conn = libvirt.open(sys.argv[1])
        dom = conn.createXML(sys.stdin.read(), 0)
        dom.suspend()
        dom.resume()
        dom.destroy()
        conn.close()
        """
    )
    try:
        done = subprocess.run(
            [LIBVIRT_PYTHON, "-c", script, qemu_uri(virtd)],
            input=firmware_xml("vqevents"), capture_output=True, text=True, timeout=60, check=False,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        assert watcher.wait_for(6, timeout=20, settle=0.3) == [
            "event 'lifecycle' for domain 'vqevents': Resumed Unpaused",
            "event 'lifecycle' for domain 'vqevents': Started Booted",
            "event 'lifecycle' for domain 'vqevents': Suspended Paused",
            "event 'lifecycle' for domain 'vqevents': Resumed Unpaused",
            "event 'lifecycle' for domain 'vqevents': Shutdown Finished after host request",
            "event 'lifecycle' for domain 'vqevents': Stopped Destroyed",
        ]
    finally:
        watcher.stop()


# -- 2. virtd killed with SIGKILL while guests run and clients are connected -------------------------------
def need_libvirt_python() -> None:
    found = subprocess.run([LIBVIRT_PYTHON, "-c", "import libvirt"], capture_output=True, check=False)
    if found.returncode != 0:
        missing_dependency(f"python3-libvirt is not installed for {LIBVIRT_PYTHON}")


# Connected before the kill; once told (a line on stdin), tries its old connection and opens a new one.
BINDING_CLIENT = textwrap.dedent(
    """
    import json, sys, libvirt
    libvirt.registerErrorHandler(lambda *args: None, None)
    conn = libvirt.open(sys.argv[1])
    print(json.dumps(sorted(d.name() for d in conn.listAllDomains(libvirt.VIR_CONNECT_LIST_DOMAINS_ACTIVE))), flush=True)
    sys.stdin.readline()
    try:
        conn.listAllDomains()
        old = None
    except libvirt.libvirtError as exc:
        old = exc.get_error_message()
    fresh = libvirt.open(sys.argv[1])
    domains = {d.name(): [d.ID(), d.state()[0]] for d in fresh.listAllDomains(libvirt.VIR_CONNECT_LIST_DOMAINS_ACTIVE)}
    print(json.dumps({"old": old, "domains": domains}), flush=True)
    fresh.close()
    """
)

KILL_GUESTS = ("vk0", "vk1", "vk2")


def test_guests_outlive_a_killed_virtd_and_every_client_gets_them_back(tmp_path: Path) -> None:
    need_virsh()
    need_libvirt_python()
    with private_qemu_root() as root:
        sockets = root / "sock"
        binding: subprocess.Popen[str] | None = None
        conn: virt.Connection | None = None
        try:
            with virtd_serving(root, sockets) as first:
                uri = qemu_uri(first)
                conn = virt.open(uri)
                events: queue.SimpleQueue[tuple[str, DomainEventType, int]] = queue.SimpleQueue()
                conn.add_domain_event_callback(lambda dom, event: events.put((dom.name, event.type, event.detail)))
                # two persistent guests and a transient one
                conn.define_domain(firmware_xml(KILL_GUESTS[0])).start()
                conn.define_domain(firmware_xml(KILL_GUESTS[1])).start()
                conn.create_domain(firmware_xml(KILL_GUESTS[2]))
                ids = {d.name: d.id for d in conn.list_domains(active=True)}
                assert sorted(ids) == list(KILL_GUESTS)
                pids = {name: pid_of(root, name) for name in KILL_GUESTS}
                binding = subprocess.Popen(
                    [LIBVIRT_PYTHON, "-c", BINDING_CLIENT, uri],
                    stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                )  # fmt: skip
                assert binding.stdout is not None
                assert json.loads(binding.stdout.readline() or "null") == list(KILL_GUESTS)

                os.kill(first.pid, signal.SIGKILL)
                first.process.wait(10)
                assert isinstance(conn.driver, RemoteConnection)
                wait_until(lambda: not conn.is_alive(), 10, "our client to notice the daemon is gone")
                with pytest.raises(VirtError):
                    conn.list_domains()
                for name, pid in pids.items():
                    assert alive(pid), f"the QEMU of {name} died with virtd"

            with virtd_serving(root, sockets) as second:
                assert second.socket == first.socket
                uri = qemu_uri(second)
                # virsh: the guests are running under their ids, their QEMUs the same processes
                listed = virsh_ok(uri, "list", "--name").split()
                assert sorted(listed) == list(KILL_GUESTS)
                for name in KILL_GUESTS:
                    info = _info(virsh_ok(uri, "dominfo", name))
                    assert (info["State"], info["Id"]) == ("running", str(ids[name])), name
                    assert pid_of(root, name) == pids[name] and alive(pids[name]), name
                assert _info(virsh_ok(uri, "dominfo", KILL_GUESTS[2]))["Persistent"] == "no"

                # python3-libvirt: the old connection is dead, a new one sees every guest running
                out, err = binding.communicate("\n", timeout=60)
                assert binding.returncode == 0, err
                seen = json.loads(out)
                assert seen["old"], "python3-libvirt's old connection still answered"
                assert seen["domains"] == {name: [ids[name], 1] for name in KILL_GUESTS}  # 1: running

                # our client: reconnected, its event subscription restored
                while not events.empty():
                    events.get()  # those of the guests' start, before the kill
                conn.reconnect()
                assert conn.is_alive()
                assert {d.name: d.id for d in conn.list_domains(active=True)} == ids
                virsh_ok(uri, "destroy", KILL_GUESTS[0])  # by another client
                wait_until(lambda: not alive(pids[KILL_GUESTS[0]]), 10, "the destroyed guest's QEMU to exit")
                assert events.get(timeout=10) == (KILL_GUESTS[0], DomainEventType.SHUTDOWN, ShutdownDetail.HOST)
                assert events.get(timeout=10) == (KILL_GUESTS[0], DomainEventType.STOPPED, StoppedDetail.DESTROYED)

                # the others end through our reconnected client
                for name in KILL_GUESTS[1:]:
                    conn.lookup_domain_by_name(name).destroy()
                    pid = pids[name]
                    wait_until(lambda: not alive(pid), 10, f"the QEMU of {name} to exit")  # noqa: B023 - used at once
                for name in KILL_GUESTS[:2]:
                    conn.lookup_domain_by_name(name).undefine()
                assert virsh_ok(uri, "list", "--all", "--name").split() == []
        finally:
            if conn is not None:
                conn.close()
            if binding is not None and binding.poll() is None:
                binding.kill()
                binding.wait()


# -- 3. qemu:///session through a virtd started on demand --------------------------------------------------
SESSION_GUEST = "vs1"


@pytest.fixture
def user_env() -> Iterator[dict[str, str]]:
    """A user's environment of their own (HOME and XDG_RUNTIME_DIR under /tmp, no virt.toml, the
    QEMU driver's folders where a session puts them); the virtd their programs start, and its
    QEMUs, are stopped afterwards."""
    virt_cli = Path(sys.executable).parent / "virt"
    if not os.access(virt_cli, os.X_OK) or not os.access(virt_cli.with_name("virtd"), os.X_OK):
        missing_dependency("virt and virtd are not installed beside this Python")
    if shutil.which(QEMU) is None:
        missing_dependency(f"{QEMU} is not installed (apt-get install qemu-system-x86)")
    home = Path(tempfile.mkdtemp(prefix="vs", dir="/tmp"))
    runtime = home / "run"
    runtime.mkdir(mode=0o700)
    # the probed capabilities shared with the other tests (probing costs a second or two)
    cache = Path(tempfile.gettempdir()) / "virt-qemu-test-caps"
    cache.mkdir(exist_ok=True)
    (home / ".cache" / "virt").mkdir(parents=True)
    (home / ".cache" / "virt" / "qemu").symlink_to(cache)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("XDG_", "VIRT_"))}
    env.update(HOME=str(home), XDG_RUNTIME_DIR=str(runtime), VIRT_CONFIG=str(home / "virt.toml"))
    try:
        yield env
    finally:
        with contextlib.suppress(OSError, ValueError):
            pid = int((runtime / "virt" / "virtd.pid").read_text())
            for signum in (signal.SIGTERM, signal.SIGKILL):
                os.kill(pid, signum)
                deadline = time.monotonic() + 10
                while Path(f"/proc/{pid}").exists() and time.monotonic() < deadline:
                    time.sleep(0.02)
        kill_processes_mentioning(str(home))
        shutil.rmtree(home, ignore_errors=True)


def virt_cli(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [str(Path(sys.executable).parent / "virt"), "-c", "qemu:///session", *args],
        env=env, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 0, f"virt {' '.join(args)}: {done.stderr.strip()}"
    return done.stdout


def test_virt_on_qemu_session_starts_the_users_virtd(user_env: dict[str, str]) -> None:
    runtime = Path(user_env["XDG_RUNTIME_DIR"])
    pid_file = runtime / "virt" / "virtd.pid"
    assert virt_cli(user_env, "list", "--all").split() == ["Id", "Name", "State", "-" * 20]
    pid = int(pid_file.read_text())
    argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    assert b"--session" in argv and argv[argv.index(b"--timeout") + 1] == b"120"
    assert any(arg.endswith(b"/virtd") for arg in argv[:2])  # the script, maybe run by its Python

    xml = Path(user_env["HOME"]) / "guest.xml"
    xml.write_text(firmware_xml(SESSION_GUEST))
    virt_cli(user_env, "define", str(xml))
    virt_cli(user_env, "start", SESSION_GUEST)
    # the guest belongs to the daemon (the virt that started it is gone), its state in the user's folders
    status = runtime / "virt" / "qemu" / "status" / f"{SESSION_GUEST}.xml"
    qemu_pid = pid_of_status(status)
    assert alive(qemu_pid)
    assert Path(f"/proc/{qemu_pid}/stat").read_text().rsplit(")", 1)[1].split()[1] == str(pid)  # its parent
    assert (Path(user_env["HOME"]) / ".config" / "virt" / "qemu" / "domains" / f"{SESSION_GUEST}.xml").exists()
    listed = virt_cli(user_env, "list", "--all").splitlines()[2:]
    assert [line.split()[1:] for line in listed if line.strip()] == [[SESSION_GUEST, "running"]]
    assert int(pid_file.read_text()) == pid  # every program used the one daemon
    virt_cli(user_env, "destroy", SESSION_GUEST)
    virt_cli(user_env, "undefine", SESSION_GUEST)
    wait_until(lambda: not alive(qemu_pid), 10, "the guest's QEMU to exit")
    assert virt_cli(user_env, "list", "--all").split()[4:] == []


def pid_of_status(path: Path) -> int:
    from virt_qemu.status import DomainStatus

    pid = DomainStatus.from_xml(path.read_bytes()).pid
    assert pid is not None
    return pid


CONNECTION_KIND = "import sys, virt; print(type(virt.open(sys.argv[1]).driver).__name__)"


def test_in_process_uris_start_no_daemon(user_env: dict[str, str]) -> None:
    """What the driver tests of this suite rely on: ``qemu:///system`` opens in-process, and so
    does ``qemu:///session`` with ``VIRT_DAEMON=never``; no virtd is started for either."""
    root = Path(user_env["HOME"]) / "root"
    for mode in ("system", "session"):
        (root / mode).mkdir(parents=True)
    env = dict(user_env, VIRT_QEMU_ROOT=str(root))
    for uri, extra in (("qemu:///system", {}), ("qemu:///session", {"VIRT_DAEMON": "never"})):
        done = subprocess.run(
            [sys.executable, "-c", CONNECTION_KIND, uri],
            env={**env, **extra}, capture_output=True, text=True, timeout=60, check=False,
        )  # fmt: skip
        assert (done.returncode, done.stdout.strip()) == (0, "QemuConnection"), done.stderr
    assert not (Path(user_env["XDG_RUNTIME_DIR"]) / "virt" / "virtd-sock").exists()


def test_an_idle_virtd_stays_while_guests_run(tmp_path: Path) -> None:
    """``--timeout`` counts from the last client only once no guest runs, as libvirt's daemons
    do; meanwhile the daemon keeps the QEMU driver open, so the guests stay watched."""
    need_virsh()
    with private_qemu_root() as root, virtd_serving(root, args=("--timeout", "1")) as daemon:
        uri = qemu_uri(daemon)
        try:
            xml = tmp_path / "idle.xml"
            xml.write_text(firmware_xml("vidle"))
            virsh_ok(uri, "create", str(xml))
            time.sleep(2.5)  # idle for more than the timeout, with a guest running
            assert daemon.process.poll() is None, daemon.output()
            assert "vidle" in virsh_ok(uri, "list", "--name")
            virsh_ok(uri, "destroy", "vidle")
            daemon.process.wait(10)  # no guest and no client: it goes
            assert daemon.process.returncode == 0, daemon.output()
        finally:
            if daemon.process.poll() is None:
                remove_guests(uri)

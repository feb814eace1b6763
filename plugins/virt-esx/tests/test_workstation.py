"""The VMware Workstation/Player/Fusion driver (``vmwarews:///session``...) against the stand-in
tools, side by side with libvirt 9.0's own vmware driver (stock virsh) on the same steps: the calls
made to the tools, the files written and every output compared; what differs is what the README
lists (destroy stops hard, stopped VMs are kept, one ``vmrun list`` per listing, the tools' words
in errors)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import virt
from virt.errors import VirtError
from virt.states import DomainState
from vmware_support import StandIns, pids_in_logs, stand_ins, virsh, vm_xml, without_pids
from vmware_support import virt as virt_cli

WS = "vmwarews:///session"
PLAYER = "vmwareplayer:///session"
FUSION = "vmwarefusion:///session"

LIFECYCLE = (
    "version; define {xml}; list --all; start vm1; list --all; dominfo vm1; dumpxml vm1; "
    "suspend vm1; domstate vm1; resume vm1; domstate vm1; shutdown vm1; list --all; "
    "start vm1; destroy vm1; dominfo vm1; undefine vm1; list --all"
)


@pytest.fixture
def tools(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> StandIns:
    with stand_ins(tmp_path / "tools", monkeypatch) as started:
        yield started


def fresh_vm_folder(folder: Path) -> Path:
    """The VM's folder with only its disk, as before each side's run."""
    if folder.exists():
        for f in folder.iterdir():
            f.unlink()
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "vm1.vmdk").write_bytes(b"# Disk DescriptorFile\n")
    return folder


def side(run, tools: StandIns, uri: str, script: str, vms: Path) -> tuple[str, str, int, list[list[str]], str]:
    """One side's run of ``script``: its output, errors and status, the tool calls, the .vmx written."""
    tools.clear_calls()
    done = run(uri, script)
    tools.end_vms()
    pids = pids_in_logs(vms)
    vmx = vms / "vm1.vmx"
    return (
        without_pids(done.stdout, pids),
        without_pids(done.stderr, pids),
        done.returncode,
        tools.calls(),
        vmx.read_text() if vmx.exists() else "",
    )


def changes(calls: list[list[str]]) -> list[list[str]]:
    """The calls that do something (start, stop, pause...): how often each side lists differs."""
    return [c for c in calls if c[0] == "vmrun" and c[3] != "list"]


def without_library_lines(text: str) -> str:
    """``version`` names the library and its version first: libvirt 9.0.0 vs virt's."""
    return "\n".join(line for line in text.splitlines() if not re.match(r"(Compiled against|Using) ", line))


@pytest.mark.parametrize(
    ("uri", "host_type", "version"), [(WS, "ws", "17.5.0"), (FUSION, "fusion", "13.5.0")], ids=["ws", "fusion"]
)
def test_lifecycle_side_by_side_with_libvirt(
    tools: StandIns, tmp_path: Path, uri: str, host_type: str, version: str
) -> None:
    vms = tmp_path / "vms"
    xml = tmp_path / "vm1.xml"
    xml.write_text(vm_xml(vms))
    script = LIFECYCLE.format(xml=xml)
    fresh_vm_folder(vms)
    theirs = side(virsh, tools, uri, script, vms)
    fresh_vm_folder(vms)
    ours = side(virt_cli, tools, uri, script, vms)
    their_out, their_err, their_rc, their_calls, their_vmx = theirs
    our_out, our_err, our_rc, our_calls, our_vmx = ours
    assert (their_rc, their_err) == (0, ""), their_err
    assert (our_rc, our_err) == (0, ""), our_err
    # the only output difference is the library's name in `version` and the destroy's shutoff reason
    # (libvirt's destroy is a shutdown: dominfo does not show the reason, so the outputs agree)
    assert without_library_lines(our_out) == without_library_lines(their_out)
    assert f"Running hypervisor: VMware {version}" in our_out
    assert our_vmx == their_vmx
    assert 'virtualHW.version = "7"' in our_vmx and 'uuid.bios = "56 4d 11 11' in our_vmx
    vmx = str(vms / "vm1.vmx")
    # libvirt starts a VM without graphics in a window (no nogui), pauses with pause, and stops softly
    # for both shutdown and destroy; virt's destroy stops hard (README: "Differences from libvirt")
    expected = [
        ["vmrun", "-T", host_type, "start", vmx],
        ["vmrun", "-T", host_type, "pause", vmx],
        ["vmrun", "-T", host_type, "unpause", vmx],
        ["vmrun", "-T", host_type, "stop", vmx, "soft"],
        ["vmrun", "-T", host_type, "start", vmx],
        ["vmrun", "-T", host_type, "stop", vmx, "soft"],
    ]
    assert changes(their_calls) == expected
    assert changes(our_calls) == [*expected[:5], ["vmrun", "-T", host_type, "stop", vmx, "hard"]]
    assert their_calls[0] == our_calls[0] == ["vmware" if host_type == "ws" else "vmware-vmx", "-v"]
    # both read the running VMs on opening and before each state they report (not before a pause)
    assert our_calls[1] == their_calls[1] == ["vmrun", "-T", host_type, "list"]
    # and as often: every call is the same but the destroy's stop
    destroy = max(i for i, c in enumerate(their_calls) if c == expected[5])
    assert our_calls == [
        *their_calls[:destroy],
        ["vmrun", "-T", host_type, "stop", vmx, "hard"],
        *their_calls[destroy + 1 :],
    ]


def test_graphics_start_without_window(tools: StandIns, tmp_path: Path) -> None:
    """A VM whose graphics are not the desktop starts with nogui, on both sides."""
    vms = tmp_path / "vms"
    xml = tmp_path / "vm1.xml"
    xml.write_text(vm_xml(vms, graphics="\n    <graphics type='vnc' port='5901'/>"))
    script = f"define {xml}; start vm1; destroy vm1; undefine vm1"
    fresh_vm_folder(vms)
    theirs = side(virsh, tools, WS, script, vms)
    fresh_vm_folder(vms)
    ours = side(virt_cli, tools, WS, script, vms)
    start = ["vmrun", "-T", "ws", "start", str(vms / "vm1.vmx"), "nogui"]
    assert start in theirs[3] and start in ours[3]
    assert ours[4] == theirs[4] and 'RemoteDisplay.vnc.port = "5901"' in ours[4]


def test_player_refuses_suspend_and_resume(tools: StandIns, tmp_path: Path) -> None:
    vms = fresh_vm_folder(tmp_path / "vms")
    xml = tmp_path / "vm1.xml"
    xml.write_text(vm_xml(vms))
    script = f"version; define {xml}; start vm1; suspend vm1; resume vm1; shutdown vm1; undefine vm1"
    theirs = side(virsh, tools, PLAYER, script, vms)
    fresh_vm_folder(vms)
    ours = side(virt_cli, tools, PLAYER, script, vms)
    refusal = "vmplayer does not support libvirt suspend/resume (vmware pause/unpause) operation"
    assert theirs[1].count(refusal) == 2
    assert without_library_lines(ours[0]) == without_library_lines(theirs[0])
    assert ours[1] == theirs[1]
    assert ours[2] == theirs[2] == 0  # the status of the last command, the undefine
    assert theirs[3][0] == ours[3][0] == ["vmplayer", "-v"]
    assert changes(ours[3]) == changes(theirs[3])
    assert all(c[2] == "player" for c in ours[3] if c[0] == "vmrun")


def test_fusion_version_from_vmware_vmx(tools: StandIns) -> None:
    theirs = virsh(FUSION, "version")
    ours = virt_cli(FUSION, "version")
    assert "Running hypervisor: VMware 13.5.0" in theirs.stdout
    assert without_library_lines(ours.stdout) == without_library_lines(theirs.stdout)
    assert ["vmware-vmx", "-v"] in tools.calls()


def test_destroy_without_vmware_tools(tools: StandIns, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """libvirt's destroy asks the guest (stop soft) and fails when VMware Tools do not run; virt's powers off."""
    vms = fresh_vm_folder(tmp_path / "vms")
    xml = tmp_path / "vm1.xml"
    xml.write_text(vm_xml(vms))
    monkeypatch.setenv("VMWARE_STANDIN_NO_TOOLS", "1")
    theirs = virsh(WS, f"define {xml}; start vm1; destroy vm1; domstate vm1")
    tools.end_vms()
    assert "Failed to destroy domain 'vm1'" in theirs.stderr
    assert (
        f"Child process ({tools.bin}/vmrun -T ws stop {vms}/vm1.vmx soft) unexpected exit status 255" in theirs.stderr
    )
    assert theirs.stdout.rstrip().endswith("running")
    fresh_vm_folder(vms)
    ours = virt_cli(WS, f"define {xml}; start vm1; shutdown vm1; destroy vm1; domstate vm1; undefine vm1")
    # the soft shutdown fails as libvirt's does (the tool's own words added), the destroy works
    assert (
        f"Child process ({tools.bin}/vmrun -T ws stop {vms}/vm1.vmx soft) unexpected exit status 255: " in ours.stderr
    )
    assert "Error: The VMware Tools are not running in the virtual machine" in ours.stderr
    assert "Domain 'vm1' destroyed" in ours.stdout
    assert ours.stdout.count("shut off") == 1


def test_stopped_vms_kept_across_connections(tools: StandIns, tmp_path: Path) -> None:
    """libvirt forgets a stopped VM when the connection closes; virt keeps the VMs it defined, and pauses."""
    vms = fresh_vm_folder(tmp_path / "vms")
    xml = tmp_path / "vm1.xml"
    xml.write_text(vm_xml(vms))
    assert virsh(WS, f"define {xml}").returncode == 0
    assert "vm1" not in virsh(WS, "list --all --name").stdout  # libvirt's next connection knows nothing
    assert virt_cli(WS, "list --all --name").stdout.strip() == ""
    fresh_vm_folder(vms)
    assert virt_cli(WS, f"define {xml}").returncode == 0
    assert virt_cli(WS, "list --all --name").stdout.split() == ["vm1"]
    assert virt_cli(WS, "start vm1; suspend vm1").returncode == 0
    # a later connection sees the pause virt made; libvirt's takes a listed VM for running
    assert virt_cli(WS, "domstate vm1").stdout.strip() == "paused"
    assert virsh(WS, "domstate vm1").stdout.strip() == "running"
    assert virt_cli(WS, "resume vm1; destroy vm1; undefine vm1").returncode == 0
    assert virt_cli(WS, "list --all --name").stdout.strip() == ""
    assert (vms / "vm1.vmx").exists()  # undefine leaves the files, as libvirt's does


def test_python_api_ids_reboot_and_lookups(tools: StandIns, tmp_path: Path) -> None:
    vms = fresh_vm_folder(tmp_path / "vms")
    with virt.open(WS) as conn:
        assert conn.version() == 17_005_000
        dom = conn.define_domain(vm_xml(vms))
        assert dom.state().state == DomainState.SHUTOFF and dom.id == -1
        dom.start()
        pid = int(re.search(r" pid=(\d+) ", (vms / "vmware.log").read_text()).group(1))
        assert conn.lookup_domain_by_id(pid).name == "vm1"
        assert conn.lookup_domain_by_name("vm1").id == pid
        dom.reboot()
        new_pid = int(re.search(r" pid=(\d+) ", (vms / "vmware.log").read_text()).group(1))
        assert new_pid != pid and conn.lookup_domain_by_name("vm1").id == new_pid
        assert (vms / "vmware-0.log").exists()  # the previous run's log, rotated as Workstation does
        assert ["vmrun", "-T", "ws", "reset", str(vms / "vm1.vmx"), "soft"] in tools.calls()
        with pytest.raises(VirtError, match="domain is not in suspend state"):
            dom.resume()
        dom.suspend()
        dom.destroy()  # a paused VM powers off too (libvirt refuses: README, differences)
        assert tools.calls()[-1] == ["vmrun", "-T", "ws", "stop", str(vms / "vm1.vmx"), "hard"]
        with pytest.raises(VirtError, match="domain is not in running state"):
            dom.shutdown()
        dom.undefine()
        with pytest.raises(VirtError, match="Domain not found"):
            conn.lookup_domain_by_name("vm1")


def test_define_refusals(tools: StandIns, tmp_path: Path) -> None:
    vms = fresh_vm_folder(tmp_path / "vms")
    with virt.open(WS) as conn:
        no_disk = re.sub(r"<disk.*</disk>", "", vm_xml(vms), flags=re.S)
        with pytest.raises(VirtError, match="doesn't contain any disks, cannot deduce datastore and path"):
            conn.define_domain(no_disk)
        raw = vm_xml(vms).replace("vm1.vmdk", "vm1.img")
        with pytest.raises(VirtError, match=r"unsupported suffix, expecting '\.vmdk'"):
            conn.define_domain(raw)
        with pytest.raises(VirtError, match="domaintype=kvm"):
            conn.define_domain(vm_xml(vms).replace("type='vmware'", "type='kvm'"))
        conn.define_domain(vm_xml(vms))
        with pytest.raises(VirtError, match="already exists with uuid"):
            conn.define_domain(vm_xml(vms).replace("564d1111", "564d9999"))


def test_malformed_vmx_names_the_line(tools: StandIns, tmp_path: Path) -> None:
    vms = fresh_vm_folder(tmp_path / "vms")
    with virt.open(WS) as conn:
        conn.define_domain(vm_xml(vms))
    vmx = vms / "vm1.vmx"
    lines = vmx.read_text().splitlines()
    lines.insert(3, 'memsize "512"')
    vmx.write_text("\n".join(lines) + "\n")
    with pytest.raises(VirtError) as caught:
        virt.open(WS)
    assert str(vmx) in str(caught.value) and "line 4" in str(caught.value)
    done = virt_cli(WS, "list --all")
    assert done.returncode == 1 and "Traceback" not in done.stderr and "line 4" in done.stderr
    # a value the reader refuses: the entry and its line
    lines[3:4] = []
    number = next(i for i, line in enumerate(lines, start=1) if line.startswith("memsize"))
    lines[number - 1] = 'memsize = "lots"'
    vmx.write_text("\n".join(lines) + "\n")
    done = virt_cli(WS, "list --all")
    assert "Config entry 'memsize' must represent an integer value" in done.stderr
    assert f"(in {vmx}, line {number})" in done.stderr and "Traceback" not in done.stderr


def test_uri_and_tool_errors(tools: StandIns, monkeypatch: pytest.MonkeyPatch) -> None:
    wrong = "unexpected VMware URI path '/system', try vmwareplayer:///session, vmwarews:///session or vmwarefusion:///session"
    assert wrong in virsh("vmwarews:///system", "list").stderr
    assert wrong in virt_cli("vmwarews:///system", "list").stderr
    (tools.bin / "vmrun").unlink()
    assert "vmrun utility is missing" in virsh(WS, "list").stderr
    assert "vmrun utility is missing" in virt_cli(WS, "list").stderr


def test_lifecycle_through_virtd_with_stock_virsh(tools: StandIns, tmp_path: Path) -> None:
    """Stock virsh reaching virt's vmware driver inside virtd (the stand-ins on the daemon's PATH)."""
    from virt.daemon.testing import start_virtd

    vms = fresh_vm_folder(tmp_path / "vms")
    xml = tmp_path / "vm1.xml"
    xml.write_text(vm_xml(vms))
    with start_virtd() as daemon:
        uri = daemon.uri(driver="vmwarews", path="/session")
        done = virsh(uri, f"version; define {xml}; start vm1; dominfo vm1; suspend vm1; domstate vm1; resume vm1")
        assert done.returncode == 0 and done.stderr == "", done.stderr
        assert "Running hypervisor: VMware 17.5.0" in done.stdout and "State:          running" in done.stdout
        assert "paused" in done.stdout.splitlines()
        # a second client: the VM defined and running through the first is known (virtd's driver
        # connection per client reads vmrun list and the VMs virt keeps)
        done = virsh(uri, "list --all; reboot vm1; shutdown vm1; list --all; start vm1; destroy vm1; undefine vm1")
        assert done.returncode == 0 and done.stderr == "", done.stderr
        pids = pids_in_logs(vms)
        assert "vm1 running" in without_pids(done.stdout, pids) and "vm1 shut off" in without_pids(done.stdout, pids)
        assert virsh(uri, "list --all --name").stdout.strip() == ""
    vmx = str(vms / "vm1.vmx")
    assert changes(tools.calls()) == [
        ["vmrun", "-T", "ws", "start", vmx],
        ["vmrun", "-T", "ws", "pause", vmx],
        ["vmrun", "-T", "ws", "unpause", vmx],
        ["vmrun", "-T", "ws", "reset", vmx, "soft"],
        ["vmrun", "-T", "ws", "stop", vmx, "soft"],
        ["vmrun", "-T", "ws", "start", vmx],
        ["vmrun", "-T", "ws", "stop", vmx, "hard"],
    ]


def test_create_transient_and_from_native_side_by_side(tools: StandIns, tmp_path: Path) -> None:
    """createXML writes the .vmx and starts a transient VM, gone once stopped; domxml-from-native
    reads a .vmx with its file names as they are (the driver's, through the API: the ``virt``
    command converts without its connection)."""
    import libvirt_binding

    vms = tmp_path / "vms"
    xml = tmp_path / "vm1.xml"
    xml.write_text(vm_xml(vms))
    script = f"create {xml}; list --all; dominfo vm1; destroy vm1; list --all"
    fresh_vm_folder(vms)
    theirs = side(virsh, tools, WS, script, vms)
    fresh_vm_folder(vms)
    ours = side(virt_cli, tools, WS, script, vms)
    assert theirs[1] == ours[1] == ""
    assert ours[0] == theirs[0]
    assert "Persistent: no" in ours[0]
    assert ours[4] == theirs[4]
    vmx = str(vms / "vm1.vmx")
    assert changes(theirs[3]) == [["vmrun", "-T", "ws", "start", vmx], ["vmrun", "-T", "ws", "stop", vmx, "soft"]]
    assert changes(ours[3]) == [["vmrun", "-T", "ws", "start", vmx], ["vmrun", "-T", "ws", "stop", vmx, "hard"]]
    native = (vms / "vm1.vmx").read_text()
    their_xml = libvirt_binding.from_native(WS, vms / "vm1.vmx")
    with virt.open(WS) as conn:
        assert conn.domain_xml_from_native("vmware-vmx", native) == their_xml
        with pytest.raises(VirtError, match="Unsupported config format 'qemu-argv'"):
            conn.domain_xml_from_native("qemu-argv", "qemu-system-x86_64")
    assert f"<source file='{vms}/vm1.vmdk'/>" in their_xml and "<boot dev='hd'/>" in their_xml


def test_vm_started_outside_is_listed_by_both(tools: StandIns, tmp_path: Path) -> None:
    """A VM started with vmrun itself is found on opening: running, its id the pid in its log."""
    import subprocess

    vms = fresh_vm_folder(tmp_path / "vms")
    with virt.open(WS) as conn:
        conn.define_domain(vm_xml(vms))
    (tools.virt_root / "state" / "known-ws.json").unlink()  # virt forgets it: only vmrun list finds it
    vmx = str(vms / "vm1.vmx")
    subprocess.run([str(tools.bin / "vmrun"), "-T", "ws", "start", vmx, "nogui"], check=True)
    pid = pids_in_logs(vms).pop()
    theirs = virsh(WS, "list --all; domid vm1; dumpxml vm1")
    ours = virt_cli(WS, "list --all; domid vm1; dumpxml vm1")
    assert ours.stderr == theirs.stderr == ""
    assert ours.stdout == theirs.stdout
    assert f"{pid}   vm1    running" in ours.stdout and f"<domain type='vmware' id='{pid}'>" in ours.stdout


def test_wrong_state_errors_side_by_side(tools: StandIns, tmp_path: Path) -> None:
    """Each step refused in the wrong state, with the same words on both sides."""
    vms = tmp_path / "vms"
    xml = tmp_path / "vm1.xml"
    xml.write_text(vm_xml(vms))
    script = (
        f"define {xml}; start vm1; start vm1; suspend vm1; suspend vm1; shutdown vm1; resume vm1; reboot vm1; "
        "destroy vm1; destroy vm1; reboot vm1; resume vm1; undefine vm1; dominfo nosuch"
    )
    fresh_vm_folder(vms)
    theirs = side(virsh, tools, WS, script, vms)
    fresh_vm_folder(vms)
    ours = side(virt_cli, tools, WS, script, vms)
    assert ours[0] == theirs[0] and ours[1] == theirs[1]
    assert theirs[1].count("domain is not in running state") == 4
    assert "domain is not in suspend state" in theirs[1] and "Domain is already active" in theirs[1]
    vmx = str(vms / "vm1.vmx")
    assert ["vmrun", "-T", "ws", "reset", vmx, "soft"] in ours[3]
    # the same calls, virt's destroy stopping hard where libvirt's stops softly
    softened = [[*c[:5], "soft"] if c[3:] == ["stop", vmx, "hard"] else c for c in changes(ours[3])]
    assert softened == changes(theirs[3])


API_CALLS = """
held = {}
def define():
    held["dom"] = conn.defineXML(extra[0])
    return held["dom"].name()
def on(method, *args):
    return lambda: getattr(held["dom"], method)(*args)
calls = [
    ("type", conn.getType), ("version", conn.getVersion), ("define", define),
    ("state", on("state")), ("info", on("info")), ("os type", on("OSType")), ("persistent", on("isPersistent")),
    ("managed save", on("hasManagedSaveImage", 0)), ("resume off", on("resume")), ("shutdown off", on("shutdown")),
    ("create", on("create")), ("create again", on("create")), ("active", on("isActive")),
    ("suspend", on("suspend")), ("suspend again", on("suspend")), ("state paused", on("state")),
    ("reboot paused", on("reboot", 0)), ("resume", on("resume")), ("resume again", on("resume")),
    ("shutdown acpi", on("shutdownFlags", 1)), ("reboot agent", on("reboot", 2)), ("reboot", on("reboot", 0)),
    ("shutdown", on("shutdown")), ("state off", on("state")), ("create 2", on("create")),
    ("destroy", on("destroy")), ("destroy again", on("destroy")),
    ("by name", lambda: conn.lookupByName("nosuch").name()), ("by id", lambda: conn.lookupByID(999999).name()),
    ("from qemu-argv", lambda: conn.domainXMLFromNative("qemu-argv", "qemu-system-x86_64", 0)),
    ("from vmx flags", lambda: conn.domainXMLFromNative("vmware-vmx", "", 1)),
    ("undefine", on("undefine")), ("by name gone", lambda: conn.lookupByName("vm1").name()),
]
"""


def test_api_calls_through_virtd_as_libvirt(tools: StandIns, tmp_path: Path) -> None:
    """libvirt's Python binding on libvirt's own driver and on virt's inside virtd: every result and
    every error (code, domain, message) the same (destroy's hard stop and its shutoff reason are
    not seen by these calls)."""
    from libvirt_binding import calls_session, need_binding
    from virt.daemon.testing import start_virtd

    need_binding()
    vms = tmp_path / "vms"
    xml = vm_xml(vms)
    fresh_vm_folder(vms)
    theirs = calls_session(API_CALLS, WS, False, xml)
    tools.end_vms()
    fresh_vm_folder(vms)
    with start_virtd() as daemon:
        ours = calls_session(API_CALLS, daemon.uri(driver="vmwarews", path="/session"), False, xml)
    assert len(theirs) == 33
    assert ours == theirs
    assert dict((r[0], r) for r in theirs)["resume off"][2:] == [
        1,
        39,
        "internal error: domain is not in suspend state",
    ]

"""virt.domaincalls on virt's test driver against libvirt 9.0's: virDomainGetCPUStats, SetLifecycleAction,
FSTrim, GetDiskErrors, SendProcessSignal, MemoryPeek, SetUserPassword, GetLaunchSecurityInfo,
CoreDump(WithFormat) and Create(XML)WithFiles, through python3-libvirt over each daemon (read-write and
read-only; the creations pass file descriptors, as libvirt does with SCM_RIGHTS), through virt's own
API in process and over virt's remote client, and virt's CLI against
stock virsh (cpu-stats, set-lifecycle-action, domfstrim, domblkerror, send-process-signal,
set-user-password, domlaunchsecinfo, dump)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import virt
from binding_sides import need_binding, session
from virt.daemon.testing import Virtd
from virt.domaincalls import DiskError, DumpFlags, DumpFormat, LifecycleAction, LifecycleType, MemoryFlags
from virt.domainchanges import Impact
from virt.errors import VirtError
from virt.testing import VIRSH, Libvirtd, missing_dependency

SESSION = r"""
import json, os, sys, libvirt
libvirt.registerErrorHandler(lambda *a: None, None)
uri, readonly, folder = sys.argv[1], sys.argv[2] == "ro", sys.argv[3]
conn = (libvirt.openReadOnly if readonly else libvirt.open)(uri)
dom = conn.lookupByName("test")
dump = os.path.join(folder, "core")
XML = "<domain type='test'><name>withfiles</name><memory>8192</memory><os><type>hvm</type></os></domain>"

def lifecycle():
    xml = conn.lookupByName("test").XMLDesc(0) + conn.lookupByName("test").XMLDesc(2)
    return [line.strip() for line in xml.splitlines() if "<on_" in line]

def dumped():
    if not os.path.exists(dump):
        return None
    with open(dump, "rb") as file:
        data = file.read()
    os.unlink(dump)
    return data.hex()

calls = [
    ("cpu total", lambda: dom.getCPUStats(True)),
    ("cpu each", lambda: dom.getCPUStats(False)),
    ("cpu string okay", lambda: dom.getCPUStats(True, 4)),
    ("cpu flags", lambda: dom.getCPUStats(True, 1)),
    ("disk errors", lambda: dom.diskErrors()),
    ("fstrim", lambda: dom.fSTrim(None, 0, 0)),
    ("fstrim boot", lambda: dom.fSTrim("/boot", 4096, 0)),
    ("fstrim unknown", lambda: dom.fSTrim("/x", 0, 0)),
    ("fstrim flags", lambda: dom.fSTrim(None, 0, 1)),
    ("signal", lambda: dom.sendProcessSignal(1, 9, 0)),
    ("signal rt32", lambda: dom.sendProcessSignal(1, 64, 0)),
    ("signal pid 2", lambda: dom.sendProcessSignal(2, 9, 0)),
    ("signal 99", lambda: dom.sendProcessSignal(1, 99, 0)),
    ("signal pid 0", lambda: dom.sendProcessSignal(0, 9, 0)),
    ("signal flags", lambda: dom.sendProcessSignal(1, 9, 1)),
    ("peek", lambda: dom.memoryPeek(250, 10, libvirt.VIR_MEMORY_VIRTUAL).hex()),
    ("peek physical", lambda: dom.memoryPeek(1 << 40, 4, libvirt.VIR_MEMORY_PHYSICAL).hex()),
    ("peek no kind", lambda: dom.memoryPeek(0, 4, 0)),
    ("peek both kinds", lambda: dom.memoryPeek(0, 4, 3)),
    ("peek flags", lambda: dom.memoryPeek(0, 4, 5).hex()),
    ("peek nothing", lambda: dom.memoryPeek(0, 0, 1).hex()),
    ("peek much", lambda: len(dom.memoryPeek(7, 1 << 20, 1))),
    ("password", lambda: dom.setUserPassword("root", "secret", 0)),
    ("password encrypted", lambda: dom.setUserPassword("root", "$6$x", 1)),
    ("password flags", lambda: dom.setUserPassword("root", "secret", 2)),
    ("launch security", lambda: dom.launchSecurityInfo(0)),
    ("lifecycle", lambda: dom.setLifecycleAction(0, 1, 0)),
    ("lifecycle config", lambda: dom.setLifecycleAction(2, 4, 2)),
    ("lifecycle both", lambda: dom.setLifecycleAction(1, 3, 3)),
    ("actions", lifecycle),
    ("lifecycle not on poweroff", lambda: dom.setLifecycleAction(0, 5, 0)),
    ("lifecycle type", lambda: dom.setLifecycleAction(7, 0, 0)),
    ("lifecycle action", lambda: dom.setLifecycleAction(0, 9, 0)),
    ("lifecycle flags", lambda: dom.setLifecycleAction(0, 0, 8)),
    ("back", lambda: [dom.setLifecycleAction(0, 0, 3), dom.setLifecycleAction(1, 1, 3), dom.setLifecycleAction(2, 0, 3)]),
    ("actions back", lifecycle),
    ("dump", lambda: dom.coreDump(dump, 0)),
    ("dumped", dumped),
    ("dump raw", lambda: dom.coreDumpWithFormat(dump, 0, 0)),
    ("dump kdump", lambda: dom.coreDumpWithFormat(dump, 1, 0)),
    ("dump kdump wrote", dumped),
    ("dump format", lambda: dom.coreDumpWithFormat(dump, 9, 0)),
    ("dump live", lambda: dom.coreDump(dump, 2)),
    ("dump crash live", lambda: dom.coreDump(dump, 3)),
    ("dump nowhere", lambda: dom.coreDump("/nonexistent/core", 0)),
    ("dump crash", lambda: dom.coreDump(dump, 1)),
    ("crashed", lambda: dom.state()),
    ("cpu stopped", lambda: dom.getCPUStats(True)),
    ("disk errors stopped", lambda: dom.diskErrors()),
    ("peek stopped", lambda: dom.memoryPeek(0, 4, 1)),
    ("password stopped", lambda: dom.setUserPassword("root", "secret", 0)),
    ("signal stopped", lambda: dom.sendProcessSignal(1, 9, 0)),
    ("fstrim stopped", lambda: dom.fSTrim(None, 0, 0)),
    ("dump stopped", lambda: dom.coreDump(dump, 0)),
    ("lifecycle live stopped", lambda: dom.setLifecycleAction(0, 0, 1)),
    ("start flags", lambda: dom.createWithFiles([], 1)),
    ("start", lambda: dom.createWithFiles([], 0)),
    ("started", lambda: [dom.state(), dom.ID() > 0]),
    ("start again", lambda: dom.createWithFiles([], 0)),
    ("create", lambda: conn.createXMLWithFiles(XML, [], 0).name()),
    ("create flags", lambda: conn.createXMLWithFiles(XML, [], 8)),
    ("created", lambda: [conn.lookupByName("withfiles").state(), conn.lookupByName("withfiles").destroy()]),
    ("stop", lambda: dom.destroy()),
    ("start passing files", lambda: dom.createWithFiles(list(os.pipe()) + [0], 0)),
    ("create passing files", lambda: conn.createXMLWithFiles(XML, list(os.pipe()), 0).name()),
    ("create passing files again", lambda: conn.createXMLWithFiles(XML, [0, 1, 2], 0).name()),
    ("passed", lambda: [dom.state(), conn.lookupByName("withfiles").destroy()]),
]
for name, call in calls:
    try:
        print(json.dumps([name, "ok", call()]))
    except libvirt.libvirtError as exc:
        message = exc.get_error_message()
        if "already exists with uuid" in message:
            message = message.split(" with uuid")[0]  # a transient domain's UUID is made up anew
        print(json.dumps([name, "error", exc.get_error_code(), exc.get_error_domain(), message]))
"""


def _session(uri: str, folder: Path, readonly: bool = False) -> list[list[object]]:
    return session(SESSION, uri, "ro" if readonly else "rw", str(folder))


@pytest.mark.parametrize("readonly", [False, True], ids=["read-write", "read-only"])
def test_python3_libvirt_through_virtd_as_through_libvirtd(
    daemons: tuple[Virtd, Libvirtd], readonly: bool, tmp_path: Path
) -> None:
    ours, reference = daemons
    tmp_path.chmod(0o777)
    expected = _session(reference.uri(readonly=readonly), tmp_path, readonly)
    assert _session(ours.uri(readonly=readonly), tmp_path, readonly) == expected
    results = {row[0]: row[1:] for row in expected}
    if readonly:
        assert results["peek"][-1] == "operation forbidden: read only access prevents virDomainMemoryPeek"
        assert results["cpu total"][0] == results["disk errors"][0] == "ok"
    else:
        assert results["dumped"] == ["ok", b"TestGuestMagic\0".hex()]
        assert results["crashed"] == ["ok", [5, 3]]
        assert results["create passing files"] == ["ok", "withfiles"]
        assert results["start passing files"] == ["ok", 0]


def test_python3_libvirt_in_process(tmp_path: Path) -> None:
    """The binding on libvirt's own test:///default: the answers virt's API gives below."""
    need_binding()
    results = {row[0]: row[1:] for row in _session("test:///default", tmp_path)}
    assert results["cpu total"] == [
        "ok",
        [{"cpu_time": 48772617035, "user_time": 5540000000, "system_time": 6460000000}],
    ]
    assert results["disk errors"] == ["ok", {"vda": 1}]
    assert results["peek"] == ["ok", "fafbfcfdfeff00010203"]
    assert results["lifecycle not on poweroff"] == [
        "error",
        67,
        20,
        "unsupported configuration: Lifecycle event 'poweroff' doesn't support 'coredump-restart' action",
    ]
    assert results["dump kdump"] == [
        "error",
        84,
        12,
        "Operation not supported: kdump-compressed format is not supported here",
    ]


_WITH_FILES = "<domain type='test'><name>withfiles</name><memory>8192</memory><os><type>hvm</type></os></domain>"


def _check_api(conn: virt.Connection, folder: Path) -> None:
    dom = conn.lookup_domain_by_name("test")
    totals = dom.cpu_stats(total=True)
    assert [(p.field, p.value) for p in totals[0]] == [
        ("cpu_time", 48772617035),
        ("user_time", 5540000000),
        ("system_time", 6460000000),
    ]
    assert [[p.value for p in row] for row in dom.cpu_stats()] == [
        [24386308517, 23151740627],
        [24386308518, 23151740628],
    ]
    assert dom.get_cpu_stats(0, 0, 0).result == 2
    one = dom.get_cpu_stats(1, 1, 5)
    assert (one.result, [(cpu, [p.field for p in row]) for cpu, row in one.rows]) == (1, [(1, ["cpu_time"])])
    with pytest.raises(VirtError, match="start_cpu 2 larger than maximum of 1"):
        dom.get_cpu_stats(2, 2, 1)
    with pytest.raises(VirtError, match="ncpus must be 1 when start_cpu is -1"):
        dom.get_cpu_stats(2, -1, 2)
    assert [(e.disk, e.error) for e in dom.disk_errors()] == [("vda", DiskError.UNSPEC)]
    assert dom.memory_peek(254, 4, MemoryFlags.PHYSICAL) == bytes([254, 255, 0, 1])
    dom.fstrim("/")
    dom.send_process_signal(1, 15)
    dom.set_user_password("root", "secret")
    with pytest.raises(VirtError, match=r"unsupported flags \(0x4\) in function testDomainGetLaunchSecurityInfo"):
        dom.launch_security_info()
    dom.set_lifecycle_action(LifecycleType.REBOOT, LifecycleAction.PRESERVE, Impact.LIVE)
    try:
        assert "<on_reboot>preserve</on_reboot>" in dom.xml()
        assert "<on_reboot>restart</on_reboot>" in dom.xml(inactive=True)
    finally:
        dom.set_lifecycle_action(LifecycleType.REBOOT, LifecycleAction.RESTART, Impact.LIVE)
    core = folder / "core"
    with pytest.raises(VirtError, match="kdump-compressed format is not supported here"):
        dom.core_dump(str(core), dumpformat=DumpFormat.KDUMP_SNAPPY)
    dom.core_dump(str(core), DumpFlags.CRASH)
    assert core.read_bytes() == b"TestGuestMagic\0"
    assert dom.state().state == virt.DomainState.SHUTOFF
    dom.start_with_files()
    created = conn.create_domain_with_files(_WITH_FILES)
    assert created.is_active() and not created.is_persistent()
    created.destroy()


def test_virt_api(tmp_path: Path) -> None:
    with virt.open("test:///default") as conn:
        _check_api(conn, tmp_path)


def _pass_files(conn: virt.Connection) -> None:
    """Creations passing file descriptors along the call (SCM_RIGHTS), which the test driver takes and ignores."""
    dom = conn.lookup_domain_by_name("test")
    read, write = os.pipe()
    try:
        dom.destroy()
        dom.start_with_files([read, write])
        created = conn.create_domain_with_files(_WITH_FILES, [read])
        assert created.is_active()
        created.destroy()
    finally:
        os.close(read)
        os.close(write)
    assert dom.is_active()


def test_virt_remote_client(daemons: tuple[Virtd, Libvirtd], tmp_path: Path) -> None:
    """The same through virt's own remote client, against virtd and libvirtd (passing descriptors)."""
    ours, reference = daemons
    for daemon in (ours, reference):
        with virt.open(daemon.uri()) as conn:
            _pass_files(conn)
    with virt.open(ours.uri()) as conn:
        _check_api(conn, tmp_path)
        with pytest.raises(VirtError, match="memory peek request too large for remote protocol"):
            conn.lookup_domain_by_name("test").memory_peek(0, 4194305, 1)
    with virt.open(ours.uri(readonly=True)) as conn:
        dom = conn.lookup_domain_by_name("test")
        assert dom.disk_errors()
        with pytest.raises(VirtError, match="read only access prevents virDomainCoreDump"):
            dom.core_dump(str(tmp_path / "core"))


COMMANDS = [
    "cpu-stats test", "cpu-stats test --total", "cpu-stats test --start 1", "cpu-stats test --start 1 --count 1",
    "cpu-stats test --count 5", "cpu-stats test --count 0", "cpu-stats test --start 2", "cpu-stats test --start -1",
    "cpu-stats test --count -1", "cpu-stats test --start x", "cpu-stats test --start 1 --total",
    "destroy test; cpu-stats test", "cpu-stats nope",
    "set-lifecycle-action test poweroff restart; dumpxml test", "set-lifecycle-action test crash coredump-restart --config --live; dumpxml test --inactive",
    "set-lifecycle-action test reboot rename-restart --current; dumpxml test",
    "set-lifecycle-action test foo restart", "set-lifecycle-action test poweroff foo",
    "set-lifecycle-action test poweroff coredump-destroy", "set-lifecycle-action test crash preserve --config --current",
    "set-lifecycle-action test", "destroy test; set-lifecycle-action test poweroff preserve --live",
    "domfstrim test", "domfstrim test --mountpoint /boot --minimum 1024", "domfstrim test --mountpoint /x",
    "domfstrim test --minimum x", "destroy test; domfstrim test",
    "domblkerror test", "destroy test; domblkerror test", "domblkerror nope",
    "send-process-signal test 1 kill", "send-process-signal test 1 SIGTERM", "send-process-signal test 1 sig_hup",
    "send-process-signal test 1 9", "send-process-signal test 1 rt32", "send-process-signal test 1 foo",
    "send-process-signal test 1 -1", "send-process-signal test 2 kill", "send-process-signal test 1 99",
    "send-process-signal test x kill", "send-process-signal test 0 kill", "send-process-signal test 1",
    "set-user-password test root secret", "set-user-password test root secret --encrypted",
    "set-user-password test root", "set-user-password test '' secret", "destroy test; set-user-password test root x",
    "domlaunchsecinfo test", "domlaunchsecinfo nope",
    "help cpu-stats", "help set-lifecycle-action", "help domfstrim", "help domblkerror", "help send-process-signal",
    "help set-user-password", "help domlaunchsecinfo", "help dump",
    "destroy test; start test --pass-fds 0,1,2; domstate test", "start test --pass-fds 0",
    "destroy test; start test --pass-fds x", "destroy test; start test --pass-fds ''",
    "destroy test; start test --pass-fds 1,,2", "destroy test; start test --pass-fds 0 --paused",
    "destroy test; start test --pass-fds 2 --force-boot", "create {dir}/pf.xml --pass-fds 0,2; list",
    "create {dir}/pf.xml --pass-fds 3x",
]  # fmt: skip


@pytest.mark.parametrize("command", COMMANDS)
def test_cli_as_virsh(command: str, tmp_path: Path) -> None:
    if shutil.which(VIRSH) is None:
        missing_dependency("virsh is not installed (apt-get install libvirt-clients)")
    virt_cli = str(Path(sys.executable).parent / "virt")
    line = command.format(dir=tmp_path)
    (tmp_path / "pf.xml").write_text(_WITH_FILES)

    def run(program: str) -> tuple[int, str, str, bytes | None]:
        done = subprocess.run([program, "-c", "test:///default", line], capture_output=True, text=True, timeout=60)
        core = tmp_path / "core"
        written = core.read_bytes() if core.exists() else None
        core.unlink(missing_ok=True)
        return done.returncode, done.stdout, done.stderr, written

    assert run(virt_cli) == run(VIRSH)


DUMP = {
    "dump test {dir}/core": (0, "\nDomain 'test' dumped to {dir}/core\n\n", ""),
    "dump test {dir}/core --crash; domstate test --reason": (
        0,
        "\nDomain 'test' dumped to {dir}/core\n\nshut off (crashed)\n\n",
        "",
    ),
    "dump test {dir}/core --verbose": (0, "\nDomain 'test' dumped to {dir}/core\n\n", "\nDump: [100 %]"),
    "dump test": (1, "", "error: command 'dump' requires <file> option\n"),
    "dump test {dir}/core --crash; start test; dump test {dir}/core": (
        0,
        "\nDomain 'test' dumped to {dir}/core\n\nDomain 'test' started\n\n\nDomain 'test' dumped to {dir}/core\n\n",
        "",
    ),
    "dump test relative-core": (0, "\nDomain 'test' dumped to relative-core\n\n", ""),
    "dump test {dir}/core --live": (
        1,
        "\n",
        "error: Failed to core dump domain 'test' to {dir}/core\nerror: unsupported flags (0x2) in function testDomainCoreDumpWithFormat\n",
    ),
    "dump test {dir}/core --bypass-cache": (
        1,
        "\n",
        "error: Failed to core dump domain 'test' to {dir}/core\nerror: unsupported flags (0x4) in function testDomainCoreDumpWithFormat\n",
    ),
    "dump test {dir}/core --reset": (
        1,
        "\n",
        "error: Failed to core dump domain 'test' to {dir}/core\nerror: unsupported flags (0x8) in function testDomainCoreDumpWithFormat\n",
    ),
    "dump test {dir}/core --crash --live": (
        1,
        "\n",
        "error: Failed to core dump domain 'test' to {dir}/core\nerror: Flags 'VIR_DUMP_CRASH' and 'VIR_DUMP_LIVE' are mutually exclusive\n",
    ),
    "dump test {dir}/core --crash --reset": (
        1,
        "\n",
        "error: Failed to core dump domain 'test' to {dir}/core\nerror: Flags 'VIR_DUMP_CRASH' and 'VIR_DUMP_RESET' are mutually exclusive\n",
    ),
    "dump test {dir}/core --memory-only": (
        1,
        "\n",
        "error: Failed to core dump domain 'test' to {dir}/core\nerror: unsupported flags (0x10) in function testDomainCoreDumpWithFormat\n",
    ),
    "dump test {dir}/core --format elf": (1, "\n", "error: --format only works with --memory-only\n"),
    "dump test {dir}/core --memory-only --format kdump-zlib": (
        1,
        "\n",
        "error: Failed to core dump domain 'test' to {dir}/core\nerror: unsupported flags (0x10) in function testDomainCoreDumpWithFormat\n",
    ),
    "dump test {dir}/core --memory-only --format foo": (
        1,
        "\n",
        "error: format 'foo' is not supported, expecting 'kdump-zlib', 'kdump-lzo', 'kdump-snappy', 'win-dmp' or 'elf'\n",
    ),
    "dump test {dir}/core --memory-only --format win-dmp": (
        1,
        "\n",
        "error: Failed to core dump domain 'test' to {dir}/core\nerror: unsupported flags (0x10) in function testDomainCoreDumpWithFormat\n",
    ),
    "dump test /nonexistent/core": (
        1,
        "\n",
        "error: Failed to core dump domain 'test' to /nonexistent/core\nerror: domain 'test' coredump: failed to open /nonexistent/core: No such file or directory\n",
    ),
    "dump test /nonexistent/core --verbose": (
        1,
        "\n",
        "error: Failed to core dump domain 'test' to /nonexistent/core\nerror: domain 'test' coredump: failed to open /nonexistent/core: No such file or directory\n",
    ),
    "destroy test; dump test {dir}/core": (
        1,
        "Domain 'test' destroyed\n\n\n",
        "error: Failed to core dump domain 'test' to {dir}/core\nerror: Requested operation is not valid: domain is not running\n",
    ),
}
"""virsh dump as virsh 9.0 prints it (run in ``{dir}``): virsh itself hangs now and then on a dump in
process (its job watcher), so virt is compared with its recorded words."""


@pytest.mark.parametrize("command", list(DUMP))
def test_dump_as_virsh_prints_it(command: str, tmp_path: Path) -> None:
    virt_cli = str(Path(sys.executable).parent / "virt")
    line = command.format(dir=tmp_path)
    done = subprocess.run(
        [virt_cli, "-c", "test:///default", line], capture_output=True, text=True, timeout=60, cwd=tmp_path
    )
    code, stdout, stderr = DUMP[command]
    assert (done.returncode, done.stdout) == (code, stdout.format(dir=tmp_path))
    if "--verbose" in command and not code:
        # virsh draws its progress line after a carriage return or a newline, as its job watcher goes
        assert done.stderr.endswith("Dump: [100 %]")
    else:
        assert done.stderr == stderr.format(dir=tmp_path)
    written = [path.read_bytes() for path in tmp_path.iterdir()]
    assert written == ([b"TestGuestMagic\0"] if code == 0 and "dumped" in stdout else [])


VIRSH_OVER_DAEMONS = [
    "cpu-stats test", "cpu-stats test --total", "cpu-stats test --start 1 --count 4", "cpu-stats test --start 3",
    "domblkerror test", "domfstrim test --mountpoint /boot", "domfstrim test --mountpoint /x",
    "send-process-signal test 1 sigterm", "send-process-signal test 1 99", "send-process-signal test 2 kill",
    "set-user-password test root secret", "set-user-password test root secret --encrypted", "domlaunchsecinfo test",
    "set-lifecycle-action test crash coredump-restart --live --config; dumpxml test --inactive;"
    " set-lifecycle-action test crash destroy --live --config",
    "set-lifecycle-action test poweroff coredump-restart",
    "-r cpu-stats test", "-r domblkerror test", "-r domfstrim test", "-r set-user-password test root secret",
    "-r domlaunchsecinfo test", "-r set-lifecycle-action test poweroff restart",
    "destroy test; start test --pass-fds 0,1,2; domstate test",
]  # fmt: skip


@pytest.mark.parametrize("command", VIRSH_OVER_DAEMONS)
def test_virsh_through_virtd_as_through_libvirtd(daemons: tuple[Virtd, Libvirtd], command: str) -> None:
    if shutil.which(VIRSH) is None:
        missing_dependency("virsh is not installed (apt-get install libvirt-clients)")
    readonly = command.startswith("-r ")
    line = command.removeprefix("-r ")

    def run(daemon: Virtd | Libvirtd) -> tuple[int, str, str]:
        uri = daemon.uri(readonly=readonly)
        done = subprocess.run([VIRSH, "-c", uri, line], capture_output=True, text=True, timeout=60)
        return done.returncode, done.stdout, done.stderr

    ours, reference = daemons
    assert run(ours) == run(reference)


@pytest.mark.parametrize(
    "command",
    ["destroy test; start test --pass-fds 0,1,2; domstate test", "cpu-stats test", "domblkerror test"],
)
def test_virt_cli_through_virtd_as_virsh_through_libvirtd(daemons: tuple[Virtd, Libvirtd], command: str) -> None:
    """virt's own remote client under its CLI, passing descriptors along the start as virsh does."""
    if shutil.which(VIRSH) is None:
        missing_dependency("virsh is not installed (apt-get install libvirt-clients)")
    ours, reference = daemons
    virt_cli = str(Path(sys.executable).parent / "virt")
    done = [
        subprocess.run([program, "-c", daemon.uri(), command], capture_output=True, text=True, timeout=60)
        for program, daemon in ((virt_cli, ours), (VIRSH, reference))
    ]
    ours_done, libvirt_done = ((d.returncode, d.stdout, d.stderr) for d in done)
    assert ours_done == libvirt_done

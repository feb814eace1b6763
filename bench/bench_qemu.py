"""Real QEMU/KVM guests: our qemu:///system driver against Debian's libvirtd 9.0 in one run.

The same minimal, idle guest for every side: 128 MiB, 1 vcpu, no network, balloon or graphics, and a
read-only raw disk (written by the benchmark) whose only content is a boot sector that halts the
processor with interrupts off (``cli; hlt``): SeaBIOS boots it once and the vCPU then sleeps for good,
using no processor time. (``--guest firmware`` runs the older firmware-only guest instead: with no boot
device SeaBIOS retries, rebooting every minute, and 50 of them keep two nested-KVM CPUs busy.) Before
the owner of the reattach guests is killed they are given time to finish booting, and their processor
use per guest is reported.
- start: the API call until the guest runs (ours ``dom.start()``, libvirt's ``dom.create()``), and the
  floor: ``qemu-system-x86_64 -S`` spawned by hand, QMP connected, ``cont``, ``query-status`` running;
- destroy: the API call until the QEMU process is gone;
- reattach: N guests started by our driver in a child process that is then SIGKILLed; a new process
  (``python -c``: import virt, ``virt.open`` + ``list_domains()``, then a ``query-status`` through the
  driver's monitor connection of each guest) is timed from its exec until every guest is listed running
  and its monitor has answered. Bytecode is compiled beforehand (``compileall`` over the import path,
  as pip does at install time: PYTHONDONTWRITEBYTECODE may be set). For libvirt: SIGKILL libvirtd with
  N guests, start it again, until every guest is listed running and answers through its monitor
  (``qemuMonitorCommand`` ``query-status``). Both sides are cold processes.
Ours runs with ``VIRT_QEMU_ROOT`` in a temporary folder, never touching real state. The libvirt side
runs under Debian's /usr/bin/python3 (python3-libvirt). When no libvirtd runs, the script starts one
itself in a private mount namespace whose /etc/libvirt is a temporary folder (qemu.conf: QEMU runs as
root, /dev/kvm here being root's only), and stops it at the end; it creates the ``kvm`` and
``libvirt-qemu`` accounts libvirtd insists on when they are missing. Needs root and /dev/kvm.
Every guest it starts (names ``vbXXXXXX-*``) is destroyed at the end, whatever happened.
"""

from __future__ import annotations

import argparse
import contextlib
import inspect
import json
import os
import pwd
import re
import secrets
import select
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

START_VS_LIBVIRT = 0.5
START_VS_RAW = 2.0
DESTROY_VS_LIBVIRT = 0.1
REATTACH_SECONDS_PER_50 = 1.0
LIBVIRT_PYTHON = "/usr/bin/python3"
LIBVIRT_SOCKET = "/run/libvirt/libvirt-sock"
QEMU = "qemu-system-x86_64"
IDLE_PER_GUEST = 0.005
"""A guest using less than this share of one CPU (over a second) has finished booting."""
SETTLE_TIMEOUT = 60.0

TEMPLATE = """<domain type='kvm'>
  <name>@NAME@</name>
  <memory unit='MiB'>128</memory>
  <currentMemory unit='MiB'>128</currentMemory>
  <vcpu placement='static'>1</vcpu>
  <os>
    <type arch='x86_64' machine='pc'>hvm</type>
    @BOOT@
  </os>
  <features>
    <acpi/>
  </features>
  <clock offset='utc'/>
  <on_poweroff>destroy</on_poweroff>
  <on_reboot>restart</on_reboot>
  <on_crash>destroy</on_crash>
  <devices>
    @DISK@
    <memballoon model='none'/>
  </devices>
</domain>
"""

DISK = """<disk type='file' device='disk'>
      <driver name='qemu' type='raw'/>
      <source file='@IMAGE@'/>
      <target dev='vda' bus='virtio'/>
      <readonly/>
    </disk>"""

BOOT_SECTOR = bytes.fromhex("fa f4 eb fd")
"""cli; hlt; jmp back to the hlt: with interrupts off nothing wakes the vCPU (an NMI would only loop)."""


def write_boot_image(path: Path) -> Path:
    """A raw disk holding only a boot sector SeaBIOS boots (0x55AA signature); 1 MiB, sparse.

    Read-only in the guests, so that every guest of the run shares it (QEMU locks a writable image).
    SeaBIOS does not read a virtio disk of a single sector, hence the size.
    """
    sector = BOOT_SECTOR + bytes(510 - len(BOOT_SECTOR)) + b"\x55\xaa"
    with open(path, "wb") as f:
        f.write(sector)
        f.truncate(1024 * 1024)
    return path


def template(image: Path | None) -> str:
    """TEMPLATE for the boot-sector guest on ``image``, or the firmware-only one (None); ``@NAME@`` left in."""
    if image is None:
        return TEMPLATE.replace("    @BOOT@\n", "").replace("    @DISK@\n", "")
    return TEMPLATE.replace("@BOOT@", "<boot dev='hd'/>").replace("@DISK@", DISK.replace("@IMAGE@", str(image)))


def domain_xml(name: str, image: Path | None) -> str:
    return template(image).replace("@NAME@", name)


def raw_argv(name: str, monitor: Path, image: Path | None) -> list[str]:
    """What our driver and libvirt give QEMU for TEMPLATE, minus what only they need."""
    disk: list[str] = []
    if image is not None:
        storage = {"driver": "file", "filename": str(image), "node-name": "disk0-storage", "auto-read-only": True,
                   "discard": "unmap"}  # fmt: skip
        image_format = {"node-name": "disk0-format", "read-only": True, "driver": "raw", "file": "disk0-storage"}
        device = {"driver": "virtio-blk-pci", "bus": "pci.0", "addr": "0x2", "drive": "disk0-format",
                  "id": "virtio-disk0", "bootindex": 1}  # fmt: skip
        disk = ["-blockdev", json.dumps(storage), "-blockdev", json.dumps(image_format), "-device", json.dumps(device)]
    return [
        QEMU, "-name", f"guest={name},debug-threads=on", "-S",
        "-machine", "pc,accel=kvm,usb=off,dump-guest-core=off", "-cpu", "qemu64", "-m", "128",
        "-overcommit", "mem-lock=off", "-smp", "1,sockets=1,cores=1,threads=1",
        "-no-user-config", "-nodefaults",
        "-chardev", f"socket,id=charmonitor,path={monitor},server=on,wait=off",
        "-mon", "chardev=charmonitor,id=monitor,mode=control",
        "-rtc", "base=utc", "-no-shutdown", "-boot", "strict=on",
        "-device", "piix3-usb-uhci,id=usb,bus=pci.0,addr=0x1.0x2", *disk,
        "-display", "none", "-msg", "timestamp=on",
    ]  # fmt: skip


# -- processes ------------------------------------------------------------------------------------
def proc_state(pid: int) -> str | None:
    """The state letter of /proc/PID/stat, None when the pid is gone."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            raw = f.read()
    except OSError:
        return None
    return raw[raw.rfind(")") + 2]


def exited(pid: int) -> bool:
    """True once the process ended (a zombie waiting for its parent to reap it has ended)."""
    state = proc_state(pid)
    return state is None or state in "ZX"


def wait_exited(pid: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not exited(pid):
        if time.monotonic() > deadline:
            raise RuntimeError(f"process {pid} still runs after {timeout:g} s")
        time.sleep(0.0005)


def pids_mentioning(needle: str, spare: set[int]) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and int(entry.name) not in spare:
            with contextlib.suppress(OSError):
                if needle.encode() in (entry / "cmdline").read_bytes():
                    found.append(int(entry.name))
    return found


def kill_mentioning(needle: str, spare: set[int]) -> int:
    pids = pids_mentioning(needle, spare | {os.getpid()})
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    return len(pids)


def stop_process(pid: int, timeout: float = 15.0) -> None:
    """SIGTERM, then SIGKILL after ``timeout``."""
    for sig, wait in ((signal.SIGTERM, timeout), (signal.SIGKILL, 5.0)):
        if exited(pid):
            return
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, sig)
        with contextlib.suppress(RuntimeError):
            wait_exited(pid, wait)
            return


def cpu_seconds(pids: list[int]) -> float:
    """User plus system time of the processes ``pids`` so far (the gone ones count for nothing)."""
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def settle(pids: list[int], limit: float, timeout: float) -> tuple[float, float]:
    """Wait until the guests ``pids`` use less than ``limit`` of a CPU each (over one second), at most
    ``timeout`` seconds: (their last share of a CPU per guest, seconds waited)."""
    t0 = time.monotonic()
    while True:
        before, start = cpu_seconds(pids), time.monotonic()
        time.sleep(1.0)
        share = (cpu_seconds(pids) - before) / (time.monotonic() - start) / max(1, len(pids))
        if share < limit or time.monotonic() - t0 > timeout:
            return share, time.monotonic() - t0


def _cpu_ticks() -> list[int]:
    with open("/proc/stat") as f:
        return [int(n) for n in f.readline().split()[1:]]


def _busy(before: list[int], after: list[int]) -> float:
    """The share of the host's processor time that was not idle (nor waiting for I/O) in between."""
    delta = [b - a for a, b in zip(before, after, strict=True)]
    return 1 - (delta[3] + delta[4]) / max(1, sum(delta))


# -- ours -----------------------------------------------------------------------------------------
def _our_pid(root: Path, name: str) -> int:
    text = (root / "system" / "run" / "status" / f"{name}.xml").read_text()
    found = re.search(r"<domstatus\b[^>]*\bpid=['\"](\d+)", text)
    if found is None:
        raise RuntimeError(f"no pid in the status file of {name}")
    return int(found.group(1))


def ours_start_destroy(root: Path, name: str, runs: int, image: Path | None) -> dict[str, list[float]]:
    import virt

    os.environ["VIRT_QEMU_ROOT"] = str(root)
    starts: list[float] = []
    destroys: list[float] = []
    with virt.open("qemu:///system") as conn:
        dom = conn.define_domain(domain_xml(name, image))  # probes QEMU's capabilities once (cached on disk)
        try:
            for run in range(runs + 1):  # the first round warms up
                t0 = time.perf_counter()
                dom.start()
                t1 = time.perf_counter()
                if dom.state().state != virt.DomainState.RUNNING:
                    raise RuntimeError(f"ours: {name} is {dom.state()} after start()")
                pid = _our_pid(root, name)
                t2 = time.perf_counter()
                dom.destroy()
                wait_exited(pid, 10)
                t3 = time.perf_counter()
                if run:
                    starts.append(t1 - t0)
                    destroys.append(t3 - t2)
        finally:
            with contextlib.suppress(Exception):
                if dom.is_active():
                    dom.destroy()
            with contextlib.suppress(Exception):
                dom.undefine()
    return {"start": starts, "destroy": destroys}


# The owner that gets killed: starts N guests, says so, waits for its SIGKILL.
CHILD = """
import sys, time, virt
count, prefix, template = int(sys.argv[1]), sys.argv[2], sys.stdin.read()
conn = virt.open("qemu:///system")
for i in range(count):
    conn.define_domain(template.replace("@NAME@", f"{prefix}{i}")).start()
print("ready", flush=True)
time.sleep(3600)
"""


# The new owner, a cold process: timed from its exec until every guest is listed running and has
# answered a query-status through the driver's own monitor connection (the driver's internal QMP
# call, the counterpart of libvirt_qemu.qemuMonitorCommand on the libvirt side). It prints
# CLOCK_MONOTONIC stamps, comparable across processes, then exits; the guests keep running.
COLD_REATTACH = """
import time
started = time.clock_gettime(time.CLOCK_MONOTONIC)
import json, sys
import virt
imported = time.clock_gettime(time.CLOCK_MONOTONIC)
conn = virt.open("qemu:///system")
opened = time.clock_gettime(time.CLOCK_MONOTONIC)
doms = conn.list_domains()
running = sorted(d.name for d in doms if d.state().state == virt.DomainState.RUNNING)
listed = time.clock_gettime(time.CLOCK_MONOTONIC)
qemu = conn.driver.qemu
answers = 0
for dom in doms:
    with qemu.locked(dom.ref) as obj:
        answers += bool(qemu.qmp(obj, "query-status")["running"])
done = time.clock_gettime(time.CLOCK_MONOTONIC)
print(json.dumps({"started": started, "imported": imported, "opened": opened, "listed": listed, "done": done,
                  "running": running, "answers": answers}), flush=True)
conn.close()
"""


def bytecode_paths(env: dict[str, str]) -> list[str]:
    """Every folder on the import path of ``sys.executable`` under ``env``: the standard library, the
    installed packages, and the source trees of editable installs."""
    found = subprocess.run(
        [sys.executable, "-c", "import json, sys; print(json.dumps(sys.path))"],
        env=env, cwd="/", capture_output=True, text=True, check=True,
    )  # fmt: skip
    return [path for path in json.loads(found.stdout) if path and Path(path).is_dir()]


def compile_bytecode(env: dict[str, str]) -> None:
    """Compile what a new process imports, as pip does for users at install time.

    These machines set PYTHONDONTWRITEBYTECODE=1, so an import never writes its .pyc: without this
    every cold process would compile virt anew and the timing would measure the compiler. Files
    that do not compile (tests for other Python versions in some packages) are no concern here.
    """
    subprocess.run(
        [sys.executable, "-m", "compileall", "-q", "-j", "0", *bytecode_paths(env)],
        env=env, cwd="/", stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False,
    )  # fmt: skip


def ours_reattach(root: Path, caps_cache: Path, prefix: str, count: int, image: Path | None) -> dict[str, Any]:
    import virt

    (root / "system").mkdir(parents=True)
    if caps_cache.is_dir():
        (root / "system" / "cache").symlink_to(caps_cache)  # no second probe of the same binary
    env = dict(os.environ, VIRT_QEMU_ROOT=str(root))
    compile_bytecode(env)
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(count), prefix],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env, text=True,
    )  # fmt: skip
    try:
        assert child.stdin is not None and child.stdout is not None
        child.stdin.write(template(image))
        child.stdin.close()
        ready, _, _ = select.select([child.stdout], [], [], 30 + 2.0 * count)
        line = child.stdout.readline() if ready else ""
        if line.strip() != "ready":
            raise RuntimeError(f"ours: the child did not start {count} guests (exit status {child.poll()})")
        pids = [_our_pid(root, f"{prefix}{i}") for i in range(count)]
        guest_cpu, settled = settle(pids, IDLE_PER_GUEST, SETTLE_TIMEOUT)
    finally:
        child.kill()
        child.wait()
    names = sorted(f"{prefix}{i}" for i in range(count))
    try:
        before = _cpu_ticks()
        t0 = time.clock_gettime(time.CLOCK_MONOTONIC)
        cold = subprocess.run(
            [sys.executable, "-c", COLD_REATTACH], env=env, cwd="/", capture_output=True, text=True,
            timeout=60 + count,
        )  # fmt: skip
        busy = _busy(before, _cpu_ticks())
        if cold.returncode != 0 or not cold.stdout.strip():
            tail = cold.stderr.strip().splitlines()[-1:] or ["no output"]
            raise RuntimeError(f"ours: the reattaching process failed (exit status {cold.returncode}): {tail[0]}")
        stamps = json.loads(cold.stdout.strip().splitlines()[-1])
        if stamps["running"] != names or stamps["answers"] != count:
            raise RuntimeError(
                f"ours: {len(set(stamps['running']) & set(names))} of {count} guests listed running and "
                f"{stamps['answers']} monitors answered after reattach"
            )
        return {
            "reattach": stamps["done"] - t0,
            "interpreter": stamps["started"] - t0,
            "imported": stamps["imported"] - t0,
            "opened": stamps["opened"] - t0,
            "listed": stamps["listed"] - t0,
            "busy": busy,
            "guest_cpu": guest_cpu,
            "settled": settled,
        }
    finally:
        # a third owner, in this process, takes the guests back to remove them
        os.environ["VIRT_QEMU_ROOT"] = str(root)
        with virt.open("qemu:///system") as conn:
            for dom in conn.list_domains():
                with contextlib.suppress(Exception):
                    if dom.is_active():
                        dom.destroy()
                with contextlib.suppress(Exception):
                    dom.undefine()


# -- raw QEMU ---------------------------------------------------------------------------------------
class RawQmp:
    """The least a client must do: connect (retrying until QEMU listens), negotiate, run commands."""

    def __init__(self, path: Path, popen: subprocess.Popen[bytes], timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while True:
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                sock.connect(str(path))
                break
            except (FileNotFoundError, ConnectionRefusedError):
                sock.close()
                if popen.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"raw QEMU: no monitor at {path} (exit status {popen.poll()})") from None
                time.sleep(0.0005)
        sock.settimeout(timeout)
        self.sock, self.reader = sock, sock.makefile("rb")
        self._read()  # the greeting
        self.command("qmp_capabilities")

    def _read(self) -> dict[str, Any]:
        line = self.reader.readline()
        if not line:
            raise RuntimeError("raw QEMU closed its monitor")
        return json.loads(line)  # type: ignore[no-any-return]

    def command(self, name: str) -> Any:
        self.sock.sendall(json.dumps({"execute": name}).encode() + b"\n")
        while True:
            message = self._read()
            if "return" in message:
                return message["return"]
            if "error" in message:
                raise RuntimeError(f"raw QEMU refused {name}: {message['error']}")

    def close(self) -> None:
        self.reader.close()
        self.sock.close()


def raw_start_destroy(folder: Path, name: str, runs: int, image: Path | None) -> dict[str, list[float]]:
    folder.mkdir(parents=True)
    starts: list[float] = []
    destroys: list[float] = []
    with open(folder / "qemu.log", "ab") as log:
        for run in range(runs + 1):
            monitor = folder / f"m{run}.sock"
            t0 = time.perf_counter()
            popen = subprocess.Popen(
                raw_argv(name, monitor, image), stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                cwd="/", start_new_session=True, close_fds=True,
            )  # fmt: skip
            try:
                qmp = RawQmp(monitor, popen, 30.0)
                qmp.command("cont")
                while not qmp.command("query-status")["running"]:
                    pass
                t1 = time.perf_counter()
                qmp.close()
                pidfd = os.pidfd_open(popen.pid)  # readable the moment QEMU exits: no polling delay
                try:
                    t2 = time.perf_counter()
                    popen.send_signal(signal.SIGTERM)
                    select.select([pidfd], [], [], 10)
                    popen.wait(1)
                    t3 = time.perf_counter()
                finally:
                    os.close(pidfd)
            finally:
                if popen.poll() is None:
                    popen.kill()
                    popen.wait()
            if run:
                starts.append(t1 - t0)
                destroys.append(t3 - t2)
    return {"start": starts, "destroy": destroys}


# -- libvirt ----------------------------------------------------------------------------------------
LIBVIRT_SIDE = (
    "import json, os, select, signal, subprocess, sys, threading, time\n"
    + "".join(inspect.getsource(f) for f in (proc_state, exited, wait_exited, cpu_seconds, settle))
    + """
from concurrent.futures import ThreadPoolExecutor
import libvirt, libvirt_qemu

libvirt.registerErrorHandler(lambda *_: None, None)
args = json.load(sys.stdin)

def start_destroy():
    conn = libvirt.open("qemu:///system")
    name = args["name"]
    dom = conn.defineXML(args["xml"])
    starts, destroys, exits = [], [], []
    try:
        for run in range(args["runs"] + 1):  # the first round warms up
            t0 = time.perf_counter()
            dom.create()
            t1 = time.perf_counter()
            if dom.state()[0] != libvirt.VIR_DOMAIN_RUNNING:
                raise RuntimeError(f"libvirt: {name} is {dom.state()} after create()")
            with open(f"/run/libvirt/qemu/{name}.pid") as f:
                pid = int(f.read())
            seen = {}
            pidfd = os.pidfd_open(pid)  # readable once every thread of QEMU ended (before it is reaped)
            def watch():  # when QEMU itself ended (libvirtd returns once the pid is reaped)
                select.select([pidfd], [], [], 30)
                seen["exited"] = time.perf_counter()
            watcher = threading.Thread(target=watch, daemon=True)
            watcher.start()
            t2 = time.perf_counter()
            dom.destroy()
            wait_exited(pid, 30)
            t3 = time.perf_counter()
            watcher.join(5)
            os.close(pidfd)
            if run:
                starts.append(t1 - t0)
                destroys.append(t3 - t2)
                exits.append(seen.get("exited", t3) - t2)
    finally:
        try:
            if dom.isActive():
                dom.destroy()
        except libvirt.libvirtError:
            pass
        try:
            dom.undefine()
        except libvirt.libvirtError:
            pass
    return {"start": starts, "destroy": destroys, "exited": exits}

def reattach():
    count, prefix = args["count"], args["prefix"]
    names = [f"{prefix}{i}" for i in range(count)]
    conn = libvirt.open("qemu:///system")
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda name: conn.createXML(args["xml"].replace("@NAME@", name), 0), names))
    conn.close()
    pids = []
    for name in names:
        with open(f"/run/libvirt/qemu/{name}.pid") as f:
            pids.append(int(f.read()))
    guest_cpu, settled = settle(pids, args["idle"], args["settle_timeout"])
    os.kill(args["daemon_pid"], signal.SIGKILL)
    wait_exited(args["daemon_pid"], 10)
    t0 = time.perf_counter()
    with open(args["daemon_log"], "ab") as log:
        daemon = subprocess.Popen(args["daemon_argv"], stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                  start_new_session=True)
    print(json.dumps({"daemon_pid": daemon.pid}), flush=True)
    deadline = time.monotonic() + args["timeout"]
    while True:
        try:
            conn = libvirt.open("qemu:///system")
            break
        except libvirt.libvirtError:
            if time.monotonic() > deadline or daemon.poll() is not None:
                raise
            time.sleep(0.002)
    t_open = time.perf_counter()
    wanted = set(names)
    while True:
        doms = [d for d in conn.listAllDomains(libvirt.VIR_CONNECT_LIST_DOMAINS_ACTIVE) if d.name() in wanted]
        if len(doms) == count and all(d.state()[0] == libvirt.VIR_DOMAIN_RUNNING for d in doms):
            break
        if time.monotonic() > deadline:
            raise RuntimeError(f"libvirt: {len(doms)} of {count} guests listed after the restart")
        time.sleep(0.002)
    t_listed = time.perf_counter()
    for dom in doms:  # waits for the reconnect job of each domain: its monitor is usable
        libvirt_qemu.qemuMonitorCommand(dom, '{"execute":"query-status"}', 0)
    t_ready = time.perf_counter()
    return {"open": t_open - t0, "listed": t_listed - t0, "reattach": t_ready - t0, "guest_cpu": guest_cpu,
            "settled": settled}

def cleanup():
    conn = libvirt.open("qemu:///system")
    doms = [d for d in conn.listAllDomains(0) if d.name().startswith(args["prefix"])]
    def drop(dom):
        try:
            if dom.isActive():
                dom.destroy()
        except libvirt.libvirtError:
            pass
        try:
            if dom.isPersistent():
                dom.undefine()
        except libvirt.libvirtError:
            pass
    with ThreadPoolExecutor(10) as pool:
        list(pool.map(drop, doms))
    return {"removed": len(doms)}

print(json.dumps({"start-destroy": start_destroy, "reattach": reattach, "cleanup": cleanup}[args["mode"]]()))
"""
)


def libvirt_side(request: dict[str, Any], timeout: float, on_line: Any = None) -> dict[str, Any]:
    """Run one mode of LIBVIRT_SIDE; its last stdout line is the JSON result (earlier ones go to on_line)."""
    result = subprocess.run(
        [LIBVIRT_PYTHON, "-c", LIBVIRT_SIDE], input=json.dumps(request), capture_output=True, text=True,
        timeout=timeout,
    )  # fmt: skip
    lines = result.stdout.strip().splitlines()
    for line in lines[:-1]:
        if on_line is not None:
            on_line(json.loads(line))
    if result.returncode != 0 or not lines:
        if lines and on_line is not None:
            with contextlib.suppress(ValueError):
                on_line(json.loads(lines[-1]))
        tail = result.stderr.strip().splitlines()[-1:] or ["no output"]
        raise RuntimeError(f"libvirt side ({request['mode']}) failed: {tail[0]}")
    return json.loads(lines[-1])  # type: ignore[no-any-return]


def _socket_answers(path: str) -> bool:
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        try:
            sock.connect(path)
            return True
        except OSError:
            return False


def _running(command: str) -> bool:
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                if (entry / "comm").read_text().strip() == command and not exited(int(entry.name)):
                    return True
    return False


class Libvirtd:
    """The libvirtd the libvirt side talks to: the one already running, or one of our own."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.pid: int | None = None  # of our own daemon (None: not ours, or none)
        self.argv: list[str] = []
        self.log = folder / "libvirtd.out"
        self.virtlogd: subprocess.Popen[bytes] | None = None
        self.popen: subprocess.Popen[bytes] | None = None
        self.startup: float | None = None

    @property
    def ours(self) -> bool:
        return self.pid is not None

    def start(self) -> str | None:
        """None when a libvirtd answers (ours or not), else why not."""
        if (
            not Path(LIBVIRT_PYTHON).exists()
            or subprocess.run([LIBVIRT_PYTHON, "-c", "import libvirt, libvirt_qemu"], capture_output=True).returncode
        ):
            return f"python3-libvirt is not installed for {LIBVIRT_PYTHON}"
        if _socket_answers(LIBVIRT_SOCKET):
            return None  # somebody's libvirtd: used as it is, never restarted
        daemon = shutil.which("libvirtd") or "/usr/sbin/libvirtd"
        if not Path(daemon).exists() or shutil.which("unshare") is None:
            return "libvirtd (libvirt-daemon) or unshare is not installed"
        for group in ("kvm", "libvirt-qemu"):  # libvirtd refuses to start without its default accounts
            subprocess.run(["groupadd", "-f", group], check=True, capture_output=True)
        try:
            pwd.getpwnam("libvirt-qemu")
        except KeyError:
            subprocess.run(
                ["useradd", "-r", "-g", "libvirt-qemu", "-G", "kvm", "-d", "/var/lib/libvirt", "-s",
                 "/usr/sbin/nologin", "libvirt-qemu"], check=True, capture_output=True,
            )  # fmt: skip
        for folder in ("/var/log/libvirt", "/run/libvirt"):
            Path(folder).mkdir(parents=True, exist_ok=True)
        config = self.folder / "etc-libvirt"  # becomes /etc/libvirt in libvirtd's own mount namespace
        config.mkdir()
        for path in Path("/etc/libvirt").glob("*.conf"):
            shutil.copy(path, config)
        # /dev/kvm is root's only here: QEMU must run as root (libvirt's default user is libvirt-qemu)
        (config / "qemu.conf").write_text('user = "root"\ngroup = "root"\n')
        (config / "libvirtd.conf").write_text(f'log_outputs = "3:file:{self.folder}/libvirtd.log"\n')
        if not _running("virtlogd"):
            with open(self.folder / "virtlogd.out", "ab") as log:
                self.virtlogd = subprocess.Popen(
                    [shutil.which("virtlogd") or "/usr/sbin/virtlogd"], stdin=subprocess.DEVNULL, stdout=log,
                    stderr=subprocess.STDOUT, start_new_session=True,
                )  # fmt: skip
        self.argv = [
            "unshare", "--mount", "--propagation", "private", "--", "sh", "-c",
            f'mount --bind "$0" /etc/libvirt && exec {daemon} -f "$0/libvirtd.conf"', str(config),
        ]  # fmt: skip
        t0 = time.perf_counter()
        with open(self.log, "ab") as log:
            self.popen = subprocess.Popen(
                self.argv, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        self.pid = self.popen.pid
        deadline = time.monotonic() + 30
        while not _socket_answers(LIBVIRT_SOCKET):
            if self.popen.poll() is not None or time.monotonic() > deadline:
                tail = self.log.read_text(errors="replace").strip().splitlines()[-1:] or ["no output"]
                self.stop()
                return f"libvirtd did not start: {tail[0]}"
            time.sleep(0.01)
        self.startup = time.perf_counter() - t0
        return None

    def stop(self) -> None:
        if self.pid is not None:
            stop_process(self.pid)
            self.pid = None
        if self.popen is not None:
            self.popen.wait(5)  # reap the first daemon (a restarted one belongs to nobody here)
        if self.virtlogd is not None:
            stop_process(self.virtlogd.pid)
            self.virtlogd.wait(5)
            self.virtlogd = None


# -- the run -----------------------------------------------------------------------------------------
def median_ms(values: list[float] | None) -> float | None:
    return statistics.median(values) * 1000 if values else None


def cell(value: float | None, width: int = 10, unit: str = "", digits: int = 1) -> str:
    return f"{value:{width}.{digits}f}{unit}" if value is not None else f"{'-':>{width}}"


def verdict(ratio: float | None, target: float) -> str:
    if ratio is None:
        return "-"
    return "OK" if ratio <= target else "OVER TARGET"


def preconditions() -> str | None:
    try:
        import virt_qemu  # noqa: F401
    except ImportError:
        return "the virt-qemu plugin is not installed"
    if os.geteuid() != 0:
        return "qemu:///system needs root"
    if not os.access("/dev/kvm", os.R_OK | os.W_OK):
        return "/dev/kvm is not usable"
    if shutil.which(QEMU) is None:
        return f"{QEMU} is not installed"
    return None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=50, help="guests for the reattach figure (default 50)")
    parser.add_argument("--runs", type=int, default=10, help="start/destroy rounds per side (default 10)")
    parser.add_argument("--no-libvirt", action="store_true", help="ours and raw QEMU only")
    parser.add_argument(
        "--guest", choices=("bootsector", "firmware"), default="bootsector",
        help="bootsector: the idle guest (default); firmware: no disk, SeaBIOS retrying to boot (the former guest)",
    )  # fmt: skip
    args = parser.parse_args()
    problem = preconditions()
    if problem:
        print(f"bench_qemu: skipped: {problem}")
        return 0
    # `nox -s bench -- --count N` hands every script the same N: keep the guests within half the free memory
    with open("/proc/meminfo") as f:
        available_mib = next(int(line.split()[1]) for line in f if line.startswith("MemAvailable:")) // 1024
    if args.count * 128 > available_mib // 2:
        print(f"bench_qemu: --count {args.count} needs {args.count * 128} MiB for the guests; using 50")
        args.count = 50

    tag = f"vb{secrets.token_hex(3)}"  # in every guest name and QEMU command line of this run
    folder = Path(tempfile.mkdtemp(prefix="vb", dir="/tmp"))  # short: unix socket paths <= 107 bytes
    libvirtd = Libvirtd(folder)
    libvirt_up = False
    mine: dict[str, Any] = {}
    raw: dict[str, Any] = {}
    theirs: dict[str, Any] = {}
    notes: list[str] = []
    begin = time.perf_counter()
    image = write_boot_image(folder / "boot.img") if args.guest == "bootsector" else None
    try:
        mine.update(ours_start_destroy(folder / "s", f"{tag}-o", args.runs, image))
        raw.update(raw_start_destroy(folder / "raw", f"{tag}-q", args.runs, image))
        if not args.no_libvirt:
            problem = libvirtd.start()
            if problem:
                print(f"bench_qemu: libvirt side skipped: {problem}")
            else:
                libvirt_up = True
                if libvirtd.startup is not None:
                    notes.append(f"our libvirtd (no guests) answered on its socket after {libvirtd.startup:.2f} s")
                else:
                    notes.append("used the libvirtd already running (not restarted: no libvirt reattach figure)")
                request = {
                    "mode": "start-destroy",
                    "name": f"{tag}-l",
                    "xml": domain_xml(f"{tag}-l", image),
                    "runs": args.runs,
                }
                theirs.update(libvirt_side(request, timeout=60 + 20 * args.runs))
        mine.update(ours_reattach(folder / "r", folder / "s" / "system" / "cache", f"{tag}-r", args.count, image))
        if libvirt_up and libvirtd.ours:

            def daemon_restarted(line: dict[str, Any]) -> None:
                libvirtd.pid = line.get("daemon_pid", libvirtd.pid)

            request = {
                "mode": "reattach", "count": args.count, "prefix": f"{tag}-v", "xml": template(image),
                "idle": IDLE_PER_GUEST, "settle_timeout": SETTLE_TIMEOUT,
                "daemon_pid": libvirtd.pid, "daemon_argv": libvirtd.argv, "daemon_log": str(libvirtd.log),
                "timeout": 60,
            }  # fmt: skip
            try:
                found = libvirt_side(request, timeout=120 + 3 * args.count, on_line=daemon_restarted)
            finally:
                if libvirtd.popen is not None and libvirtd.pid != libvirtd.popen.pid:
                    with contextlib.suppress(subprocess.TimeoutExpired):
                        libvirtd.popen.wait(10)
            theirs["reattach"] = found["reattach"]
            theirs["guest_cpu"], theirs["settled"] = found["guest_cpu"], found["settled"]
            notes.append(
                f"libvirtd restart with {args.count} guests: connection after {found['open']:.2f} s, all listed "
                f"running after {found['listed']:.2f} s, every monitor usable after {found['reattach']:.2f} s"
            )
    finally:
        if libvirt_up:
            try:
                libvirt_side({"mode": "cleanup", "prefix": tag}, timeout=180)
            except (RuntimeError, subprocess.TimeoutExpired) as exc:
                print(f"bench_qemu: libvirt cleanup failed ({exc}); killing its guests")
        libvirtd.stop()
        spare = {libvirtd.pid} if libvirtd.pid is not None else set()
        for needle in (tag, str(folder)):
            left = kill_mentioning(needle, spare)
            if left:
                print(f"bench_qemu: killed {left} leftover process(es) mentioning {needle}")
        shutil.rmtree(folder, ignore_errors=True)
    elapsed = time.perf_counter() - begin

    ours_start, ours_destroy = median_ms(mine.get("start")), median_ms(mine.get("destroy"))
    lv_start, lv_destroy = median_ms(theirs.get("start")), median_ms(theirs.get("destroy"))
    raw_start, raw_destroy = median_ms(raw.get("start")), median_ms(raw.get("destroy"))
    ours_re = mine["reattach"] * 1000 if "reattach" in mine else None
    lv_re = theirs["reattach"] * 1000 if "reattach" in theirs else None

    def ratio(a: float | None, b: float | None) -> float | None:
        return a / b if a is not None and b else None

    kind = "boot-sector guest (halts at once)" if image is not None else "firmware-only guest (no boot disk)"
    print(
        f"QEMU/KVM, {kind}, 128 MiB, 1 vcpu, no network/balloon, median of {args.runs} runs, "
        f"milliseconds ({elapsed:.0f} s)"
    )
    print(f"{'operation':<16}{'virt':>10}{'libvirt':>10}{'raw QEMU':>10}{'/libvirt':>10}{'/raw':>8}")
    rows = (
        ("start", ours_start, lv_start, raw_start),
        ("destroy", ours_destroy, lv_destroy, raw_destroy),
        (f"reattach {args.count}", ours_re, lv_re, None),
    )
    for op, a, b, c in rows:
        r1, r2 = ratio(a, b), ratio(a, c)
        print(f"{op:<16}{cell(a)}{cell(b)}{cell(c)}{cell(r1, 9, 'x', 3)}{cell(r2, 7, 'x', 2)}")
    spread = [
        f"{side} {op} {min(values) * 1000:.1f}..{max(values) * 1000:.1f}"
        for side, results in (("virt", mine), ("libvirt", theirs), ("raw", raw))
        for op in ("start", "destroy")
        if (values := results.get(op))
    ]
    print("range (ms): " + ", ".join(spread))
    if theirs.get("exited"):
        notes.append(
            f"libvirt destroy: QEMU had ended after {median_ms(theirs['exited']):.1f} ms (median); libvirtd "
            "returns once the pid is reaped (it polls every 200 ms, and here PID 1 reaps orphans slowly)"
        )
    for side, results in (("ours", mine), ("libvirt's", theirs)):
        if "guest_cpu" in results:
            notes.append(
                f"{side} {args.count} guests before the owner was killed: {results['guest_cpu']:.2%} of a CPU each "
                f"(over 1 s, after {results['settled']:.1f} s of waiting for them to settle)"
            )
    if "reattach" in mine:
        notes.append(
            f"virt's new process with {args.count} guests: interpreter up after {mine['interpreter']:.2f} s, "
            f"virt imported after {mine['imported']:.2f} s, qemu:/// open (guests taken back) after "
            f"{mine['opened']:.2f} s, all listed running after {mine['listed']:.2f} s, every monitor answered "
            f"after {mine['reattach']:.2f} s"
        )
        notes.append(f"host processors {mine['busy']:.0%} busy during our reattach process ({os.cpu_count()} CPUs)")
    for note in notes:
        print(f"note: {note}")
    start_lv = ratio(ours_start, lv_start)
    start_raw = ratio(ours_start, raw_start)
    destroy_lv = ratio(ours_destroy, lv_destroy)
    reattach_target = REATTACH_SECONDS_PER_50 * args.count / 50
    if start_lv is not None:
        print(
            f"start: virt/libvirt {start_lv:.2f}x (target <= {START_VS_LIBVIRT}x) {verdict(start_lv, START_VS_LIBVIRT)}"
        )
    if start_raw is not None:
        print(f"start: virt/raw QEMU {start_raw:.2f}x (target <= {START_VS_RAW}x) {verdict(start_raw, START_VS_RAW)}")
    if destroy_lv is not None:
        print(
            f"destroy: virt/libvirt {destroy_lv:.3f}x (target <= {DESTROY_VS_LIBVIRT}x) "
            f"{verdict(destroy_lv, DESTROY_VS_LIBVIRT)}"
        )
    if ours_re is not None:
        print(
            f"reattach: {args.count} guests in {ours_re / 1000:.2f} s, a new process from exec "
            f"(target < {reattach_target:g} s) "
            f"{verdict(ours_re / 1000, reattach_target)}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""Stand-ins for VMware Workstation's command-line tools (``vmrun``, ``vmware``, ``vmplayer`` and
Fusion's ``vmware-vmx``), owned by the tests: one script, the tool chosen by the name it is run as
(the test fixture links each name to it in a folder first on PATH).

No real VMware product was available to write them; they follow VMware's documentation of vmrun
("Using vmrun to Control Virtual Machines", Workstation 17): ``vmrun [-T ws|player|fusion]
COMMAND ARGS``, every argument checked (an unknown command or option, a missing or extra argument,
a mode other than hard/soft or gui/nogui is an error), errors on standard output as ``Error: ...``
with exit status 255 as vmrun gives them, and ``vmrun list`` printing ``Total running VMs: N`` then
one absolute .vmx path per running (or paused) VM. Starting a VM runs a process that stands for
its vmware-vmx (``sleep``, in a session of its own) and writes the VM's ``vmware.log`` beside the
.vmx, rotating the old one to ``vmware-0.log`` as Workstation does; its first line carries the pid
as Workstation writes it (``... In(05) vmx Log for VMware Workstation pid=NNN version=...``).

State lives in ``$VMWARE_STANDIN_STATE`` (``vms.json``: per .vmx path the power state, the pid and
whether VMware Tools run in the guest); every call is appended to ``calls.jsonl`` there (the name
the tool was run as, then its arguments) so that tests assert the exact command lines.
``VMWARE_STANDIN_NO_TOOLS=1`` at ``start`` boots a guest without VMware Tools: a soft stop or
reset then fails as vmrun's does.
"""

from __future__ import annotations

import contextlib
import datetime
import fcntl
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

VERSION = "17.5.0"
BUILD = "build-22583795"
FUSION_VERSION = "13.5.0"
FUSION_BUILD = "build-22583790"
HOST_TYPES = ("ws", "player", "fusion", "server", "server1", "esx", "vc")
# vmrun's authentication flags, each with a value; only -T matters for a local Workstation
AUTH_FLAGS = ("-T", "-h", "-P", "-u", "-p", "-vp", "-gu", "-gp")
USAGE = """
vmrun version 1.17.0 build-22583795

Usage: vmrun [AUTHENTICATION-FLAGS] COMMAND [PARAMETERS]

AUTHENTICATION-FLAGS
--------------------
These must appear before the command and any command parameters.

   -T <hostType> (ws|server|server1|fusion|esx|vc|player)
     for example, use '-T server' for Server 2.0
                  use '-T server1' for Server 1.0
                  use '-T ws' for VMware Workstation
                  use '-T ws-shared' for VMware Workstation (shared mode)
                  use '-T esx' for VMware ESX
                  use '-T vc' for VMware vCenter Server
   -h <hostName>
   -P <hostPort>
   -u <userName for host>
   -p <password for host>
   -vp <password for encrypted virtual machine>
   -gu <userName in guest OS>
   -gp <password in guest OS>


POWER COMMANDS           PARAMETERS           DESCRIPTION
--------------           ----------           -----------
start                    Path to vmx file     Start a VM
                         [gui|nogui]

stop                     Path to vmx file     Stop a VM
                         [hard|soft]

reset                    Path to vmx file     Reset a VM
                         [hard|soft]

suspend                  Path to vmx file     Suspend a VM
                         [hard|soft]

pause                    Path to vmx file     Pause a VM

unpause                  Path to vmx file     Unpause a VM

list                                          List all running VMs
"""


class VmrunError(Exception):
    """An ``Error: ...`` line and vmrun's exit status 255."""


def state_dir() -> Path:
    value = os.environ.get("VMWARE_STANDIN_STATE")
    if not value:
        sys.stderr.write("VMWARE_STANDIN_STATE is not set: the stand-in has nowhere to keep its VMs\n")
        raise SystemExit(2)
    path = Path(value)
    path.mkdir(parents=True, exist_ok=True)
    return path


def log_call(tool: str, args: list[str]) -> None:
    with (state_dir() / "calls.jsonl").open("a") as f:
        f.write(json.dumps([tool, *args]) + "\n")


@contextlib.contextmanager
def vms_locked() -> object:
    """The VM table, under an exclusive lock, written back at the end."""
    folder = state_dir()
    with (folder / "vms.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        table_file = folder / "vms.json"
        table = json.loads(table_file.read_text()) if table_file.exists() else {}
        yield table
        table_file.write_text(json.dumps(table, indent=1, sort_keys=True))


def alive(pid: int) -> bool:
    """True while the VM's process runs (a zombie nobody reaped yet has ended)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rpartition(")")[2].split()[0] not in ("Z", "X")


def version_text(tool: str) -> tuple[str, str]:
    """(standard output, standard error) of ``TOOL -v``."""
    if tool == "vmware":
        return f"VMware Workstation {VERSION} {BUILD}\n", ""
    if tool == "vmplayer":
        return f"VMware Player {VERSION} {BUILD}\n", ""
    # vmware-vmx -v writes its banner on standard error, the product last
    return "", (
        f"vmware-vmx version {FUSION_VERSION} {FUSION_BUILD}\n"
        f"VMware Fusion Information:\nVMware Fusion {FUSION_VERSION} {FUSION_BUILD} Release\n"
    )


def product_main(tool: str, args: list[str]) -> int:
    log_call(tool, args)
    if args != ["-v"]:
        # the products take many options; the stand-ins serve only the version query
        sys.stderr.write(f"{tool}: the stand-in only answers '-v', not {args!r}\n")
        return 1
    out, err = version_text(tool)
    sys.stdout.write(out)
    sys.stderr.write(err)
    return 0


def write_log(vmx: Path, pid: int) -> None:
    """vmware.log beside the .vmx, the previous ones kept as vmware-0.log.. vmware-2.log."""
    folder = vmx.parent
    for n in (1, 0):
        older = folder / f"vmware-{n}.log"
        if older.exists():
            older.replace(folder / f"vmware-{n + 1}.log")
    current = folder / "vmware.log"
    if current.exists():
        current.replace(folder / "vmware-0.log")
    now = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
    current.write_text(
        f"{now} In(05) vmx Log for VMware Workstation pid={pid} version={VERSION} build={BUILD} option=Release\n"
        f"{now} In(05) vmx The host is x86_64.\n"
        f"{now} In(05) vmx Host codepage=UTF-8 encoding=UTF-8\n"
        f"{now} In(05) vmx DICT --- CONFIGURATION {vmx}\n"
    )


def start_process() -> int:
    """The process standing for the VM's vmware-vmx: alive until the VM stops."""
    process = subprocess.Popen(
        ["sleep", "86400"],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    return process.pid


def end_process(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)


def running_vm(table: dict, path: str) -> dict:
    vm = table.get(path)
    if vm is None or vm["state"] not in ("running", "paused") or not alive(vm["pid"]):
        raise VmrunError(f"The virtual machine is not powered on: {path}")
    return vm


def vmx_file(path: str) -> Path:
    vmx = Path(path)
    if not vmx.is_absolute() or not vmx.is_file():
        raise VmrunError(f"Cannot open VM: {path}, The virtual machine cannot be found")
    return vmx


def mode(args: list[str], allowed: tuple[str, ...], default: str) -> str:
    if not args:
        return default
    if args[0] not in allowed:
        raise VmrunError(f"Invalid argument: {args[0]}")
    return args[0]


def vmrun(args: list[str]) -> str:
    """vmrun's output for ``args``; VmrunError for what vmrun refuses."""
    host_type = None
    while args and args[0].startswith("-"):
        flag = args.pop(0)
        if flag not in AUTH_FLAGS:
            raise VmrunError(f"Unrecognized option: {flag}")
        if not args:
            raise VmrunError(f"Missing value for option {flag}")
        value = args.pop(0)
        if flag == "-T":
            if value not in HOST_TYPES:
                raise VmrunError(f"Unrecognized host type: {value}")
            host_type = value
    if host_type not in (None, "ws", "player", "fusion"):
        raise VmrunError("Unable to connect to host. The host is not a local VMware product")
    if not args:
        raise VmrunError("No command given" + USAGE)
    command, params = args[0], args[1:]
    takes = {"list": (0, 0), "start": (1, 2), "stop": (1, 2), "reset": (1, 2), "suspend": (1, 2)}
    takes |= {"pause": (1, 1), "unpause": (1, 1)}
    if command not in takes:
        raise VmrunError(f"Unrecognized command: {command}" + USAGE)
    least, most = takes[command]
    if not least <= len(params) <= most:
        raise VmrunError(f"Invalid number of arguments for command: {command}")
    with vms_locked() as table:
        for vm in table.values():  # a VM whose process died is off
            if vm["state"] in ("running", "paused") and not alive(vm["pid"]):
                vm["state"] = "off"
        if command == "list":
            running = sorted(p for p, vm in table.items() if vm["state"] in ("running", "paused"))
            return f"Total running VMs: {len(running)}\n" + "".join(f"{p}\n" for p in running)
        path = params[0]
        if command == "start":
            mode(params[1:], ("gui", "nogui"), "gui")
            vmx = vmx_file(path)
            vm = table.get(path, {"state": "off"})
            if vm["state"] in ("running", "paused"):
                raise VmrunError("The virtual machine is already running")
            pid = start_process()
            write_log(vmx, pid)
            tools = os.environ.get("VMWARE_STANDIN_NO_TOOLS") != "1"
            table[path] = {"state": "running", "pid": pid, "tools": tools}
            return ""
        vmx_file(path)
        vm = running_vm(table, path)
        if command in ("pause", "unpause"):
            if host_type == "player":
                raise VmrunError("The operation is not supported for the specified parameters")
            want = "running" if command == "pause" else "paused"
            if vm["state"] != want:
                raise VmrunError(
                    "The virtual machine is paused" if command == "pause" else "The virtual machine is not paused"
                )
            os.kill(vm["pid"], signal.SIGSTOP if command == "pause" else signal.SIGCONT)
            vm["state"] = "paused" if command == "pause" else "running"
            return ""
        how = mode(params[1:], ("hard", "soft"), "soft")
        if how == "soft" and not vm.get("tools", True):
            raise VmrunError(f"The VMware Tools are not running in the virtual machine: {path}")
        if command == "reset":
            if vm["state"] == "paused":
                os.kill(vm["pid"], signal.SIGCONT)
            end_process(vm["pid"])
            vm["pid"] = start_process()
            vm["state"] = "running"
            write_log(Path(path), vm["pid"])
            return ""
        if vm["state"] == "paused":
            os.kill(vm["pid"], signal.SIGCONT)
        end_process(vm["pid"])
        vm["state"] = "suspended" if command == "suspend" else "off"
        vm["pid"] = None
        return ""


def main() -> int:
    tool = Path(sys.argv[0]).name
    args = sys.argv[1:]
    if tool in ("vmware", "vmplayer", "vmware-vmx"):
        return product_main(tool, args)
    if tool != "vmrun":
        sys.stderr.write(f"the VMware stand-in does not play '{tool}'\n")
        return 2
    log_call(tool, args)
    try:
        sys.stdout.write(vmrun(list(args)))
    except VmrunError as exc:
        sys.stdout.write(f"Error: {exc}\n")
        return 255
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

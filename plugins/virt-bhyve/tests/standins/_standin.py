"""Stand-ins for FreeBSD's bhyve(8), bhyveload(8), grub-bhyve, bhyvectl(8), ifconfig(8) and sysctl(8).

No real bhyve ran in this project's tests: these scripts take its place. Each checks every
argument against the real tool's documented syntax (the manual pages of FreeBSD 13/14, grub2-bhyve's
option list) and fails as the real one does (its words on standard error, its exit status), logs
the call, and keeps the state the real one leaves behind:

- ``$BHYVE_STANDIN_ROOT/calls.jsonl``: one JSON list per call, the argv (program name first);
- ``$BHYVE_STANDIN_ROOT/dev``: what stands for ``/dev``: ``vmm/NAME`` while a virtual machine exists
  (made by bhyveload, grub-bhyve or bhyve, removed by ``bhyvectl --destroy`` or ``bhyve -D``),
  ``nmdmNB`` (a link to the pty whose other side bhyve holds as ``nmdmNA``);
- ``$BHYVE_STANDIN_ROOT/interfaces.json``: the network interfaces ifconfig made and changed
  (``bridge0`` exists from the start, as the host's bridge).

bhyve stays alive as the real one does until the guest ends: SIGTERM is the ACPI power button
(the guest powers off: exit 1), the VM destroyed under it (``bhyvectl --destroy``) ends it with
exit 4; on the console (com1), the guest obeys the lines ``poweroff`` (exit 1), ``reboot``
(exit 0), ``halt`` (exit 2) and ``triplefault`` (exit 3), bhyve's exit statuses, and echoes others.
Its process title is ``bhyve: NAME``, as the real one's.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import re
import select
import signal
import sys
import time
import uuid
from pathlib import Path

EX_USAGE = 64
SLOTS = 32
FUNCTIONS = 8
PCI_DEVICES = frozenset(
    {
        "hostbridge",
        "amd_hostbridge",
        "lpc",
        "ahci",
        "ahci-hd",
        "ahci-cd",
        "virtio-blk",
        "virtio-net",
        "virtio-9p",
        "virtio-rnd",
        "virtio-console",
        "virtio-scsi",
        "virtio-input",
        "e1000",
        "fbuf",
        "xhci",
        "hda",
        "uart",
        "passthru",
        "nvme",
    }
)
"""The PCI device emulations of FreeBSD 14's bhyve (bhyve(8), ``-s``)."""
LPC_COMS = ("com1", "com2", "com3", "com4")


def root() -> Path:
    value = os.environ.get("BHYVE_STANDIN_ROOT")
    if not value:
        sys.stderr.write("stand-in: BHYVE_STANDIN_ROOT is not set\n")
        sys.exit(70)
    return Path(value)


def dev(path: str) -> Path:
    """Where the stand-in keeps what the real tool would find at ``path`` under /dev."""
    if not path.startswith("/dev/"):
        raise ValueError(path)
    return root() / "dev" / path[len("/dev/") :]


def log_call(program: str, args: list[str]) -> None:
    line = json.dumps([program, *args]) + "\n"
    with (root() / "calls.jsonl").open("a") as file:
        fcntl.flock(file, fcntl.LOCK_EX)
        file.write(line)


def die(program: str, message: str, status: int) -> None:
    sys.stderr.write(f"{program}: {message}\n")
    sys.exit(status)


def getopt(program: str, args: list[str], optstring: str, usage: callable) -> tuple[list[tuple[str, str]], list[str]]:  # type: ignore[valid-type]
    """POSIX getopt(3) as FreeBSD's: options until the first operand or ``--``; an unknown one or
    a missing argument is reported with getopt's words, then ``usage``."""
    found: list[tuple[str, str]] = []
    index = 0
    while index < len(args):
        arg = args[index]
        if arg == "--":
            index += 1
            break
        if not arg.startswith("-") or arg == "-":
            break
        position = 1
        while position < len(arg):
            letter = arg[position]
            spec = optstring.find(letter)
            if spec < 0 or letter == ":":
                sys.stderr.write(f"{program}: illegal option -- {letter}\n")
                usage(1)
            if spec + 1 < len(optstring) and optstring[spec + 1] == ":":
                value = arg[position + 1 :]
                if not value:
                    index += 1
                    if index >= len(args):
                        sys.stderr.write(f"{program}: option requires an argument -- {letter}\n")
                        usage(1)
                    value = args[index]
                found.append((letter, value))
                break
            found.append((letter, ""))
            position += 1
        index += 1
    return found, args[index:]


# -- bhyve ---------------------------------------------------------------------------------------------
BHYVE_OPTIONS = "aehuwxACDHIPSWYk:f:o:p:G:c:s:m:l:K:U:"
"""bhyve_optparse's option string of FreeBSD 14 (without BHYVE_SNAPSHOT)."""


def bhyve_usage(code: int) -> None:
    name = "bhyve"
    pad = " " * len(name)
    sys.stderr.write(
        f"Usage: {name} [-AaCDeHhPSuWwxY]\n"
        f"       {pad} [-c [[cpus=]numcpus][,sockets=n][,cores=n][,threads=n]]\n"
        f"       {pad} [-G port] [-k config_file] [-l lpc] [-m mem] [-o var=value]\n"
        f"       {pad} [-p vcpu:hostcpu] [-r file] [-s pci] [-U uuid] vmname\n"
        "       -A: create ACPI tables\n"
        "       -a: local apic is in xAPIC mode (deprecated)\n"
        "       -C: include guest memory in core file\n"
        "       -c: number of CPUs and/or topology specification\n"
        "       -D: destroy on power-off\n"
        "       -e: exit on unhandled I/O access\n"
        "       -G: start a debug server\n"
        "       -H: vmexit from the guest on HLT\n"
        "       -h: help\n"
        "       -k: key=value flat config file\n"
        "       -K: PS2 keyboard layout\n"
        "       -l: LPC device configuration\n"
        "       -m: memory size\n"
        "       -o: set config 'var' to 'value'\n"
        "       -P: vmexit from the guest on pause\n"
        "       -p: pin 'vcpu' to 'hostcpu'\n"
        "       -S: guest memory cannot be swapped\n"
        "       -s: <slot,driver,configinfo> PCI slot config\n"
        "       -U: UUID\n"
        "       -u: RTC keeps UTC time\n"
        "       -W: force virtio to use single-vector MSI\n"
        "       -w: ignore unimplemented MSRs\n"
        "       -x: local APIC is in x2APIC mode\n"
        "       -Y: disable MPtable generation\n"
    )
    sys.exit(code)


def memory_bytes(text: str) -> int | None:
    """expand_number(3) as bhyve's -m takes it: a plain number is MiB, else a k/m/g/t suffix."""
    match = re.fullmatch(r"(\d+)([kKmMgGtT]?)[bB]?", text)
    if match is None:
        return None
    value = int(match[1])
    if not match[2]:
        return value * 1024 * 1024 if value < 1024 * 1024 else value
    return value * 1024 ** "kmgt".index(match[2].lower()) * 1024


def topology(text: str) -> bool:
    """-c [[cpus=]numcpus][,sockets=n][,cores=n][,threads=n]: calc_topology's checks."""
    values: dict[str, int] = {}
    for part in text.split(",") if text else []:
        key, sep, value = part.partition("=")
        if not sep:
            key, value = "cpus", part
        if key not in ("cpus", "sockets", "cores", "threads"):
            return False
        if not value.isdigit() or not 1 <= int(value) <= 65535:
            die("bhyve", f"Invalid value for {key}: '{value}'", 4)
        values[key] = int(value)
    product = values.get("sockets", values.get("cpus", 1)) * values.get("cores", 1) * values.get("threads", 1)
    if "cpus" in values and "sockets" in values and product != values["cpus"]:
        die(
            "bhyve",
            f"Topology ({values.get('sockets', 1)} sockets, {values.get('cores', 1)} cores, "
            f"{values.get('threads', 1)} threads) does not match {values['cpus']} vCPUs",
            4,
        )
    return True


def parse_slot(text: str) -> tuple[tuple[int, int, int], str, str]:
    """-s [bus:]slot[:func],emulation[,conf]: pci_parse_slot's syntax and its complaints."""
    address, _, rest = text.partition(",")
    emulation, _, config = rest.partition(",")
    fields = address.split(":")
    bus, slot, func = 0, 0, 0
    try:
        numbers = [int(f, 10) for f in fields]
    except ValueError:
        numbers = []
    if len(numbers) == 1:
        slot = numbers[0]
    elif len(numbers) == 2:
        slot, func = numbers
    elif len(numbers) == 3:
        bus, slot, func = numbers
    else:
        die("bhyve", f'Invalid PCI slot info field "{text}"', 4)
    if not 0 <= bus < 256 or not 0 <= slot < SLOTS or not 0 <= func < FUNCTIONS:
        die("bhyve", f'Invalid PCI slot info field "{text}"', 4)
    if not emulation:
        die("bhyve", f'Invalid PCI slot info field "{text}"', 4)
    return (bus, slot, func), emulation, config


def check_slot_config(emulation: str, config: str) -> None:
    """The device models' own option checks the stand-in knows (the ones libvirt writes)."""
    options = [o for o in config.split(",") if o] if config else []
    if emulation in ("ahci-hd", "ahci-cd", "virtio-blk", "nvme"):
        path = options[0] if options else ""
        if (emulation.startswith("ahci") and path.startswith("hd:")) or path.startswith("cd:"):
            path = path[3:]
        if not path:
            die("bhyve", f"{emulation}: backing device required", 4)
        if not Path(path).exists():
            sys.stderr.write(f"Could not open backing file: {path}: No such file or directory\n")
            sys.exit(4)
    elif emulation == "ahci":
        for option in options:
            kind, _, path = option.partition(":")
            if kind not in ("hd", "cd") or not path:
                die("bhyve", f'invalid ahci option "{option}"', 4)
            if not Path(path).exists():
                sys.stderr.write(f"Could not open backing file: {path}: No such file or directory\n")
                sys.exit(4)
    elif emulation in ("virtio-net", "e1000"):
        backend = options[0] if options else ""
        name = backend.partition("=")[2] if backend.startswith("tap=") else backend
        if not name:
            return
        interfaces = load_interfaces()
        if name not in interfaces:
            sys.stderr.write(f"open of tap device /dev/{name} failed\n")
            sys.exit(4)
        for option in options[1:]:
            key, _, value = option.partition("=")
            if key == "mac" and not re.fullmatch(r"([0-9a-fA-F]{1,2}:){5}[0-9a-fA-F]{1,2}", value):
                die("bhyve", f"Invalid MAC address: {value}", 4)
            if key not in ("mac", "mtu"):
                sys.stderr.write(f'Invalid net option "{key}"\n')
                sys.exit(4)
    elif emulation == "fbuf":
        for option in options:
            key, _, _ = option.partition("=")
            if key not in ("tcp", "rfb", "w", "h", "vga", "wait", "password"):
                sys.stderr.write(f'Invalid fbuf emulation "{key}"\n')
                sys.exit(4)
    elif emulation == "xhci":
        for option in options:
            if option != "tablet":
                sys.stderr.write(f'Invalid xhci device "{option}"\n')
                sys.exit(4)
    elif emulation == "virtio-9p":
        share = options[0] if options else ""
        tag, _, path = share.partition("=")
        if not tag or not path:
            die("bhyve", f'virtio-9p: invalid share "{share}"', 4)


def check_lpc(text: str) -> tuple[str, str]:
    """-l com1,DEV | bootrom,ROM[,VARS] | fwcfg,...: lpc_device_parse's syntax."""
    name, _, rest = text.partition(",")
    lowered = name.lower()
    if lowered in LPC_COMS and rest:
        return lowered, rest
    if lowered == "bootrom":
        if not rest:
            die("bhyve", f'invalid bootrom option "{text}"', 4)
        rom = rest.split(",")[0]
        if not Path(rom).exists():
            sys.stderr.write(f'Error opening bootrom "{rom}": No such file or directory\n')
            sys.exit(4)
        return lowered, rest
    if lowered == "fwcfg" and rest in ("bhyve", "qemu"):
        return lowered, rest
    die("bhyve", f"invalid lpc device configuration '{text}'", EX_USAGE)
    raise AssertionError


def bhyve(args: list[str]) -> None:
    options, operands = getopt("bhyve", args, BHYVE_OPTIONS, bhyve_usage)
    destroy_on_poweroff = False
    slots: dict[tuple[int, int, int], tuple[str, str, str]] = {}
    coms: dict[str, str] = {}
    for letter, value in options:
        if letter == "h":
            bhyve_usage(0)
        elif letter == "D":
            destroy_on_poweroff = True
        elif letter == "c":
            if not topology(value):
                die("bhyve", f"invalid cpu topology '{value}'", EX_USAGE)
        elif letter == "m":
            if memory_bytes(value) is None:
                die("bhyve", f"invalid memsize '{value}'", EX_USAGE)
        elif letter == "s":
            if value == "help":
                sys.stdout.write("\n".join(sorted(PCI_DEVICES)) + "\n")
                sys.exit(0)
            where, emulation, config = parse_slot(value)
            if emulation not in PCI_DEVICES:
                # FreeBSD 13/14 look the emulation up while parsing -s (pci_parse_slot), bus:slot:func
                # in the words: libvirt's probe strings (slot:func, FreeBSD 12's) never match them
                sys.stderr.write(f'pci slot {where[0]}:{where[1]}:{where[2]}: unknown device "{emulation}"\n')
                sys.exit(4)
            if where in slots:
                die("bhyve", f"pci slot {where[0]}:{where[1]}:{where[2]} already occupied!", 4)
            slots[where] = (emulation, config, value)
        elif letter == "l":
            kind, rest = check_lpc(value)
            if kind in LPC_COMS:
                coms[kind] = rest
        elif letter == "U":
            try:
                uuid.UUID(value)
            except ValueError:
                die("bhyve", f"Invalid UUID '{value}'", EX_USAGE)
        elif letter == "p":
            match = re.fullmatch(r"(\d+):(\d+)", value)
            if match is None:
                sys.stderr.write(f"invalid format: {value}\n")
                die("bhyve", f"invalid vcpu pinning configuration '{value}'", EX_USAGE)
        elif letter == "o":
            if "=" not in value:
                die("bhyve", f"invalid configuration option '{value}'", EX_USAGE)
        elif letter == "k" and not Path(value).is_file():
            die("bhyve", f"{value}: No such file or directory", 4)
    if len(operands) != 1:
        bhyve_usage(1)
    name = operands[0]
    for _, (emulation, config, _) in sorted(slots.items()):
        check_slot_config(emulation, config)
    for com, backend in coms.items():
        if backend != "stdio" and not re.fullmatch(r"/dev/nmdm[^/]+A", backend):
            sys.stderr.write(f"Unable to initialize backend '{backend}' for LPC device {com}\n")
            sys.stderr.write("Device emulation initialization error: No such file or directory\n")
            sys.exit(4)
    run_guest(name, coms, destroy_on_poweroff)


def run_guest(name: str, coms: dict[str, str], destroy_on_poweroff: bool) -> None:
    """The virtual machine runs: /dev/vmm/NAME exists, com ports are nmdm pairs, until the guest ends."""
    consoles: list[tuple[int, Path]] = []
    opened = dict(item.split("=", 1) for item in os.environ.get("BHYVE_STANDIN_NMDM", "").split(";") if item)
    for backend in coms.values():
        if backend == "stdio" or backend not in opened:
            continue
        master = int(opened[backend])
        os.set_blocking(master, False)
        consoles.append((master, dev(backend[:-1] + "B")))
        os.write(master, f"\r\nFreeBSD/amd64 ({name}) (ttyu0)\r\n\r\nlogin: ".encode())

    # the VM last: nmdm's other end opens on demand on FreeBSD (devfs clones it), so it is there first
    vmm = dev(f"/dev/vmm/{name}")
    vmm.parent.mkdir(parents=True, exist_ok=True)
    vmm.write_text(f"{os.getpid()}\n")  # vm_create, or the VM bhyveload made
    ending: list[int] = []
    signal.signal(signal.SIGTERM, lambda *_: ending.append(1))  # ACPI power button: the guest powers off
    signal.signal(signal.SIGHUP, signal.SIG_IGN)
    lines: dict[int, bytes] = {}
    status = 4
    while True:
        if ending:
            status = ending[0]
            break
        if not vmm.exists():
            sys.stderr.write("vm_run error -1, errno 6\n")  # the VM was destroyed under us
            status = 4
            break
        readable: list[int] = []
        if consoles:
            with contextlib.suppress(InterruptedError):
                readable, _, _ = select.select([fd for fd, _ in consoles], [], [], 0.1)
        else:
            time.sleep(0.1)
        for fd in readable:
            try:
                data = os.read(fd, 4096)
            except (BlockingIOError, OSError):
                continue
            os.write(fd, data)  # the guest's terminal echoes
            buffer = lines.get(fd, b"") + data
            *complete, rest = re.split(rb"\r\n|\r|\n", buffer)
            lines[fd] = rest
            for line in complete:
                command = line.decode(errors="replace").strip()
                verdict = {"poweroff": 1, "reboot": 0, "halt": 2, "triplefault": 3}.get(command)
                if verdict is not None:
                    ending.append(verdict)
                elif command:
                    os.write(fd, f"\r\n{command}: Command not found.\r\n{name}# ".encode())
    for _, other in consoles:
        with contextlib.suppress(FileNotFoundError):
            other.unlink()
    if status == 1 and destroy_on_poweroff:
        with contextlib.suppress(FileNotFoundError):
            vmm.unlink()
    sys.exit(status)


# -- bhyveload -----------------------------------------------------------------------------------------
def bhyveload_usage(code: int) -> None:
    sys.stderr.write(
        "usage: bhyveload [-S][-c <console-device>] [-d <disk-path>] [-e <name=value>]\n"
        "       [-h <host-path>] [-m memsize[K|k|M|m|G|g|T|t]] <vmname>\n"
    )
    sys.exit(code)


def create_vm(program: str, name: str) -> None:
    if not re.fullmatch(r"[^/\s]{1,229}", name):
        die(program, f"vm_create: {name}: Invalid argument", 1)
    vmm = dev(f"/dev/vmm/{name}")
    vmm.parent.mkdir(parents=True, exist_ok=True)
    if not vmm.exists():
        vmm.write_text("loaded\n")


def bhyveload(args: list[str]) -> None:
    options, operands = getopt("bhyveload", args, "CSc:d:e:h:l:m:", bhyveload_usage)
    disks = 0
    for letter, value in options:
        if letter == "m" and memory_bytes(value) is None:
            die("bhyveload", f"Invalid memsize '{value}'", EX_USAGE)
        if letter == "d":
            disks += 1
            if not Path(value).exists():
                die("bhyveload", f"{value}: No such file or directory", 1)
        if letter == "c" and not (value == "stdio" or re.fullmatch(r"/dev/nmdm[^/]+A", value)):
            die("bhyveload", f"open: {value}: No such file or directory", 1)
        if letter == "h" and not Path(value).is_dir():
            die("bhyveload", f"{value}: No such file or directory", 1)
        if letter == "e" and "=" not in value:
            bhyveload_usage(1)
    if len(operands) != 1:
        bhyveload_usage(1)
    if disks == 0 and not any(letter == "h" for letter, _ in options):
        die("bhyveload", "no boot disk or host path given", 1)
    create_vm("bhyveload", operands[0])


# -- grub-bhyve ----------------------------------------------------------------------------------------
GRUB_HELP = """Usage: grub-bhyve [OPTION...] vmname
Create a bhyve VM and boot a guest using GRUB.

  -c, --cons-dev=cons-dev    a tty(4) device to use for terminal I/O
  -d, --directory=DIR        use GRUB files in the directory DIR
                             [default=/usr/local/lib/grub/i386-pc]
  -e, --evar=name=value      put name=value in the guest's environment
  -g, --gdb=port             connect a debug server to port
  -m, --device-map=FILE      use FILE as the device map
                             [default=/usr/local/etc/grub.d/device.map]
  -M, --memory=MBYTES        guest RAM in MB [default=256]
  -n, --ncpus=NUM            guest vCPU count [default=1]
  -r, --root=DEVICE_NAME     set root device
  -S, --wire-memory          wire guest memory
  -v, --verbose              print verbose messages
  -?, --help                 give this help list
      --usage                give a short usage message
  -V, --version              print program version
"""
GRUB_LONG = {
    "cons-dev": "c",
    "directory": "d",
    "evar": "e",
    "gdb": "g",
    "device-map": "m",
    "memory": "M",
    "ncpus": "n",
    "root": "r",
    "wire-memory": "S",
    "verbose": "v",
    "help": "?",
    "version": "V",
}
GRUB_WITH_VALUE = set("cdegmMnr")


def grub_bhyve(args: list[str]) -> None:
    options: list[tuple[str, str]] = []
    operands: list[str] = []
    index = 0
    while index < len(args):
        arg = args[index]
        if arg.startswith("--") and len(arg) > 2:
            key, has, value = arg[2:].partition("=")
            letter = GRUB_LONG.get(key)
            if letter is None:
                sys.stderr.write(f"grub-bhyve: unrecognized option '{arg}'\n")
                sys.stderr.write("Try `grub-bhyve --help' or `grub-bhyve --usage' for more information.\n")
                sys.exit(64)
            if letter in GRUB_WITH_VALUE and not has:
                index += 1
                if index >= len(args):
                    sys.stderr.write(f"grub-bhyve: option '--{key}' requires an argument\n")
                    sys.exit(64)
                value = args[index]
            options.append((letter, value))
        elif arg.startswith("-") and len(arg) > 1:
            letter = arg[1]
            if letter not in "cdegmMnrSv?V":
                sys.stderr.write(f"grub-bhyve: invalid option -- '{letter}'\n")
                sys.exit(64)
            value = arg[2:]
            if letter in GRUB_WITH_VALUE and not value:
                index += 1
                if index >= len(args):
                    sys.stderr.write(f"grub-bhyve: option requires an argument -- '{letter}'\n")
                    sys.exit(64)
                value = args[index]
            options.append((letter, value))
        else:
            operands.append(arg)
        index += 1
    for letter, value in options:
        if letter == "?":
            sys.stdout.write(GRUB_HELP)
            sys.exit(0)
        if letter == "M" and memory_bytes(value) is None:
            die("grub-bhyve", f"invalid memory size '{value}'", 64)
        if letter == "m":
            check_device_map(value)
        if letter == "c" and not re.fullmatch(r"/dev/nmdm[^/]+A", value):
            die("grub-bhyve", f"open: {value}: No such file or directory", 1)
    if len(operands) != 1:
        sys.stderr.write("Usage: grub-bhyve [OPTION...] vmname\n")
        sys.exit(64)
    create_vm("grub-bhyve", operands[0])


def check_device_map(path: str) -> None:
    """grub's device.map: ``(hdN) PATH`` / ``(cdN) PATH`` lines, each file there."""
    try:
        text = Path(path).read_text()
    except OSError as exc:
        die("grub-bhyve", f"cannot open `{path}': {exc.strerror}", 1)
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        match = re.fullmatch(r"\s*\((hd|cd)\d+\)\s+(\S+)\s*", line)
        if match is None:
            die("grub-bhyve", f"{path}:{number}: No open parenthesis found", 1)
        if not Path(match[2]).exists():
            die("grub-bhyve", f"{path}:{number}: cannot open `{match[2]}'", 1)


# -- bhyvectl ------------------------------------------------------------------------------------------
def bhyvectl(args: list[str]) -> None:
    name = None
    destroy = False
    for arg in args:
        if arg.startswith("--vm="):
            name = arg[len("--vm=") :]
        elif arg == "--destroy":
            destroy = True
        elif arg == "--create":
            pass
        else:
            sys.stderr.write(f"bhyvectl: unrecognized option `{arg}'\n")
            sys.stderr.write("Usage: bhyvectl --vm=<vmname>\n       [--destroy]\n       [--create]\n")
            sys.exit(1)
    if not name:
        sys.stderr.write("Usage: bhyvectl --vm=<vmname>\n       [--destroy]\n       [--create]\n")
        sys.exit(1)
    vmm = dev(f"/dev/vmm/{name}")
    if "--create" in args:
        create_vm("bhyvectl", name)
        return
    if not vmm.exists():
        die("bhyvectl", f"vm_open: {name} could not be opened: No such file or directory", 1)
    if destroy:
        vmm.unlink()


# -- sysctl --------------------------------------------------------------------------------------------
SYSCTLS = {
    "hw.machine": "amd64",
    "hw.model": "Intel(R) Xeon(R) CPU E5-2620 v3 @ 2.40GHz",
    "hw.ncpu": "4",
    "hw.physmem": "8557285376",
    "hw.clockrate": "2394",
    "kern.ostype": "FreeBSD",
    "kern.osrelease": "14.1-RELEASE",
}
"""What this stand-in host's kernel answers: a 4-CPU virtual machine with 8 GiB, without cpufreq(4)
(no ``dev.cpu.0.freq``, as in most virtual machines: ``hw.clockrate`` is the boot-time rate)."""


SYSCTL_USAGE = (
    "usage: sysctl [-bdehiNnoqTtWx] [ -B <bufsize> ] [-f filename] name[=value] ...\n"
    "       sysctl [-bdehNnoqTtWx] [ -B <bufsize> ] -a\n"
)


def sysctl(args: list[str]) -> None:
    """sysctl(8) reading values: ``[-n] name ...`` (``name: value``, or the value alone with -n); an
    unknown name is reported and the others still printed, exit status 1."""

    def usage(_: int) -> None:
        sys.stderr.write(SYSCTL_USAGE)
        sys.exit(1)

    opts, names = getopt("sysctl", args, "AabB:def:hiNnoqTtWwXx", usage)
    for flag, _ in opts:
        if flag != "n":
            die("sysctl", f"stand-in: -{flag} is not emulated (only -n and names)", 70)
    if not names:
        usage(1)
    bare = bool(opts)
    status = 0
    for name in names:
        if "=" in name:
            die("sysctl", f"oid '{name.partition('=')[0]}' is read only", 1)
        value = SYSCTLS.get(name)
        if value is None:
            sys.stderr.write(f"sysctl: unknown oid '{name}'\n")
            status = 1
            continue
        sys.stdout.write(f"{value}\n" if bare else f"{name}: {value}\n")
    sys.exit(status)


# -- ifconfig ------------------------------------------------------------------------------------------
def interfaces_path() -> Path:
    return root() / "interfaces.json"


def load_interfaces() -> dict[str, dict[str, object]]:
    path = interfaces_path()
    if not path.exists():
        return {
            "lo0": {"up": True, "members": []},
            "bridge0": {"up": True, "members": [], "bridge": True},
        }
    found: dict[str, dict[str, object]] = json.loads(path.read_text())
    return found


def ifconfig(args: list[str]) -> None:
    with (root() / "interfaces.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        interfaces = load_interfaces()
        _ifconfig(args, interfaces)
        interfaces_path().write_text(json.dumps(interfaces, indent=1, sort_keys=True))


def _ifconfig(args: list[str], interfaces: dict[str, dict[str, object]]) -> None:
    if args == ["-l"]:
        print(" ".join(interfaces))
        return
    if not args:
        for name, facts in interfaces.items():
            print(
                f"{name}: flags={'8843<UP,BROADCAST,RUNNING,SIMPLEX,MULTICAST>' if facts.get('up') else '8802<BROADCAST,SIMPLEX,MULTICAST>'}"
            )
        return
    name, *rest = args
    if rest == ["create"]:
        kind = re.fullmatch(r"(tap|bridge)(\d*)", name)
        if kind is None:
            die("ifconfig", "SIOCIFCREATE2: Invalid argument", 1)
        assert kind is not None
        if kind[2]:
            if name in interfaces:
                die("ifconfig", "SIOCIFCREATE2: File exists", 1)
            made = name
        else:
            number = 0
            while f"{kind[1]}{number}" in interfaces:
                number += 1
            made = f"{kind[1]}{number}"
        interfaces[made] = {"up": False, "members": [], "bridge": kind[1] == "bridge"}
        print(made)
        return
    if name not in interfaces:
        die("ifconfig", f"interface {name} does not exist", 1)
    facts = interfaces[name]
    index = 0
    while index < len(rest):
        word = rest[index]

        def value(word: str = word) -> str:
            nonlocal index
            index += 1
            if index >= len(rest):
                die("ifconfig", f"{word}: missing argument", 1)
            return rest[index]

        if word == "up":
            facts["up"] = True
        elif word == "down":
            facts["up"] = False
        elif word == "destroy":
            for other in interfaces.values():
                members = other.get("members")
                if isinstance(members, list) and name in members:
                    members.remove(name)
            del interfaces[name]
            return
        elif word == "name":
            new = value()
            if new in interfaces:
                die("ifconfig", "ioctl SIOCSIFNAME (set name): File exists", 1)
            interfaces[new] = interfaces.pop(name)
            print(new)
            name = new
        elif word == "description":
            facts["description"] = value()
        elif word == "-description":
            facts.pop("description", None)
        elif word == "ether":
            mac = value()
            if not re.fullmatch(r"([0-9a-fA-F]{2}:){5}[0-9a-fA-F]{2}", mac):
                die("ifconfig", f"malformed link-level address: {mac}", 1)
            facts["ether"] = mac.lower()
        elif word == "mtu":
            if not value().isdigit():
                die("ifconfig", "mtu: bad value", 1)
        elif word in ("addm", "deletem"):
            member = value()
            if not facts.get("bridge"):
                die("ifconfig", f"{'BRDGADD' if word == 'addm' else 'BRDGDEL'} {member}: Invalid argument", 1)
            members = facts["members"]
            assert isinstance(members, list)
            if member not in interfaces:
                die("ifconfig", f"{'BRDGADD' if word == 'addm' else 'BRDGDEL'} {member}: No such file or directory", 1)
            if word == "addm":
                if member in members:
                    die("ifconfig", f"BRDGADD {member}: File exists", 1)
                members.append(member)
            elif member in members:
                members.remove(member)
            else:
                die("ifconfig", f"BRDGDEL {member}: Invalid argument", 1)
        else:
            die("ifconfig", f"unknown command or parameter: {word}", 1)
        index += 1


def open_nmdm(args: list[str]) -> str:
    """The nmdm pairs of ``-l comN,/dev/nmdmXA``, made before bhyve takes its title (on FreeBSD the
    other end opens on demand: it is never missing while bhyve runs): ``A-PATH=FD;...`` of the
    masters, passed across the exec."""
    import pty
    import tty

    opened = []
    for index, arg in enumerate(args[:-1]):
        value = args[index + 1] if arg == "-l" else arg[2:] if arg.startswith("-l") and len(arg) > 2 else None
        if value is None:
            continue
        com, _, backend = value.partition(",")
        if com.lower() not in LPC_COMS or not re.fullmatch(r"/dev/nmdm[^/]+A", backend):
            continue
        master, slave = pty.openpty()
        tty.setraw(slave)
        other = dev(backend[:-1] + "B")
        other.parent.mkdir(parents=True, exist_ok=True)
        with contextlib.suppress(FileNotFoundError):
            other.unlink()
        other.symlink_to(os.ttyname(slave))
        os.set_inheritable(master, True)
        os.set_inheritable(slave, True)  # held open: the pty lives while bhyve does
        opened.append(f"{backend}={master}")
    return ";".join(opened)


def main(program: str) -> None:
    args = sys.argv[1:]
    if program == "bhyve" and os.environ.get("BHYVE_STANDIN_TITLED") != "1":
        log_call(program, args)
        # the real bhyve's process title is "bhyve: NAME": run again under that name (ps shows it)
        operands = [a for a in args if not a.startswith("-")]
        title = f"bhyve: {args[-1]}" if args and operands and not args[-1].startswith("-") else "bhyve"
        os.environ["BHYVE_STANDIN_TITLED"] = "1"
        os.environ["BHYVE_STANDIN_NMDM"] = open_nmdm(args)
        os.execv(sys.executable, [title, os.path.realpath(sys.argv[0]), *args])
    if program != "bhyve":
        log_call(program, args)
    tools = {"bhyve": bhyve, "bhyveload": bhyveload, "grub-bhyve": grub_bhyve, "bhyvectl": bhyvectl}
    tools |= {"ifconfig": ifconfig, "sysctl": sysctl}
    tools[program](args)

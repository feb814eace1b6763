"""VMware Workstation's, Player's and Fusion's command-line tools as libvirt's vmware driver runs
them: ``vmrun -T ws|player|fusion COMMAND``, the product's ``-v`` banner for the version, and the
pid in a VM's ``vmware.log``; each failure is a VirtError with libvirt's words.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import attrs
from virt.errors import ErrorDomain, ErrorNumber, VirtError, libvirt_error

# The timeout of one tool call: vmrun waits for the product (a soft stop waits for the guest), so
# the bound is generous; a hung product still ends as an error instead of a hung connection.
CALL_TIMEOUT = 300.0
LOG_LINE_LIMIT = 1023  # libvirt reads the log's first line with fgets into 1024 bytes


def error(detail: str, code: ErrorNumber = ErrorNumber.INTERNAL_ERROR) -> VirtError:
    return libvirt_error(code, detail, ErrorDomain.VMWARE)


@attrs.frozen
class Product:
    """One of the three products: vmrun's host type, the tool that tells the version and the words
    before the version in its banner."""

    host_type: str
    version_tool: str
    banner: str


PRODUCTS = {
    "vmwarews": Product("ws", "vmware", "VMware Workstation "),
    "vmwareplayer": Product("player", "vmplayer", "VMware Player "),
    # Fusion's vmware-vmx prints its version on standard error, after a heading of its own
    "vmwarefusion": Product("fusion", "vmware-vmx", "\nVMware Fusion Information:\nVMware Fusion "),
}


def find_vmrun() -> Path:
    """vmrun on PATH, its links resolved (libvirt's virFindFileInPath): the products' tools lie beside it."""
    found = shutil.which("vmrun")
    if found is None:
        raise error("vmrun utility is missing")
    return Path(os.path.realpath(found))


def run(argv: list[str]) -> str:
    """The standard output of ``argv``; libvirt's error when it cannot run or exits with a status."""
    try:
        done = subprocess.run(argv, capture_output=True, text=True, errors="replace", timeout=CALL_TIMEOUT, check=False)
    except FileNotFoundError:
        raise error(f"Cannot find '{argv[0]}' in path: No such file or directory") from None
    except OSError as exc:
        raise error(f"Cannot run '{argv[0]}': {exc.strerror}") from None
    except subprocess.TimeoutExpired:
        raise error(f"Child process ({' '.join(argv)}) did not finish within {CALL_TIMEOUT:.0f} seconds") from None
    if done.returncode != 0:
        # vmrun says what went wrong on its standard output ("Error: ..."), the products on stderr
        said = (done.stderr.strip() or done.stdout.strip()).replace("\n", " ")
        # libvirt's words for a status and a signal (virProcessTranslateStatus)
        status = f"exit status {done.returncode}" if done.returncode > 0 else f"fatal signal {-done.returncode}"
        raise error(f"Child process ({' '.join(argv)}) unexpected {status}" + (f": {said}" if said else ""))
    return done.stdout + done.stderr


def parse_version(product: Product, text: str) -> int:
    """major * 1,000,000 + minor * 1,000 + micro from the product's banner (libvirt's vmwareParseVersionStr)."""
    at = text.find(product.banner)
    if at < 0:
        raise error(f'cannot find version pattern "{product.banner}"')
    match = re.match(r"(\d+)\.(\d+)\.(\d+)", text[at + len(product.banner) :])
    if match is None:
        raise error("version parsing error")
    major, minor, micro = (int(part) for part in match.groups())
    if minor > 999 or micro > 999:
        raise error("version parsing error")
    return major * 1_000_000 + minor * 1_000 + micro


def version(vmrun: Path, product: Product) -> int:
    """The product's version from ``TOOL -v`` (the tool beside vmrun), standard error included."""
    return parse_version(product, run([str(vmrun.parent / product.version_tool), "-v"]))


def running(vmrun: Path, product: Product) -> list[str]:
    """The .vmx paths ``vmrun list`` names (running and paused VMs); its count line is skipped."""
    out = run([str(vmrun), "-T", product.host_type, "list"])
    return [line for line in out.splitlines() if line.startswith("/")]


def extract_pid(vmx_path: str) -> int:
    """The pid of the VM's process from the first line of ``vmware.log`` beside its .vmx
    (``... Log for VMware Workstation pid=NNN version=...``): libvirt's domain id."""
    log = Path(vmx_path).parent / "vmware.log"
    try:
        with log.open("rb") as f:
            first = f.readline(LOG_LINE_LIMIT).decode("utf-8", "replace")
    except OSError as exc:
        raise error(f"cannot read the pid of '{vmx_path}': cannot open '{log}': {exc.strerror}") from None
    if not first:
        raise error("unable to read vmware log file")
    at = first.find(" pid=")
    if at < 0:
        raise error("cannot find pid in vmware log file")
    match = re.match(r"\s*([-+]?\d+) ", first[at + len(" pid=") :])
    if match is None or not -(2**31) <= int(match.group(1)) < 2**31:
        raise error("cannot parse pid in vmware log file")
    return int(match.group(1))

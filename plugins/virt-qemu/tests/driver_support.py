"""Fixtures and helpers of the driver tests (``test_driver_*.py``): a private state root, cleanup, guests.

Each test gets its own ``VIRT_QEMU_ROOT`` under /tmp with a short name (unix socket paths are
limited to 107 bytes, which pytest's ``tmp_path`` can exceed), and every QEMU whose command line
mentions that root is killed at the end, whatever the test did.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import virt
from virt.testing import missing_dependency
from virt.testing.netns import private_network_root

QEMU = "qemu-system-x86_64"


def qemu_pids(root: Path) -> list[int]:
    """Every live process whose command line or open files mention ``root`` (our QEMUs: their
    monitor socket comes as a descriptor, but their log under ``root`` is their output)."""
    found = []
    needle = str(root).encode()
    prefix = str(root) + "/"
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            if needle in (entry / "cmdline").read_bytes() or any(
                os.readlink(fd).startswith(prefix) for fd in (entry / "fd").iterdir()
            ):
                found.append(int(entry.name))
        except OSError:
            continue
    return found


def kill_leftovers(root: Path) -> None:
    for pid in qemu_pids(root):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


@pytest.fixture(name="qemu_root")
def qemu_root_fixture(monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    if shutil.which(QEMU) is None:
        missing_dependency(f"{QEMU} is not installed (apt-get install qemu-system-x86)")
    root = Path(tempfile.mkdtemp(prefix="vq", dir="/tmp"))
    monkeypatch.setenv("VIRT_QEMU_ROOT", str(root))
    # networks a test's guests join are the test's own, never the host's 'default' network
    monkeypatch.setenv("VIRT_NETWORK_ROOT", str(private_network_root(root)))
    # probed capabilities are shared between tests (probing costs a second or two)
    cache = Path(tempfile.gettempdir()) / "virt-qemu-test-caps"
    cache.mkdir(exist_ok=True)
    for mode in ("system", "session"):
        (root / mode).mkdir()
        (root / mode / "cache").symlink_to(cache)
    try:
        yield root
    finally:
        from virt_qemu import driver

        for paths, (instance, _) in list(driver._instances.items()):
            if str(paths.run_dir).startswith(str(root)):
                driver._instances.pop(paths, None)
                instance.close()
        kill_leftovers(root)
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(name="conn")
def conn_fixture(qemu_root: Path) -> Iterator[virt.Connection]:
    connection = virt.open("qemu:///system")
    try:
        yield connection
    finally:
        connection.close()


def virt_type() -> str:
    """KVM when the host offers it; the tests then run at native speed."""
    return "kvm" if os.access("/dev/kvm", os.R_OK | os.W_OK) else "qemu"


def firmware_xml(name: str, *, uuid: str | None = None, memory_mib: int = 64, extra_devices: str = "") -> str:
    """A guest with no disk: QEMU boots SeaBIOS, finds nothing to boot and idles."""
    return f"""<domain type='{virt_type()}'>
  <name>{name}</name>
  {f"<uuid>{uuid}</uuid>" if uuid else ""}
  <memory unit='MiB'>{memory_mib}</memory>
  <vcpu>1</vcpu>
  <os><type arch='x86_64' machine='pc'>hvm</type></os>
  <features><acpi/></features>
  <devices>
    <memballoon model='none'/>
    {extra_devices}
  </devices>
</domain>
"""


def wait_until(predicate: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:g}s waiting for {what}")
        time.sleep(0.05)


def pid_of(root: Path, name: str) -> int:
    """The QEMU pid the status file of ``name`` records."""
    from virt_qemu.status import DomainStatus

    status = DomainStatus.from_xml((root / "system" / "run" / "status" / f"{name}.xml").read_bytes())
    assert status.pid is not None
    return status.pid


def alive(pid: int) -> bool:
    from virt_qemu import process

    return process.alive(pid)

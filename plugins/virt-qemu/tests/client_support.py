"""libvirt's real clients (Debian's virt-install and virt-manager) against virtd serving ``qemu:///system``:
the daemons they talk to, virt-install runs, the tiny guest's boot marker, and cleanup.

virtd runs with its QEMU driver's state under a private ``VIRT_QEMU_ROOT`` (short, under /tmp: unix
socket paths are limited to 107 bytes), sharing the probed capabilities with the other tests. The
reference is libvirt 9.0's own QEMU driver (a private libvirtd). Whatever a test leaves (guests,
QEMU processes, files) is removed when its daemon stops.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest
from driver_support import QEMU, kill_leftovers
from virsh_support import kill_processes_mentioning, virsh
from virt.daemon.testing import Virtd, start_virtd
from virt.testing import Libvirtd, missing_dependency, need_virsh, start_libvirtd

VIRT_INSTALL = "virt-install"
LIBVIRTD_QEMU_CONF = 'user = "root"\ngroup = "root"\nstdio_handler = "file"\n'
"""/dev/kvm is root's here, so libvirtd's QEMU runs as root; no virtlogd in its namespace, so logs go to files."""


def need_virt_install() -> None:
    need_virsh()
    if shutil.which(VIRT_INSTALL) is None:
        missing_dependency("virt-install is not installed (apt-get install virtinst)")
    if shutil.which(QEMU) is None:
        missing_dependency(f"{QEMU} is not installed (apt-get install qemu-system-x86)")


def qemu_uri(daemon: Virtd | Libvirtd) -> str:
    return daemon.uri(driver="qemu", path="/system")


@contextlib.contextmanager
def private_virtd(prefix: str) -> Iterator[Virtd]:
    """``virtd --system`` whose QEMU driver keeps its state in a folder of its own; on the way out
    every guest is destroyed and undefined, every QEMU mentioning the folder killed, the folder removed."""
    root = Path(tempfile.mkdtemp(prefix=prefix, dir="/tmp"))
    cache = Path(tempfile.gettempdir()) / "virt-qemu-test-caps"
    cache.mkdir(exist_ok=True)
    for mode in ("system", "session"):
        (root / mode).mkdir()
        (root / mode / "cache").symlink_to(cache)
    try:
        with pytest.MonkeyPatch.context() as env:
            env.setenv("VIRT_QEMU_ROOT", str(root))
            with start_virtd(system=True) as daemon:
                try:
                    yield daemon
                finally:
                    remove_guests(qemu_uri(daemon))
    finally:
        kill_leftovers(root)
        shutil.rmtree(root, ignore_errors=True)


@contextlib.contextmanager
def reference_libvirtd(uuids: Sequence[str] = ()) -> Iterator[Libvirtd]:
    """libvirt 9.0's QEMU driver in a private libvirtd; guests it still has are removed at the end
    (and any QEMU it could not stop, found by the ``uuids`` the test's guests carry)."""
    try:
        with start_libvirtd(drivers=("qemu",), files={"qemu.conf": LIBVIRTD_QEMU_CONF}) as daemon:
            try:
                yield daemon
            finally:
                remove_guests(qemu_uri(daemon))
    finally:
        for uuid in uuids:
            kill_processes_mentioning(uuid)


def remove_guests(uri: str) -> None:
    """Destroy and undefine whatever the daemon still has (a failed test's leftovers)."""
    for name in virsh(uri, "list", "--all", "--name").stdout.split():
        virsh(uri, "destroy", name)
        virsh(uri, "undefine", name, "--nvram")
        virsh(uri, "undefine", name)


def virt_install(uri: str, args: Sequence[str], *, timeout: float = 180) -> subprocess.CompletedProcess[str]:
    """Debian's virt-install against ``uri``; its outcome (stdout has the XML with ``--print-xml``)."""
    with tempfile.TemporaryDirectory(prefix="virt-install-home-") as home:
        env = {**os.environ, "HOME": home}  # it keeps a log under ~/.cache: not the user's
        env.pop("DISPLAY", None)  # no viewer is started, whatever the caller's session
        command = [VIRT_INSTALL, "--connect", uri, *args]
        return subprocess.run(command, capture_output=True, text=True, timeout=timeout, env=env, check=False)


def virt_install_ok(uri: str, args: Sequence[str]) -> str:
    done = virt_install(uri, args)
    assert done.returncode == 0, f"virt-install {' '.join(args)} failed:\n{done.stderr[-3000:]}"
    return done.stdout


def wait_for_text(path: Path, text: str, timeout: float) -> float:
    """Seconds until ``text`` shows up in the file ``path`` (a guest's serial log)."""
    start = time.monotonic()
    while True:
        with contextlib.suppress(FileNotFoundError):
            if text in path.read_text(errors="replace"):
                return time.monotonic() - start
        if time.monotonic() - start > timeout:
            tail = path.read_text(errors="replace")[-1500:] if path.exists() else "(no file)"
            raise AssertionError(f"{text!r} did not show up in {path} within {timeout:g}s; it ends with:\n{tail}")
        time.sleep(0.1)


def tcg_unless_host_cpu_works() -> list[str]:
    """The ``--virt-type`` for a guest that must boot Linux: KVM with virt-install's default CPU
    (host-passthrough) where the host's KVM runs that, else TCG (see qemu_start.HOST_CPU_REASON)."""
    from qemu_start import host_cpu_starts

    usable = os.access("/dev/kvm", os.R_OK | os.W_OK)
    return ["--virt-type", "kvm" if usable and host_cpu_starts(shutil.which(QEMU) or QEMU) else "qemu"]

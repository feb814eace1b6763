"""libvirt's real clients (Debian's virt-install and virt-manager) against virtd serving ``qemu:///system``:
the daemons they talk to, virt-install runs, the tiny guest's boot marker, and cleanup.

The daemons (virtd over a private root, libvirt 9.0's QEMU driver in a private libvirtd) are
``daemon_support``'s.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from driver_support import QEMU
from virt.testing import missing_dependency, need_virsh

VIRT_INSTALL = "virt-install"


def need_virt_install() -> None:
    need_virsh()
    if shutil.which(VIRT_INSTALL) is None:
        missing_dependency("virt-install is not installed (apt-get install virtinst)")
    if shutil.which(QEMU) is None:
        missing_dependency(f"{QEMU} is not installed (apt-get install qemu-system-x86)")


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

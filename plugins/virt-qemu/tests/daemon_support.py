"""The QEMU driver's two daemons for the comparisons with stock clients: virtd over a private state
root, and libvirt 9.0's own QEMU driver in a private libvirtd.

virtd runs with its QEMU driver's state under a private ``VIRT_QEMU_ROOT`` (short, under /tmp: unix
socket paths are limited to 107 bytes), sharing the probed capabilities with the other tests.
Whatever a test leaves (guests, QEMU processes, files) is removed when its daemon stops.
"""

from __future__ import annotations

import contextlib
import shutil
import tempfile
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TypeVar

import pytest
from driver_support import QEMU, kill_leftovers
from guest import GuestImage
from virsh_support import kill_processes_mentioning, virsh
from virt.daemon.testing import Virtd, start_virtd
from virt.testing import Libvirtd, missing_dependency, need_virsh, not_applicable, start_libvirtd

T = TypeVar("T")


def need_kvm_comparison() -> None:
    """Skip unless both daemons can run the same KVM guests here: stock virsh, root, a usable /dev/kvm."""
    import os


    need_virsh()
    if os.geteuid() != 0:
        not_applicable("libvirtd's QEMU driver and virtd's qemu:///system run guests as root")
    if not os.access("/dev/kvm", os.R_OK | os.W_OK):
        missing_dependency("/dev/kvm is not usable: the comparison runs the same KVM guests on both daemons")


def qemu_uri(daemon: Virtd | Libvirtd) -> str:
    return daemon.uri(driver="qemu", path="/system")


def remove_guests(uri: str) -> None:
    """Destroy and undefine whatever the daemon still has (a failed test's leftovers)."""
    for name in virsh(uri, "list", "--all", "--name").stdout.split():
        virsh(uri, "destroy", name)
        virsh(uri, "undefine", name, "--nvram")
        virsh(uri, "undefine", name)


@contextlib.contextmanager
def private_qemu_root(prefix: str = "vd") -> Iterator[Path]:
    """A ``VIRT_QEMU_ROOT`` of our own under /tmp, sharing the probed capabilities with the other
    tests; every QEMU mentioning it is killed at the end."""
    if shutil.which(QEMU) is None:
        missing_dependency(f"{QEMU} is not installed (apt-get install qemu-system-x86)")
    root = Path(tempfile.mkdtemp(prefix=prefix, dir="/tmp"))
    cache = Path(tempfile.gettempdir()) / "virt-qemu-test-caps"
    cache.mkdir(exist_ok=True)
    for mode in ("system", "session"):
        (root / mode).mkdir()
        (root / mode / "cache").symlink_to(cache)
    try:
        yield root
    finally:
        kill_leftovers(root)
        shutil.rmtree(root, ignore_errors=True)


@contextlib.contextmanager
def virtd_serving(root: Path, socket_dir: Path | None = None, args: tuple[str, ...] = ()) -> Iterator[Virtd]:
    """``virtd --system`` whose QEMU driver keeps its state under ``root``."""
    with pytest.MonkeyPatch.context() as env:
        env.setenv("VIRT_QEMU_ROOT", str(root))
        with start_virtd(system=True, socket_dir=socket_dir, args=args) as daemon:
            yield daemon


@contextlib.contextmanager
def private_virtd(prefix: str = "vd") -> Iterator[Virtd]:
    """``virtd --system`` over a private root of its own; its guests are removed on the way out."""
    with private_qemu_root(prefix) as root, virtd_serving(root) as daemon:
        try:
            yield daemon
        finally:
            remove_guests(qemu_uri(daemon))


@contextlib.contextmanager
def reference_libvirtd(uuids: Sequence[str] = ()) -> Iterator[Libvirtd]:
    """libvirt 9.0's QEMU driver in a private libvirtd (with its network driver, which answers the lease
    lookups of domifaddr and domhostname as virtd's host network service does; no network is defined in
    its private configuration); guests it still has are removed at the end
    (and any QEMU it could not stop, found by the ``uuids`` the test's guests carry: it lives on in
    the daemon's namespace)."""
    try:
        with start_libvirtd(drivers=("qemu", "network")) as daemon:
            try:
                yield daemon
            finally:
                remove_guests(qemu_uri(daemon))
    finally:
        for uuid in uuids:
            kill_processes_mentioning(uuid)


@contextlib.contextmanager
def side_by_side(
    uuid: str,
    folder: Path,
    guest: Callable[[str, Path, GuestImage], contextlib.AbstractContextManager[Path]],
    tiny_guest: GuestImage,
    boot_timeout: float,
) -> Iterator[dict[str, tuple[str, Path]]]:
    """virtd and libvirtd 9.0 each running the guest ``guest(uri, folder, tiny_guest)`` gives (its
    serial log), booted (its marker on the console): each daemon's URI and folder, by daemon name."""
    import time

    need_virsh()
    marker = tiny_guest.marker
    folder.chmod(0o755)
    try:
        with (
            private_virtd() as ours,
            reference_libvirtd([uuid]) as theirs,
            guest(qemu_uri(ours), folder / "virtd", tiny_guest) as our_log,
            guest(qemu_uri(theirs), folder / "libvirtd", tiny_guest) as their_log,
        ):
            for log in (our_log, their_log):
                deadline = time.monotonic() + boot_timeout
                while marker not in (log.read_text(errors="replace") if log.exists() else ""):
                    if time.monotonic() > deadline:
                        raise AssertionError(
                            f"timed out after {boot_timeout:g}s waiting for the guest's marker in {log}"
                        )
                    time.sleep(0.3)
            yield {"virtd": (qemu_uri(ours), folder / "virtd"), "libvirtd": (qemu_uri(theirs), folder / "libvirtd")}
    finally:
        kill_processes_mentioning(uuid)


@contextlib.contextmanager
def compared_daemons(
    folder: Path, defined: Callable[[str, Path], contextlib.AbstractContextManager[T]], uuids: Sequence[str]
) -> Iterator[dict[str, tuple[str, T]]]:
    """virtd and libvirtd 9.0 each with the guests ``defined(uri, folder)`` makes (KVM, as root): each
    daemon's URI and what ``defined`` gave for it (in ``folder/virtd``, ``folder/libvirtd``), by daemon
    name; QEMUs still carrying one of the guests' ``uuids`` are killed at the end."""
    need_kvm_comparison()
    try:
        with (
            private_virtd() as ours,
            reference_libvirtd() as theirs,
            defined(qemu_uri(ours), folder / "virtd") as our_side,
            defined(qemu_uri(theirs), folder / "libvirtd") as their_side,
        ):
            yield {"virtd": (qemu_uri(ours), our_side), "libvirtd": (qemu_uri(theirs), their_side)}
    finally:
        for uuid in uuids:
            kill_processes_mentioning(uuid)

"""Run a test in a private network namespace, so it never touches the host's links or firewall.

``@in_private_netns`` runs the test function in a forked child that first unshares its network
namespace (a fresh one: only ``lo``, brought up, and an empty nftables ruleset) and reports back
through a pipe: the child's failure fails the test with the child's traceback, its skip skips it.
Everything the test starts (dnsmasq, daemons) lives in that namespace; whatever it leaves there
vanishes with it once the last process in it is gone.
"""

from __future__ import annotations

import ctypes
import functools
import os
import pickle
import shutil
import signal
import subprocess
import tempfile
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

F = TypeVar("F", bound=Callable[..., Any])
T = TypeVar("T")

CLONE_NEWNET = 0x40000000
CLONE_NEWNS = 0x00020000


def need_netns() -> None:
    """Skip (``missing_dependency``) unless this process can make network namespaces and run ``ip``."""
    from virt.testing import missing_dependency

    if os.geteuid() != 0:
        missing_dependency("a private network namespace needs root")
    if shutil.which("ip") is None:
        missing_dependency("ip (iproute2) is not installed")


def enter_new_netns() -> None:
    """Move the calling (single-threaded, forked) process into a new network namespace with ``lo``
    up, and a mount namespace of its own where /sys is a sysfs of the new network namespace (sysfs
    shows the links of the namespace that mounted it) with the host's cgroup mounts kept on it."""
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.unshare(CLONE_NEWNET | CLONE_NEWNS) != 0:
        errno = ctypes.get_errno()
        raise OSError(errno, f"unshare(CLONE_NEWNET | CLONE_NEWNS): {os.strerror(errno)}")
    subprocess.run(["mount", "--make-rprivate", "/"], check=True)
    keep = tempfile.mkdtemp(prefix="virt-netns-cgroup-")
    try:
        subprocess.run(["mount", "--rbind", "/sys/fs/cgroup", keep], check=True)
        subprocess.run(["mount", "-t", "sysfs", "sysfs", "/sys"], check=True)
        subprocess.run(["mount", "--move", keep, "/sys/fs/cgroup"], check=True)
    finally:
        Path(keep).rmdir()
    subprocess.run(["ip", "link", "set", "lo", "up"], check=True)


def kill_namespace_processes() -> None:
    """SIGKILL every other process in the caller's network namespace: what a failed test left
    running there (a dnsmasq, a guest) would otherwise keep the namespace alive for good."""
    mine = Path("/proc/self/ns/net").readlink()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            if (entry / "ns" / "net").readlink() == mine:
                os.kill(int(entry.name), signal.SIGKILL)
        except OSError:
            continue  # gone already, or a kernel thread


def private_network_root(base: Path) -> Path:
    """``base/network`` made a ``VIRT_NETWORK_ROOT`` past the host network service's first use (no
    ``default`` network defined and autostarted), searchable by dnsmasq (which runs as nobody)."""
    root = base / "network"
    (root / "state" / "networks").mkdir(parents=True)
    for folder in (base, root):
        folder.chmod(0o755)
    return root


def call_in_new_netns(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """``fn(*args, **kwargs)`` run in a forked child in a new network namespace: its result (or its
    exception, re-raised here) comes back pickled. What the child started stays in its namespace."""
    need_netns()
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child's coverage is not collected
        os.close(read_end)
        status = 0
        try:
            enter_new_netns()
            outcome: tuple[str, Any] = ("ok", fn(*args, **kwargs))
        except BaseException as exc:  # noqa: BLE001 - every failure goes back to the parent
            status = 1
            outcome = ("error", _Failure(exc, traceback.format_exc()))
        finally:
            kill_namespace_processes()
        with os.fdopen(write_end, "wb") as out:
            try:
                pickle.dump(outcome, out)
            except Exception as exc:  # noqa: BLE001 - an unpicklable result or exception
                pickle.dump(("error", _Failure(RuntimeError(str(exc)), traceback.format_exc())), out)
        os._exit(status)
    os.close(write_end)
    with os.fdopen(read_end, "rb") as source:
        data = source.read()
    os.waitpid(pid, 0)
    if not data:
        raise RuntimeError("the child in the private network namespace died without a report")
    kind, value = pickle.loads(data)
    if kind == "error":
        value.reraise()
    return value  # type: ignore[no-any-return]


class _Failure:
    """An exception from the child, with its traceback's text (traceback objects do not pickle)."""

    def __init__(self, exc: BaseException, text: str) -> None:
        self.text = text
        try:
            pickle.dumps(exc)
            self.exc: BaseException | None = exc
        except Exception:  # noqa: BLE001 - some exceptions do not pickle: the text stays
            self.exc = None

    def reraise(self) -> None:
        import pytest

        if self.exc is not None and isinstance(self.exc, pytest.skip.Exception):
            raise self.exc
        if isinstance(self.exc, AssertionError):
            pytest.fail(f"in the private network namespace:\n{self.text}", pytrace=False)
        raise RuntimeError(f"in the private network namespace:\n{self.text}") from self.exc


def in_private_netns(test: F) -> F:
    """Run the test function in a new network namespace (``call_in_new_netns``)."""

    @functools.wraps(test)
    def run(*args: Any, **kwargs: Any) -> None:
        call_in_new_netns(test, *args, **kwargs)

    return run  # type: ignore[return-value]

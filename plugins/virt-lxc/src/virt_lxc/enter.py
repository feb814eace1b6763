"""Running a command inside a running container: its cgroups, then its namespaces, then exec.

What ``virsh lxc-enter-namespace`` does with virDomainLxcOpenNamespace and virDomainLxcEnter*:
a child of the caller joins the container's cgroups (so its limits apply, and destroy ends it),
enters every namespace of the container's init (the user namespace last, becoming the
container's root there), and forks once more, since a PID namespace is entered by one's
children only; that grandchild executes the command in the container's root. It gets no more
capabilities than the container's init has (its bounding set), whatever the caller had.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from virt_lxc import syscalls
from virt_lxc.cgroups import ContainerCgroup
from virt_lxc.hosterror import HostError

# setns wants the namespace type; the user namespace goes last (entering it drops our host powers)
_KINDS = (
    ("ipc", syscalls.CLONE_NEWIPC),
    ("uts", syscalls.CLONE_NEWUTS),
    ("net", syscalls.CLONE_NEWNET),
    ("pid", syscalls.CLONE_NEWPID),
    ("cgroup", syscalls.CLONE_NEWCGROUP),
    ("mnt", syscalls.CLONE_NEWNS),
    ("user", syscalls.CLONE_NEWUSER),
)


def _open_namespaces(init_pid: int) -> list[tuple[int, int]]:
    """The init's namespaces that differ from ours, opened (fd, type)."""
    opened = []
    for kind, flag in _KINDS:
        theirs = Path(f"/proc/{init_pid}/ns/{kind}")
        try:
            if theirs.stat().st_ino == Path(f"/proc/self/ns/{kind}").stat().st_ino:
                continue  # shared with the host (no private network, no user namespace...)
            opened.append((os.open(theirs, os.O_RDONLY | os.O_CLOEXEC), flag))
        except OSError as exc:
            for fd, _ in opened:
                os.close(fd)
            raise OSError(
                exc.errno, f"cannot open the {kind} namespace of the container's init: {exc.strerror}"
            ) from None
    return opened


def _bounding_set(init_pid: int) -> int:
    for line in Path(f"/proc/{init_pid}/status").read_text().splitlines():
        if line.startswith("CapBnd:"):
            return int(line.split()[1], 16)
    raise OSError(0, f"no capability bounding set in /proc/{init_pid}/status")


def run(init_pid: int, cgroups: str, argv: list[str], *, user_namespace: bool) -> int:
    """Run ``argv`` in the container; its exit status (128 + N when a signal N ended it)."""
    from virt_lxc.capabilities import last_capability

    try:
        bounding = _bounding_set(init_pid)
    except OSError as exc:
        raise OSError(exc.errno, f"cannot read the capabilities of the container's init: {exc.strerror}") from None
    dropped = frozenset(n for n in range(last_capability() + 1) if not bounding & (1 << n))
    namespaces = _open_namespaces(init_pid)
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:
        try:
            _child(namespaces, ContainerCgroup.from_text(cgroups), argv, user_namespace, dropped)
        finally:
            os._exit(255)
    for fd, _ in namespaces:
        os.close(fd)
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status) if os.WIFEXITED(status) else 128 + os.WTERMSIG(status)


def _fail(message: str) -> None:
    os.write(2, f"error: {message}\n".encode(errors="replace"))
    os._exit(255)


def _child(
    namespaces: list[tuple[int, int]], cgroup: ContainerCgroup, argv: list[str], user_ns: bool, dropped: frozenset[int]
) -> None:
    try:
        cgroup.add(os.getpid())
    except HostError as exc:
        _fail(f"cannot join the container's cgroups: {exc.message}")
    for fd, flag in namespaces:
        try:
            syscalls.setns(fd, flag)
        except OSError as exc:
            _fail(f"cannot enter the container's namespaces: {exc.strerror}")
        os.close(fd)
    grandchild = os.fork()
    if grandchild:
        _, status = os.waitpid(grandchild, 0)
        os._exit(os.WEXITSTATUS(status) if os.WIFEXITED(status) else 128 + os.WTERMSIG(status))
    try:
        if user_ns:
            os.setgroups([])
            os.setresgid(0, 0, 0)
            os.setresuid(0, 0, 0)
        os.chdir("/")
        syscalls.drop_capabilities(dropped)
    except OSError as exc:
        _fail(f"cannot become the container's root: {exc.strerror}")
    env = {
        "PATH": "/bin:/sbin:/usr/bin:/usr/sbin",
        "TERM": os.environ.get("TERM", "linux"),
        "HOME": "/",
        "container": "lxc-libvirt",
    }
    try:
        os.execvpe(argv[0], argv, env)
    except OSError as exc:
        _fail(f"cannot execute '{argv[0]}' in the container: {exc.strerror}")

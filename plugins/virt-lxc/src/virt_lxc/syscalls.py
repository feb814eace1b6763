"""The Linux system calls Python 3.11's ``os`` lacks, through ctypes: clone (and clone3 into a
cgroup) with namespaces, setns, mount, umount2, pivot_root, prctl, capset, personality.

Each raises OSError with errno, as ``os`` functions do. ``clone`` is a fork that also creates
namespaces: it brackets the raw system call with ``PyOS_BeforeFork``/``PyOS_AfterFork_*`` (what
``os.fork`` does), so the interpreter is consistent in the child; the GIL stays held across it.
"""

from __future__ import annotations

import ctypes
import os
import platform

CLONE_NEWNS = 0x00020000
CLONE_NEWCGROUP = 0x02000000
CLONE_NEWUTS = 0x04000000
CLONE_NEWIPC = 0x08000000
CLONE_NEWUSER = 0x10000000
CLONE_NEWPID = 0x20000000
CLONE_NEWNET = 0x40000000

MS_RDONLY = 0x1
MS_NOSUID = 0x2
MS_NODEV = 0x4
MS_NOEXEC = 0x8
MS_REMOUNT = 0x20
MS_BIND = 0x1000
MS_REC = 0x4000
MS_PRIVATE = 0x40000
MS_SLAVE = 0x80000
MNT_DETACH = 0x2

PR_SET_PDEATHSIG = 1
PR_CAPBSET_DROP = 24
PR_SET_CHILD_SUBREAPER = 36
PR_SET_NO_NEW_PRIVS = 38

PER_LINUX32 = 0x0008
SIGCHLD = 17
CLONE_INTO_CGROUP = 0x200000000
CLONE3 = 435
"""clone3's number, the same on every architecture (it came after the tables were unified)."""

# System call numbers ctypes needs by number (glibc has no wrapper, or none for this use).
_NUMBERS = {
    "x86_64": {"clone": 56, "pivot_root": 155, "capget": 125, "capset": 126},
    "aarch64": {"clone": 220, "pivot_root": 41, "capget": 90, "capset": 91},
}

_libc = ctypes.CDLL(None, use_errno=True)
# The same library through PyDLL: the GIL stays held during the call, as os.fork holds it.
_libc_gil = ctypes.PyDLL(None, use_errno=True)
_libc_gil.syscall.restype = ctypes.c_long
_libc.syscall.restype = ctypes.c_long


def _number(name: str) -> int:
    table = _NUMBERS.get(platform.machine())
    if table is None:
        raise OSError(0, f"the LXC driver does not know the system calls of {platform.machine()}")
    return table[name]


def _check(result: int, what: str) -> int:
    if result < 0:
        errno = ctypes.get_errno()
        raise OSError(errno, f"{what}: {os.strerror(errno)}")
    return result


class _CloneArgs(ctypes.Structure):
    """struct clone_args, up to ``cgroup`` (CLONE_ARGS_SIZE_VER2)."""

    _fields_ = [
        (name, ctypes.c_uint64)
        for name in (
            "flags", "pidfd", "child_tid", "parent_tid", "exit_signal", "stack", "stack_size", "tls", "set_tid",
            "set_tid_size", "cgroup",
        )
    ]  # fmt: skip


def clone(flags: int, cgroup_fd: int | None = None) -> int:
    """fork(), the child in new namespaces (``CLONE_NEW*`` flags) and, with ``cgroup_fd``, born in that
    cgroup v2 (clone3's CLONE_INTO_CGROUP); the child's pid, 0 in the child."""
    api = ctypes.pythonapi
    api.PyOS_BeforeFork()
    if cgroup_fd is None:
        pid = _libc_gil.syscall(
            ctypes.c_long(_number("clone")),
            ctypes.c_ulong(flags | SIGCHLD),
            ctypes.c_void_p(0),
            ctypes.c_void_p(0),
            ctypes.c_void_p(0),
            ctypes.c_ulong(0),
        )
    else:
        args = _CloneArgs(flags=flags | CLONE_INTO_CGROUP, exit_signal=SIGCHLD, cgroup=cgroup_fd)
        pid = _libc_gil.syscall(ctypes.c_long(CLONE3), ctypes.byref(args), ctypes.c_size_t(ctypes.sizeof(args)))
    if pid == 0:
        api.PyOS_AfterFork_Child()
        return 0
    errno = ctypes.get_errno()
    api.PyOS_AfterFork_Parent()
    if pid < 0:
        raise OSError(errno, f"clone: {os.strerror(errno)}")
    return int(pid)


def setns(fd: int, nstype: int = 0) -> None:
    _check(_libc.setns(fd, nstype), "setns")


def unshare(flags: int) -> None:
    _check(_libc.unshare(flags), "unshare")


def mount(source: str | None, target: str, fstype: str | None, flags: int = 0, data: str | None = None) -> None:
    result = _libc.mount(
        source.encode() if source is not None else None,
        target.encode(),
        fstype.encode() if fstype is not None else None,
        ctypes.c_ulong(flags),
        data.encode() if data is not None else None,
    )
    _check(result, f"mount {source or fstype} on {target}")


def umount2(target: str, flags: int = 0) -> None:
    _check(_libc.umount2(target.encode(), flags), f"umount {target}")


def pivot_root(new_root: str, put_old: str) -> None:
    _check(_libc.syscall(_number("pivot_root"), new_root.encode(), put_old.encode()), "pivot_root")


def prctl(option: int, arg: int = 0) -> None:
    _check(
        _libc.prctl(ctypes.c_int(option), ctypes.c_ulong(arg), ctypes.c_ulong(0), ctypes.c_ulong(0), ctypes.c_ulong(0)),
        f"prctl({option})",
    )


def personality(persona: int) -> None:
    _check(_libc.personality(ctypes.c_ulong(persona)), "personality")


class _CapHeader(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]


class _CapData(ctypes.Structure):
    _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32), ("inheritable", ctypes.c_uint32)]


_CAP_V3 = 0x20080522


def drop_capabilities(numbers: frozenset[int]) -> None:
    """Remove ``numbers`` from the bounding set and from this process's effective, permitted and
    inheritable sets, so that neither it nor anything it executes gets them back."""
    for number in sorted(numbers):
        try:
            prctl(PR_CAPBSET_DROP, number)
        except OSError as exc:
            if exc.errno != 22:  # EINVAL: a capability this kernel does not have
                raise
    header = _CapHeader(_CAP_V3, 0)
    data = (_CapData * 2)()
    _check(_libc.syscall(_number("capget"), ctypes.byref(header), data), "capget")
    for number in numbers:
        word, bit = divmod(number, 32)
        if word < 2:
            mask = ~(1 << bit) & 0xFFFFFFFF
            data[word].effective &= mask
            data[word].permitted &= mask
            data[word].inheritable &= mask
    _check(_libc.syscall(_number("capset"), ctypes.byref(header), data), "capset")

"""Inside the new namespaces, before the container's init runs: what the cloned child does.

``run`` never returns: it makes the container's world (mounts, /dev, consoles, network,
hostname, identity, capabilities) and executes init. Any failure is written to ``sync`` (a
socket to the controller) and the child exits; a successful exec closes ``sync`` (it is
close-on-exec), which is how the controller learns init runs. The console masters (ptys of the
container's own devpts) go to the controller over ``sync`` before that.

Two words from the controller pace it: ``MAPS`` once its ID maps are written (it may act as the
container's root), ``GO`` once its veths exist (and, on an old kernel, it is in its v2 cgroup).
The mounts are made in between, while the controller works.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import socket
import struct
import termios
from pathlib import Path

from virt_lxc import capabilities, netdev, syscalls
from virt_lxc.spec import ContainerSpec, Mount

MAPS = b"m"
GO = b"g"
PTYS = b"p"
FAILED = b"E"

_TIOCSPTLCK = 0x40045431
_TIOCGPTN = 0x80045430
_DEVICES = ("null", "zero", "full", "random", "urandom", "tty")
_LINKS = {
    "fd": "/proc/self/fd",
    "stdin": "/proc/self/fd/0",
    "stdout": "/proc/self/fd/1",
    "stderr": "/proc/self/fd/2",
    "ptmx": "pts/ptmx",
}


class SetupError(Exception):
    """A step of the container's setup failed; the message says which and why."""


def _step(what: str, function: object, *args: object) -> None:
    try:
        function(*args)  # type: ignore[operator]
    except OSError as exc:
        detail = exc.strerror or str(exc)
        raise SetupError(f"{what}: {detail}") from exc


def run(spec: ContainerSpec, sync: socket.socket, peers: list[str]) -> None:
    """The child's whole life until exec; exits the process on any failure."""
    try:
        _wait_for(sync, MAPS)
        _setup(spec, sync, peers)
    except BaseException as exc:  # noqa: BLE001 - whatever happens here must reach the controller
        message = str(exc) if isinstance(exc, SetupError) else f"{type(exc).__name__}: {exc}"
        with contextlib.suppress(OSError):
            sync.sendall(FAILED + message.encode(errors="replace"))
    os._exit(1)


def _wait_for(sync: socket.socket, word: bytes) -> None:
    if sync.recv(1) != word:
        os._exit(1)  # the controller gave up: nobody is left to tell


def _setup(spec: ContainerSpec, sync: socket.socket, peers: list[str]) -> None:
    # The child of a dying controller dies too: a container whose controller is gone is unmanaged.
    syscalls.prctl(syscalls.PR_SET_PDEATHSIG, 9)
    if spec.user_namespace:
        _step("cannot become the container's root", _become_root)
    _step("cannot make the mounts private", syscalls.mount, None, "/", None, syscalls.MS_REC | syscalls.MS_PRIVATE)
    root = spec.root.source if spec.root is not None else ""
    assert root is not None
    if root:
        _step(
            f"cannot mount the root filesystem {root}",
            syscalls.mount,
            root,
            root,
            None,
            syscalls.MS_BIND | syscalls.MS_REC,
        )
    for mount in spec.mounts:
        _mount(root, mount)
    _special_filesystems(root, spec)
    masters = _consoles(root, spec.consoles)
    if masters:
        socket.send_fds(sync, [PTYS], masters)
        for fd in masters:
            os.close(fd)
    _wait_for(sync, GO)
    if spec.interfaces:
        _step(
            "cannot set up the container's network", netdev.run_batch, netdev.guest_batch(spec.interfaces, peers), "ip"
        )
    if spec.private_network:
        _step("cannot bring up the loopback device", netdev.loopback_up)
    # now that it is in its cgroups: they become the root of its cgroup namespace
    _step("cannot make a cgroup namespace", syscalls.unshare, syscalls.CLONE_NEWCGROUP)
    if not any(s.kind == "uts" for s in spec.shared):
        _step("cannot set the hostname", socket.sethostname, spec.name)
    if root:
        _step("cannot enter the root filesystem", _pivot, root, spec.root is not None and spec.root.readonly)
    _step("cannot attach the console", _console_stdio, spec.consoles)
    if spec.arch == "i686" and os.uname().machine == "x86_64":
        _step("cannot switch to 32-bit personality", syscalls.personality, syscalls.PER_LINUX32)
    dropped = capabilities.to_drop(spec.capabilities, capabilities.last_capability())
    _step("cannot drop capabilities from the bounding set", _drop_bounding, dropped)
    _identity(spec)
    if os.geteuid() == 0:
        _step("cannot drop capabilities", syscalls.drop_capabilities, dropped)
    env = _environment(spec)
    workdir = spec.init_dir or "/"
    _step(f"cannot change to the init directory {workdir}", os.chdir, workdir)
    os.closerange(3, sync.fileno())
    os.closerange(sync.fileno() + 1, 65536)
    try:
        os.execve(spec.init, [spec.init, *spec.init_args], env)
    except OSError as exc:
        raise SetupError(f"cannot execute init '{spec.init}': {exc.strerror}") from exc


def _become_root() -> None:
    os.setgroups([])
    os.setresgid(0, 0, 0)
    os.setresuid(0, 0, 0)


def _inside(root: str, path: str) -> str:
    return root + path if root else path


def _make_mount_point(target: str, like_file: bool) -> None:
    if os.path.lexists(target):
        return
    if like_file:
        Path(target).parent.mkdir(parents=True, exist_ok=True)
        Path(target).touch()
    else:
        Path(target).mkdir(parents=True, exist_ok=True)


def _mount(root: str, mount: Mount) -> None:
    target = _inside(root, mount.target)
    flags_ro = syscalls.MS_REMOUNT | syscalls.MS_BIND | syscalls.MS_RDONLY
    if mount.kind == "ram":
        _step(f"cannot make mount point {mount.target}", _make_mount_point, target, False)
        flags = syscalls.MS_NOSUID | syscalls.MS_NODEV | (syscalls.MS_RDONLY if mount.readonly else 0)
        _step(
            f"cannot mount a tmpfs on {mount.target}",
            syscalls.mount,
            "tmpfs",
            target,
            "tmpfs",
            flags,
            f"size={mount.size_kib}k,mode=0755",
        )
        return
    assert mount.source is not None
    source = mount.source if mount.kind == "mount" else _inside(root, mount.source)
    if not Path(source).exists():
        raise SetupError(f"cannot bind {mount.source} on {mount.target}: {mount.source} does not exist")
    _step(f"cannot make mount point {mount.target}", _make_mount_point, target, not Path(source).is_dir())
    _step(
        f"cannot bind {mount.source} on {mount.target}",
        syscalls.mount,
        source,
        target,
        None,
        syscalls.MS_BIND | syscalls.MS_REC,
    )
    if mount.readonly:
        _step(f"cannot make {mount.target} read-only", syscalls.mount, None, target, None, flags_ro)


def _special_filesystems(root: str, spec: ContainerSpec) -> None:
    """/proc (this PID namespace's), /proc/sys read-only, /sys read-only, a /dev of our own."""
    ro = syscalls.MS_REMOUNT | syscalls.MS_BIND | syscalls.MS_RDONLY
    safe = syscalls.MS_NOSUID | syscalls.MS_NODEV | syscalls.MS_NOEXEC
    proc, sys_dir, dev = _inside(root, "/proc"), _inside(root, "/sys"), _inside(root, "/dev")
    for folder in (proc, sys_dir, dev):
        _step(f"cannot make mount point {folder}", _make_mount_point, folder, False)
    _step("cannot mount /proc", syscalls.mount, "proc", proc, "proc", safe)
    _step("cannot bind /proc/sys", syscalls.mount, proc + "/sys", proc + "/sys", None, syscalls.MS_BIND)
    _step("cannot make /proc/sys read-only", syscalls.mount, None, proc + "/sys", None, ro)
    try:
        # a sysfs of our own shows the container's network devices, not the host's
        syscalls.mount("sysfs", sys_dir, "sysfs", safe | syscalls.MS_RDONLY)
    except OSError:
        _step("cannot bind /sys", syscalls.mount, "/sys", sys_dir, None, syscalls.MS_BIND | syscalls.MS_REC)
        _step("cannot make /sys read-only", syscalls.mount, None, sys_dir, None, ro)
    # The host's nodes are bind-mounted (mknod is not allowed in a user namespace, a bind is),
    # through descriptors opened first: with the host's root shared, the new /dev hides them.
    host_nodes = {name: os.open(f"/dev/{name}", os.O_PATH | os.O_CLOEXEC) for name in _DEVICES}
    _step("cannot mount /dev", syscalls.mount, "devfs", dev, "tmpfs", syscalls.MS_NOSUID, "mode=0755,size=64k")
    for name, fd in host_nodes.items():
        node = f"{dev}/{name}"
        _step(f"cannot create /dev/{name}", _make_mount_point, node, True)
        _step(f"cannot bind /dev/{name}", syscalls.mount, f"/proc/self/fd/{fd}", node, None, syscalls.MS_BIND)
        os.close(fd)
    for name, target in _LINKS.items():
        Path(f"{dev}/{name}").symlink_to(target)
    for folder, options in (("pts", None), ("shm", "mode=1777,size=65536k")):
        Path(f"{dev}/{folder}").mkdir(0o755)
        if options:
            _step(
                f"cannot mount /dev/{folder}",
                syscalls.mount,
                "shm",
                f"{dev}/{folder}",
                "tmpfs",
                syscalls.MS_NOSUID | syscalls.MS_NODEV,
                options,
            )
    # a devpts instance of our own: the container sees only its ptys
    pts_options = "newinstance,ptmxmode=0666,mode=0620" + ("" if spec.user_namespace else ",gid=5")
    _step(
        "cannot mount /dev/pts",
        syscalls.mount,
        "devpts",
        f"{dev}/pts",
        "devpts",
        syscalls.MS_NOSUID | syscalls.MS_NOEXEC,
        pts_options,
    )
    if spec.consoles:
        Path(f"{dev}/console").symlink_to("pts/0")
        for n in range(spec.consoles):
            Path(f"{dev}/tty{n + 1}").symlink_to(f"pts/{n}")


def _consoles(root: str, count: int) -> list[int]:
    """Open ``count`` ptys of the container's devpts; their masters go to the controller."""
    masters = []
    for n in range(count):
        fd = os.open(_inside(root, "/dev/pts/ptmx"), os.O_RDWR | os.O_NOCTTY | os.O_CLOEXEC)
        fcntl.ioctl(fd, _TIOCSPTLCK, struct.pack("i", 0))
        number = struct.unpack("i", fcntl.ioctl(fd, _TIOCGPTN, struct.pack("i", 0)))[0]
        if number != n:
            raise SetupError(f"the container's pty {n} came out as /dev/pts/{number}")
        masters.append(fd)
    return masters


def _pivot(root: str, readonly: bool) -> None:
    os.chdir(root)
    syscalls.pivot_root(".", ".")
    syscalls.umount2(".", syscalls.MNT_DETACH)  # the host's tree, now stacked under ours
    os.chdir("/")
    if readonly:
        syscalls.mount(None, "/", None, syscalls.MS_REMOUNT | syscalls.MS_BIND | syscalls.MS_RDONLY)


def _console_stdio(consoles: int) -> None:
    os.setsid()
    if consoles:
        fd = os.open("/dev/pts/0", os.O_RDWR)
        fcntl.ioctl(fd, termios.TIOCSCTTY, 0)
    else:
        fd = os.open("/dev/null", os.O_RDWR)
    for target in (0, 1, 2):
        os.dup2(fd, target)
    if fd > 2:
        os.close(fd)


def _drop_bounding(dropped: frozenset[int]) -> None:
    for number in sorted(dropped):
        try:
            syscalls.prctl(syscalls.PR_CAPBSET_DROP, number)
        except OSError as exc:
            if exc.errno != 22:  # a capability this kernel lacks
                raise


def _lookup(path: str, name: str, what: str) -> tuple[int, int]:
    """(id, primary gid) of ``name`` in the container's passwd or group file; numbers stand for themselves.

    Read directly: NSS modules must not be loaded from the container's root into this process."""
    if name.isdigit():
        return int(name), -1
    try:
        lines = Path(path).read_text(errors="replace").splitlines()
    except OSError as exc:
        raise SetupError(f"cannot read {path} to find {what} '{name}': {exc.strerror}") from exc
    for line in lines:
        fields = line.split(":")
        if len(fields) >= 4 and fields[0] == name and fields[2].isdigit():
            return int(fields[2]), int(fields[3]) if fields[3].isdigit() else -1
    raise SetupError(f"{what} '{name}' is not in the container's {path}")


def _identity(spec: ContainerSpec) -> None:
    """``<inituser>``/``<initgroup>`` (looked up in the container's files), root otherwise."""
    if spec.init_user is None and spec.init_group is None:
        return
    uid, user_gid = _lookup("/etc/passwd", spec.init_user, "user") if spec.init_user else (0, 0)
    gid = _lookup("/etc/group", spec.init_group, "group")[0] if spec.init_group else max(user_gid, 0)
    _step(f"cannot switch to group {gid}", _set_ids, uid, gid)


def _set_ids(uid: int, gid: int) -> None:
    os.setgroups([gid])
    os.setresgid(gid, gid, gid)
    os.setresuid(uid, uid, uid)


def _environment(spec: ContainerSpec) -> dict[str, str]:
    """The environment libvirt gives a container's init, then ``<initenv>``."""
    env = {
        "PATH": "/bin:/sbin",
        "TERM": "linux",
        "container": "lxc-libvirt",
        "HOME": "/",
        "container_uuid": spec.uuid,
        "LIBVIRT_LXC_UUID": spec.uuid,
        "LIBVIRT_LXC_NAME": spec.name,
    }
    if spec.consoles > 1:
        env["container_ttys"] = " ".join(f"pts/{n}" for n in range(1, spec.consoles))
    if spec.cmdline:
        env["LIBVIRT_LXC_CMDLINE"] = spec.cmdline
    env.update(spec.init_env)
    return env

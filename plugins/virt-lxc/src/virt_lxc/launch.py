"""Starting a container: the driver forks its controller, which clones the container's init.

The controller is forked once and makes its own session, so it outlives the driver (which
reaps it when the container ends, or leaves that to init if it goes first). Still a copy of
the driver's interpreter, it clones the container's init into its new namespaces, writes its ID
maps, puts it in its cgroups, makes its veth pairs, lets it go and waits for its exec (or for
its error). It tells the driver over a pipe (one JSON line each: its pid, then ``ok`` or the
error), then executes ``python -m virt_lxc.controller`` keeping its socket and the consoles.

Forking the driver rather than executing a fresh interpreter first is what makes a start take
milliseconds; the child runs only code imported beforehand and touches no lock of the driver's.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import os
import select
import signal
import socket
import sys
import time
from pathlib import Path
from typing import Any

import attrs

from virt_lxc import container, netdev, syscalls
from virt_lxc.cgroups import ContainerCgroup
from virt_lxc.hosterror import HostError
from virt_lxc.spec import ContainerSpec

START_TIMEOUT = 30.0
_NS_FLAGS = {"net": syscalls.CLONE_NEWNET, "uts": syscalls.CLONE_NEWUTS, "ipc": syscalls.CLONE_NEWIPC}


@attrs.frozen
class Plan:
    """Everything a start needs besides the spec, decided by the driver beforehand."""

    spec: ContainerSpec
    cgroup: ContainerCgroup
    socket_path: Path
    log_file: Path
    exit_file: Path
    host_names: tuple[str, ...] = ()
    bridges: tuple[str | None, ...] = ()
    shared: tuple[tuple[str, str], ...] = ()
    """(namespace kind, path of a namespace file to join) for ``<lxc:namespace>``."""


@attrs.frozen
class Launched:
    controller_pid: int
    init_pid: int


class LaunchError(Exception):
    """The container did not start; ``controller_pid`` is set when there is a controller to stop."""

    def __init__(self, message: str, controller_pid: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.controller_pid = controller_pid


def clone_flags(spec: ContainerSpec) -> int:
    flags = syscalls.CLONE_NEWNS | syscalls.CLONE_NEWPID
    shared = {s.kind for s in spec.shared}
    if "uts" not in shared:
        flags |= syscalls.CLONE_NEWUTS
    if "ipc" not in shared:
        flags |= syscalls.CLONE_NEWIPC
    if spec.private_network:
        flags |= syscalls.CLONE_NEWNET
    if spec.user_namespace:
        flags |= syscalls.CLONE_NEWUSER
    return flags


def launch(plan: Plan, timeout: float = START_TIMEOUT) -> Launched:
    """Start the container; returns once its init runs. LaunchError says why it did not."""
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            os.close(read_end)
            os.setsid()
            _controller(plan, write_end)
        finally:
            os._exit(1)
    os.close(write_end)
    try:
        return _wait(read_end, timeout)
    except LaunchError as exc:
        exc.controller_pid = pid
        raise
    finally:
        os.close(read_end)


def _wait(read_end: int, timeout: float) -> Launched:
    deadline = time.monotonic() + timeout
    buffer = b""
    controller: int | None = None
    while True:
        while b"\n" in buffer:
            line, _, buffer = buffer.partition(b"\n")
            message: dict[str, Any] = json.loads(line)
            if "controller" in message:
                controller = int(message["controller"])
            elif message.get("ok"):
                assert controller is not None
                return Launched(controller, int(message["init"]))
            else:
                raise LaunchError(str(message.get("error", "the container did not start")), controller)
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise LaunchError(f"the container did not start within {timeout:g} s", controller)
        ready, _, _ = select.select([read_end], [], [], remaining)
        if not ready:
            continue
        chunk = os.read(read_end, 65536)
        if not chunk:
            raise LaunchError("the container's controller died while starting it (see its log)", controller)
        buffer += chunk


def _say(fd: int, message: dict[str, Any]) -> None:
    os.write(fd, json.dumps(message).encode() + b"\n")


def _controller(plan: Plan, report: int) -> None:
    """The controller before its exec: never returns."""
    _say(report, {"controller": os.getpid()})
    _stdio(plan.log_file)
    spec = plan.spec
    child = 0
    try:
        listener = _listen(plan.socket_path)
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        peers = [netdev.peer_name() for _ in spec.interfaces]
        saved = _join_shared(plan.shared)
        child, placed = _clone_in_cgroups(plan.cgroup, clone_flags(spec))
        if child == 0:
            ours.close()
            listener.close()
            container.run(spec, theirs, peers)  # never returns
        theirs.close()
        _restore(saved)
        if not placed:
            plan.cgroup.add(child)
        masters = _prepare_child(plan, child, ours, peers)
    except BaseException as exc:  # noqa: BLE001 - every failure goes to the driver, nothing half-made stays
        if child > 0:
            _kill(child)
        _say(report, {"error": _describe(exc)})
        os._exit(1)
    _say(report, {"ok": True, "init": child})
    os.close(report)
    _exec_controller(plan, child, listener, masters)


def _describe(exc: BaseException) -> str:
    if isinstance(exc, HostError):
        return exc.message
    if isinstance(exc, OSError):
        return exc.strerror or str(exc)
    return f"{type(exc).__name__}: {exc}"


def _stdio(log_file: Path) -> None:
    null = os.open("/dev/null", os.O_RDWR)
    log = os.open(log_file, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    os.dup2(null, 0)
    os.dup2(null, 1)
    os.dup2(log, 2)
    os.close(null)
    os.close(log)


def _listen(path: Path) -> socket.socket:
    with contextlib.suppress(FileNotFoundError):
        path.unlink()
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(str(path))
    path.chmod(0o600)
    listener.listen(16)
    return listener


def _join_shared(shared: tuple[tuple[str, str], ...]) -> list[tuple[int, int]]:
    """Enter the namespaces to share (the clone inherits them); our own, to come back to."""
    saved = []
    for kind, path in shared:
        own = os.open(f"/proc/self/ns/{kind}", os.O_RDONLY | os.O_CLOEXEC)
        saved.append((own, _NS_FLAGS[kind]))
        target = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
        try:
            syscalls.setns(target, _NS_FLAGS[kind])
        except OSError as exc:
            raise OSError(exc.errno, f"cannot join the {kind} namespace {path}: {exc.strerror}") from None
        finally:
            os.close(target)
    return saved


def _restore(saved: list[tuple[int, int]]) -> None:
    for fd, flag in saved:
        syscalls.setns(fd, flag)
        os.close(fd)


def _prepare_child(plan: Plan, child: int, ours: socket.socket, peers: list[str]) -> list[int]:
    """ID maps, cgroups and veths for the cloned child, each followed by its word (see ``container``);
    its console masters once it runs."""
    spec = plan.spec
    if spec.user_namespace:
        for kind, entries in (("uid", spec.uid_map), ("gid", spec.gid_map)):
            text = "".join(f"{m.start} {m.target} {m.count}\n" for m in entries)
            try:
                Path(f"/proc/{child}/{kind}_map").write_text(text)
            except OSError as exc:
                raise OSError(exc.errno, f"cannot write the container's {kind} map: {exc.strerror}") from None
    ours.sendall(container.MAPS)
    if spec.interfaces:
        batch = netdev.host_batch(spec.interfaces, list(plan.host_names), peers, list(plan.bridges), child)
        netdev.run_batch(batch, "cannot create the container's veth pairs")
    try:
        ours.sendall(container.GO)
    except OSError:
        raise HostError(_failure(_rest(ours))) from None  # it failed meanwhile: its words say why
    masters: list[int] = []
    if spec.consoles:
        data, masters, _, _ = socket.recv_fds(ours, 1, spec.consoles)
        if data != container.PTYS:
            raise HostError(_failure(data + _rest(ours)))
    rest = _rest(ours)
    if rest:
        for fd in masters:
            os.close(fd)
        raise HostError(_failure(rest))
    return masters


def _clone_in_cgroups(cgroup: ContainerCgroup, flags: int) -> tuple[int, bool]:
    """Clone the container's init born in its cgroups; (pid or 0 in the child, whether it is placed).

    Moving a process into a cgroup by pid waits for an RCU grace period (about 10 ms); a child is
    born where its parent is instead: in v1 this process steps into the container's cgroups for the
    clone and back out, in v2 clone3 puts the child straight into it (CLONE_INTO_CGROUP). Without
    clone3 (before Linux 5.7) the child is moved into the v2 cgroup by pid afterwards."""
    v2 = cgroup.v2_dir()
    v2_fd = os.open(v2.path, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC) if v2 is not None else None
    home = cgroup.enter_self()
    try:
        try:
            child = syscalls.clone(flags, v2_fd)
            placed = True
        except OSError as exc:
            if v2_fd is None or exc.errno not in (errno.ENOSYS, errno.E2BIG, errno.EINVAL, errno.EOPNOTSUPP):
                raise
            child, placed = syscalls.clone(flags), False
    finally:
        if v2_fd is not None:
            os.close(v2_fd)
    if child == 0:
        return 0, placed
    cgroup.leave_self(home)
    return child, placed


def _rest(sock: socket.socket) -> bytes:
    """Everything until the child's exec closes its end (nothing, when it ran init)."""
    chunks: list[bytes] = []
    while True:
        try:
            chunk = sock.recv(65536)
        except ConnectionResetError:
            chunk = b""  # it left a word of ours unread: what it said before is all there is
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)


def _failure(data: bytes) -> str:
    if data.startswith(container.FAILED):
        return data[1:].decode(errors="replace")
    return "the container's init process died while it was being set up"


def _kill(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
    except OSError:
        pass


def _exec_controller(plan: Plan, init: int, listener: socket.socket, masters: list[int]) -> None:
    """Become ``python -m virt_lxc.controller`` with the socket on fd 3 and the consoles from fd 4."""
    wanted = [listener.fileno(), *masters]
    # out of the way first, so that moving one to its place never closes another
    high = [fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 3 + len(wanted)) for fd in wanted]
    for n, fd in enumerate(high):
        os.dup2(fd, 3 + n, inheritable=True)
    os.closerange(3 + len(wanted), 65536)
    argv = [
        sys.executable, "-I", "-m", "virt_lxc.controller",
        "--name", plan.spec.name, "--uuid", plan.spec.uuid, "--init", str(init),
        "--socket", str(plan.socket_path), "--socket-fd", "3",
        "--console-fds", ",".join(str(4 + n) for n in range(len(masters))),
        "--cgroups", plan.cgroup.to_text().replace("\n", ";"), "--exit-file", str(plan.exit_file),
    ]  # fmt: skip
    try:
        os.execv(sys.executable, argv)
    finally:
        os._exit(127)

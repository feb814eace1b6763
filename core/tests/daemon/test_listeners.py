"""Listening sockets: unix socket modes and group, stale files, TCP, socket activation, the folder
lock; and who a unix peer is (SO_PEERCRED) and how a certificate subject is written."""

from __future__ import annotations

import grp
import os
import pwd
import socket
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from virt.daemon.auth import distinguished_name, unix_identity
from virt.daemon.config import parse_daemon_config
from virt.daemon.listeners import (
    SocketDirLock,
    close_endpoints,
    network_endpoints,
    open_endpoints,
    unix_endpoint,
)
from virt.errors import VirtError


def test_unix_sockets_get_their_modes_and_group(tmp_path: Path) -> None:
    group = grp.getgrgid(os.getgid()).gr_name
    config = parse_daemon_config(
        {"unix_sock_rw_perms": "0770", "unix_sock_ro_perms": "0777", "unix_sock_group": group},
        session=True,
        socket_dir=tmp_path,
    )
    endpoints = open_endpoints(config, [])
    try:
        modes = {e.readonly: stat.S_IMODE(e.path.stat().st_mode) for e in endpoints if e.path}
        assert modes == {False: 0o770, True: 0o777}
        assert all(stat.S_ISSOCK(e.path.stat().st_mode) for e in endpoints if e.path)
        assert {e.path.stat().st_gid for e in endpoints if e.path} == {os.getgid()}
        assert [(e.transport, e.readonly) for e in endpoints] == [("unix", False), ("unix", True)]
    finally:
        close_endpoints(endpoints)
    assert not config.rw_socket.exists() and not config.ro_socket.exists()


def test_default_modes_rw_private_ro_open(tmp_path: Path) -> None:
    endpoints = open_endpoints(parse_daemon_config({}, session=True, socket_dir=tmp_path), [])
    try:
        assert stat.S_IMODE((tmp_path / "virtd-sock").stat().st_mode) == 0o700
        assert stat.S_IMODE((tmp_path / "virtd-sock-ro").stat().st_mode) == 0o777
    finally:
        close_endpoints(endpoints)


def test_a_stale_socket_is_replaced_but_not_a_regular_file(tmp_path: Path) -> None:
    stale = socket.socket(socket.AF_UNIX)
    stale.bind(str(tmp_path / "sock"))
    stale.close()
    endpoint = unix_endpoint(tmp_path / "sock", 0o700, None, readonly=False)
    close_endpoints([endpoint])
    (tmp_path / "file").write_text("keep me")
    with pytest.raises(VirtError, match=r"cannot listen on .*file"):
        unix_endpoint(tmp_path / "file", 0o700, None, readonly=False)
    assert (tmp_path / "file").read_text() == "keep me"


def test_unknown_socket_group_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(VirtError, match="unix_sock_group: no group named 'no-such-group-here'"):
        unix_endpoint(tmp_path / "sock", 0o700, "no-such-group-here", readonly=False)


def test_tcp_endpoint_and_port_in_use() -> None:
    endpoints = network_endpoints("127.0.0.1", 0, "tcp")
    try:
        assert [(e.transport, e.readonly) for e in endpoints] == [("tcp", False)]
        port = endpoints[0].sock.getsockname()[1]
        with pytest.raises(VirtError, match=f"cannot listen on 127.0.0.1 port {port} \\(tls\\)"):
            network_endpoints("127.0.0.1", port, "tls")
        assert endpoints[0].describe() == f"tcp 127.0.0.1:{port}"
    finally:
        close_endpoints(endpoints)


def test_second_owner_of_a_socket_folder_is_refused_with_the_first_ones_pid(tmp_path: Path) -> None:
    holder = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(f"""
            import sys, pathlib
            from virt.daemon.listeners import SocketDirLock
            SocketDirLock(pathlib.Path({str(tmp_path)!r})).acquire()
            print("locked", flush=True)
            sys.stdin.read()
        """)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "locked\n"
        assert (tmp_path / "virtd.pid").read_text() == f"{holder.pid}\n"
        with pytest.raises(VirtError, match=f"another virtd \\(pid {holder.pid}\\) is already serving {tmp_path}"):
            SocketDirLock(tmp_path).acquire()
    finally:
        holder.communicate("")
    lock = SocketDirLock(tmp_path)
    lock.acquire()  # free again once the holder is gone
    assert (tmp_path / "virtd.pid").read_text() == f"{os.getpid()}\n"
    lock.release()
    assert not (tmp_path / "virtd.pid").exists()


ACTIVATION_SCRIPT = """
import os, socket, sys
from virt.daemon.listeners import activated_endpoints, forget_activation
socks = [socket.socket(socket.AF_UNIX), socket.socket(socket.AF_UNIX), socket.socket(), socket.socket(), socket.socket()]
socks[0].bind(sys.argv[1] + "/a"); socks[1].bind(sys.argv[1] + "/b")
for index, sock in enumerate(socks):
    if sock.family == socket.AF_INET:
        sock.bind(("127.0.0.1", 0))
    sock.listen()
    os.dup2(sock.fileno(), 3 + index)
os.environ.update(LISTEN_PID=str(os.getpid()), LISTEN_FDS="5",
                  LISTEN_FDNAMES="virtd.socket:virtd-ro.socket:virtd-tcp.socket:virtd-tls.socket")
print(sorted((e.transport, e.readonly, e.sock.fileno()) for e in activated_endpoints()))
os.environ["LISTEN_PID"] = "1"
print(activated_endpoints())
forget_activation()
print(sorted(k for k in os.environ if k.startswith("LISTEN_")))
"""


def test_socket_activation_names_the_sockets(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-c", ACTIVATION_SCRIPT, str(tmp_path)], capture_output=True, text=True, check=True
    )
    lines = result.stdout.splitlines()
    # the fifth socket has no name: a TCP socket without one is plain TCP
    assert lines[0] == str(
        sorted([("unix", False, 3), ("unix", True, 4), ("tcp", False, 5), ("tls", False, 6), ("tcp", False, 7)])
    )
    assert lines[1:] == ["[]", "[]"]  # another process's sockets are not ours; variables dropped


def test_unix_peer_credentials() -> None:
    left, right = socket.socketpair(socket.AF_UNIX)
    try:
        identity = unix_identity(left)
    finally:
        left.close()
        right.close()
    assert (identity.transport, identity.pid, identity.uid, identity.gid) == (
        "unix",
        os.getpid(),
        os.getuid(),
        os.getgid(),
    )
    assert identity.user == pwd.getpwuid(os.getuid()).pw_name
    assert grp.getgrgid(os.getgid()).gr_name in identity.groups


def test_distinguished_name_as_gnutls_writes_it() -> None:
    subject = ((("countryName", "GB"),), (("organizationName", "Acme, Inc."),), (("commonName", "client 1"),))
    assert distinguished_name(subject) == "C=GB,O=Acme\\, Inc.,CN=client 1"
    assert distinguished_name(((("commonName", " x"), ("emailAddress", "a@b")),)) == "CN=\\ x+EMAIL=a@b"

"""Debian's virsh against a tiny server made of virt's message codecs: every call virsh sends must
decode exactly (no byte left over), and virsh must print what the replies encode."""

from __future__ import annotations

import shutil
import socket
import subprocess
import threading
import time
import uuid
from typing import Any

import pytest
from virt.errors import VirtError
from virt.remote import protocol
from virt.remote.messages import REMOTE_PROCEDURES, RemoteProcedure
from virt.testing import missing_dependency

_TEST_UUID = uuid.UUID("6695eb01-f6a4-8304-79aa-97f2502e193f")
_NET_UUID = uuid.UUID("dd8fe884-6c02-601e-7551-cca97df1c5df")
_POOL_UUID = uuid.UUID("35bb2ad9-388a-cdfe-461a-b8907f6e53fe")
_DOMAINS = {
    "test": {"name": "test", "uuid": _TEST_UUID, "id": 1},
    "other": {"name": "other", "uuid": uuid.UUID(int=2), "id": -1},
}
_NETWORK = {"name": "default", "uuid": _NET_UUID}
_POOL = {"name": "default-pool", "uuid": _POOL_UUID}
_VOLUME = {"pool": "default-pool", "name": "disk1.img", "key": "/pool/disk1.img"}
_LIFECYCLE_EVENT_ID = 0
_CALLBACK_ID = 7


def _virsh_replies(sent_events: list[bytes]) -> dict[str, Any]:
    """What the fake daemon answers, by procedure name: a function of the decoded arguments."""

    def register_event(args: dict[str, Any]) -> dict[str, Any]:
        if args["eventID"] == _LIFECYCLE_EVENT_ID:
            msg = {"dom": _DOMAINS["test"], "event": 5, "detail": 1}  # STOPPED / DESTROYED
            sent_events.append(
                REMOTE_PROCEDURES[RemoteProcedure.DOMAIN_EVENT_CALLBACK_LIFECYCLE].args.encode(
                    {"callbackID": _CALLBACK_ID, "msg": msg}
                )
            )
        return {"callbackID": _CALLBACK_ID}

    return {
        "AUTH_LIST": lambda args: {"types": [0]},
        "CONNECT_SUPPORTS_FEATURE": lambda args: {"supported": int(args["feature"] in (10, 14, 15))},
        "CONNECT_OPEN": lambda args: None,
        "CONNECT_CLOSE": lambda args: None,
        "CONNECT_REGISTER_CLOSE_CALLBACK": lambda args: None,
        "CONNECT_UNREGISTER_CLOSE_CALLBACK": lambda args: None,
        "CONNECT_LIST_ALL_DOMAINS": lambda args: {"domains": list(_DOMAINS.values()), "ret": len(_DOMAINS)},
        "DOMAIN_GET_STATE": lambda args: {"state": 1 if args["dom"]["id"] > 0 else 5, "reason": 0},
        "DOMAIN_LOOKUP_BY_NAME": lambda args: {"dom": _DOMAINS[args["name"]]},
        "DOMAIN_GET_OS_TYPE": lambda args: {"type": "hvm"},
        "DOMAIN_GET_INFO": lambda args: {
            "state": 1,
            "maxMem": 1048576,
            "memory": 524288,
            "nrVirtCpu": 2,
            "cpuTime": 12_300_000_000,
        },
        "DOMAIN_IS_PERSISTENT": lambda args: {"persistent": 1},
        "DOMAIN_GET_AUTOSTART": lambda args: {"autostart": 1},
        "DOMAIN_HAS_MANAGED_SAVE_IMAGE": lambda args: {"result": 0},
        "NODE_GET_SECURITY_MODEL": lambda args: {"model": "selinux", "doi": "0"},
        "DOMAIN_GET_SECURITY_LABEL": lambda args: {"label": "system_u:system_r:svirt_t:s0:c1,c2", "enforcing": 1},
        "DOMAIN_GET_MESSAGES": lambda args: {"msgs": ["tainted: custom monitor"]},
        "NODE_GET_INFO": lambda args: {
            "model": "x86_64",
            "memory": 8388608,
            "cpus": 4,
            "mhz": 2400,
            "nodes": 1,
            "sockets": 1,
            "cores": 2,
            "threads": 2,
        },
        "CONNECT_LIST_ALL_NETWORKS": lambda args: {"nets": [_NETWORK], "ret": 1},
        "NETWORK_IS_ACTIVE": lambda args: {"active": 1},
        "NETWORK_IS_PERSISTENT": lambda args: {"persistent": 1},
        "NETWORK_GET_AUTOSTART": lambda args: {"autostart": 1},
        "CONNECT_LIST_ALL_STORAGE_POOLS": lambda args: {"pools": [_POOL], "ret": 1},
        "STORAGE_POOL_IS_ACTIVE": lambda args: {"active": 1},
        "STORAGE_POOL_IS_PERSISTENT": lambda args: {"persistent": 1},
        "STORAGE_POOL_GET_AUTOSTART": lambda args: {"autostart": 0},
        "STORAGE_POOL_GET_INFO": lambda args: {
            "state": 2,
            "capacity": 100 * 2**30,
            "allocation": 20 * 2**30,
            "available": 80 * 2**30,
        },
        "STORAGE_POOL_LOOKUP_BY_NAME": lambda args: {"pool": _POOL},
        "STORAGE_POOL_LIST_ALL_VOLUMES": lambda args: {"vols": [_VOLUME], "ret": 1},
        "STORAGE_VOL_GET_PATH": lambda args: {"name": "/pool/disk1.img"},
        "CONNECT_DOMAIN_EVENT_CALLBACK_REGISTER_ANY": register_event,
        # A deregistered callback gets no more events.
        "CONNECT_DOMAIN_EVENT_CALLBACK_DEREGISTER_ANY": lambda args: sent_events.clear(),
    }


class _FakeDaemon:
    """A blocking one-connection-at-a-time server speaking the REMOTE program with our codecs."""

    def __init__(self, path: str) -> None:
        self.calls: list[tuple[str, Any]] = []
        self.unknown: list[int] = []
        self.failures: list[str] = []
        self._events: list[bytes] = []
        self._replies = _virsh_replies(self._events)
        self._listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self._listener.bind(path)
        self._listener.listen(1)
        self._listener.settimeout(0.2)
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        self._thread.join(10)
        self._listener.close()

    def _serve(self) -> None:
        while not self._stopping.is_set():
            try:
                conn, _ = self._listener.accept()
            except TimeoutError:
                continue
            with conn:
                conn.settimeout(30)
                try:
                    self._converse(conn)
                except EOFError:
                    pass
                except (VirtError, OSError, LookupError) as exc:  # undecodable call, socket trouble, no answer
                    self.failures.append(f"{type(exc).__name__}: {exc}")

    @staticmethod
    def _read(conn: Any, size: int) -> bytes:
        data = b""
        while len(data) < size:
            chunk = conn.recv(size - len(data))
            if not chunk:
                raise EOFError
            data += chunk
        return data

    def _converse(self, conn: Any) -> None:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            # The client files its callback under the id our reply hands out only after reading the
            # reply, so an event sent at once may find no callback: repeat it while the client waits.
            conn.settimeout(0.3 if self._events else 30)
            try:
                prefix = self._read(conn, 4)
            except TimeoutError:
                self._send_events(conn)
                continue
            packet = prefix + self._read(conn, protocol.packet_length(prefix) - 4)
            header = protocol.parse_header(packet)
            payload = packet[protocol.LENGTH_SIZE + protocol.HEADER_SIZE :]
            if header.program == protocol.Program.KEEPALIVE:
                conn.sendall(protocol.frame(header._replace(procedure=protocol.KeepaliveProcedure.PONG)))
                continue
            entry = REMOTE_PROCEDURES.get(header.procedure)
            answer = self._replies.get(entry.name) if entry is not None else None
            if entry is None or answer is None:
                self.unknown.append(header.procedure)
                error = protocol.encode_error(protocol.unknown_procedure(header.program, header.procedure))
                conn.sendall(protocol.frame(header._replace(type=protocol.MessageType.REPLY, status=1), error))
                continue
            args = entry.args.decode(payload)
            self.calls.append((entry.name, args))
            reply = entry.ret.encode(answer(args))
            conn.sendall(protocol.frame(header._replace(type=protocol.MessageType.REPLY, status=0), reply))
            self._send_events(conn)

    def _send_events(self, conn: Any) -> None:
        header = protocol.Header(
            protocol.Program.REMOTE,
            protocol.PROGRAM_VERSION,
            RemoteProcedure.DOMAIN_EVENT_CALLBACK_LIFECYCLE,
            protocol.MessageType.MESSAGE,
            1,
            protocol.Status.OK,
        )
        for payload in self._events:
            conn.sendall(protocol.frame(header, payload))


@pytest.fixture
def fake_daemon(tmp_path: Any) -> Any:

    if shutil.which("virsh") is None:
        missing_dependency("virsh (libvirt-clients) is not installed")
    daemon = _FakeDaemon(str(tmp_path / "sock"))
    yield daemon, str(tmp_path / "sock")
    daemon.stop()


def _virsh(socket_path: str, *command: str, readonly: bool = False) -> str:

    argv = ["virsh", *(["-r"] if readonly else []), "-c", f"test+unix:///default?socket={socket_path}", *command]
    result = subprocess.run(argv, capture_output=True, text=True, timeout=60, env={"LC_ALL": "C", "PATH": "/usr/bin"})
    assert result.returncode == 0, result.stderr
    return result.stdout


def _lines(text: str) -> list[list[str]]:
    return [line.split() for line in text.splitlines() if line.strip()]


def test_virsh_list_all_through_our_codecs(fake_daemon: Any) -> None:
    daemon, path = fake_daemon
    output = _virsh(path, "list", "--all")
    assert not daemon.failures
    assert _lines(output) == [
        ["Id", "Name", "State"],
        ["-" * 24],
        ["1", "test", "running"],
        ["-", "other", "shut", "off"],
    ]
    names = [name for name, _ in daemon.calls]
    assert names[:3] == ["AUTH_LIST", "CONNECT_SUPPORTS_FEATURE", "CONNECT_OPEN"]
    assert ("CONNECT_OPEN", {"name": "test:///default", "flags": 0}) in daemon.calls
    assert "CONNECT_LIST_ALL_DOMAINS" in names and names.count("DOMAIN_GET_STATE") == 2
    assert names[-1] == "CONNECT_CLOSE"


def test_virsh_dominfo_and_nodeinfo_through_our_codecs(fake_daemon: Any) -> None:
    daemon, path = fake_daemon
    dominfo = dict(line.split(":", 1) for line in _virsh(path, "dominfo", "test").splitlines() if ":" in line)
    fields = {key.strip(): value.strip() for key, value in dominfo.items()}
    assert fields["UUID"] == str(_TEST_UUID)
    assert fields["OS Type"] == "hvm"
    assert fields["CPU(s)"] == "2"
    assert fields["CPU time"] == "12.3s"
    assert fields["Max memory"] == "1048576 KiB"
    assert fields["Autostart"] == "enable"
    assert fields["Security model"] == "selinux"
    assert fields["Security DOI"] == "0"
    assert fields["Security label"] == "system_u:system_r:svirt_t:s0:c1,c2 (enforcing)"
    assert fields["Messages"] == "tainted: custom monitor"
    nodeinfo = _virsh(path, "nodeinfo")
    assert ["CPU", "model:", "x86_64"] in _lines(nodeinfo)
    assert ["Core(s)", "per", "socket:", "2"] in _lines(nodeinfo)
    assert ["Memory", "size:", "8388608", "KiB"] in _lines(nodeinfo)
    assert not daemon.failures and not daemon.unknown


def test_virsh_networks_pools_and_volumes_through_our_codecs(fake_daemon: Any) -> None:
    daemon, path = fake_daemon
    assert ["default", "active", "yes", "yes"] in _lines(_virsh(path, "net-list", "--all"))
    assert ["default-pool", "active", "no"] in _lines(_virsh(path, "pool-list", "--all"))
    assert ["disk1.img", "/pool/disk1.img"] in _lines(_virsh(path, "vol-list", "default-pool"))
    assert not daemon.failures


def test_virsh_event_and_readonly_open_through_our_codecs(fake_daemon: Any) -> None:
    daemon, path = fake_daemon
    output = _virsh(path, "event", "--event", "lifecycle", "--timeout", "20", readonly=True)
    assert "event 'lifecycle' for domain 'test': Stopped Destroyed" in output
    assert ("CONNECT_OPEN", {"name": "test:///default", "flags": 1}) in daemon.calls
    assert ("CONNECT_DOMAIN_EVENT_CALLBACK_REGISTER_ANY", {"eventID": 0, "dom": None}) in daemon.calls
    assert not daemon.failures

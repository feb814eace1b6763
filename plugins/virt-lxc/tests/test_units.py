"""The small pieces: capability policies, ip batches, the initctl request, the status file, the protocol."""

from __future__ import annotations

import socket
import struct
import threading
import time
from pathlib import Path

import pytest
from virt.states import DomainState
from virt_lxc import capabilities, initctl, netdev, protocol
from virt_lxc.spec import Capabilities, IPAddress, NetInterface, Route

CAP = capabilities.NUMBERS


def test_capability_policies() -> None:
    default = capabilities.to_drop(Capabilities(), 40)
    assert default == {CAP[n] for n in ("sys_module", "sys_time", "mknod", "audit_control", "mac_admin")}
    assert CAP["sys_boot"] not in default  # a container's init may reboot(2): it only ends the container
    tuned = capabilities.to_drop(Capabilities("default", ((CAP["mknod"], True), (CAP["net_raw"], False))), 40)
    assert CAP["mknod"] not in tuned and CAP["net_raw"] in tuned
    assert capabilities.to_drop(Capabilities("allow", ((CAP["chown"], False),)), 40) == {CAP["chown"]}
    deny = capabilities.to_drop(Capabilities("deny", ((CAP["kill"], True),)), 40)
    assert deny == set(range(41)) - {CAP["kill"]}
    assert max(capabilities.to_drop(Capabilities("deny"), 37)) == 37  # only what the kernel knows


def test_ip_batches() -> None:
    interface = NetInterface(
        kind="bridge", mac="52:54:00:00:00:01", guest_name="eth0", bridge="br0", mtu=1400,
        addresses=(IPAddress("ipv4", "10.0.0.2", 24), IPAddress("ipv6", "fd00::2", 64)),
        routes=(Route("ipv4", "0.0.0.0", 0, "10.0.0.1"), Route("ipv6", "fd01::", 64, None, 5)),
    )  # fmt: skip
    host = netdev.host_batch((interface,), ["veth3"], ["vlxcpeer"], ["br0"], 4242)
    assert host.splitlines() == [
        "link add veth3 mtu 1400 type veth peer name vlxcpeer address 52:54:00:00:00:01 netns 4242",
        "link set veth3 master br0",
        "link set veth3 up",
    ]
    guest = netdev.guest_batch((interface,), ["vlxcpeer"])
    assert guest.splitlines() == [
        "link set vlxcpeer name eth0",
        "link set eth0 up",
        "addr add 10.0.0.2/24 dev eth0",
        "-6 addr add fd00::2/64 dev eth0 nodad",
        "route add 0.0.0.0/0 via 10.0.0.1 dev eth0",
        "-6 route add fd01::/64 dev eth0 metric 5",
    ]
    down = NetInterface(kind="ethernet", mac="52:54:00:00:00:02", guest_name="eth1")
    assert "up" not in netdev.guest_batch((down,), ["p"])  # no address, no <link state='up'>: left down


def test_host_names_skip_taken_ones(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    (tmp_path / "veth0").mkdir()
    monkeypatch.setattr(netdev, "SYS_NET", tmp_path)
    auto = NetInterface(kind="ethernet", mac="m", guest_name="eth0")
    named = NetInterface(kind="ethernet", mac="m", guest_name="eth1", host_name="mine0")
    assert netdev.host_names((auto, named, auto), {"veth1"}) == ["veth2", "mine0", "veth3"]
    (tmp_path / "mine0").mkdir()
    with pytest.raises(Exception, match="network device 'mine0' already exists on the host"):
        netdev.host_names((named,), set())


def test_initctl_request_is_sysvinit_s() -> None:
    request = initctl.request("6")
    assert len(request) == 384
    assert struct.unpack("iiii", request[:16]) == (0x03091969, 1, ord("6"), 0)


def test_status_file_round_trip(tmp_path: Path) -> None:
    from virt.xml import Domain
    from virt_lxc.paths import DriverPaths
    from virt_lxc.status import DomainStatus, StatusStore

    paths = DriverPaths(tmp_path / "s", tmp_path / "r", tmp_path / "l")
    paths.create()
    status = DomainStatus()
    status.state, status.reason, status.pid, status.init = DomainState.PAUSED, 1, 10, 11
    status.socket, status.cgroups, status.veths = "/run/x.sock", "1 memory /sys/fs/cgroup/memory/p/c", ["veth0"]
    status.domain = Domain.from_xml(
        "<domain type='lxc'><name>c</name><uuid>8369f1ac-7e46-e869-4ca5-759d51478066</uuid><memory>1</memory>"
        "<os><type>exe</type><init>/i</init></os></domain>"
    )
    StatusStore(paths).save(status)
    [(path, loaded)] = StatusStore(paths).load_all()
    assert path.name == "c.xml"
    assert loaded == status
    (paths.status_dir / "broken.xml").write_text("<domstatus")
    assert [type(found).__name__ for _, found in StatusStore(paths).load_all()] == ["XMLError", "DomainStatus"]


def test_protocol_request_reply_and_the_bytes_after(tmp_path: Path) -> None:
    path = tmp_path / "c.sock"
    server = socket.socket(socket.AF_UNIX)
    server.bind(str(path))
    server.listen()

    def answer() -> None:
        client, _ = server.accept()
        assert client.recv(100) == b'{"op":"console","dev":0}\n'
        client.sendall(b'{"ok":true}\nlogin: ')
        time.sleep(0.2)
        client.close()

    thread = threading.Thread(target=answer)
    thread.start()
    sock, reply, rest = protocol.request(path, {"op": "console", "dev": 0}, exact=True)
    assert reply == {"ok": True} and rest == b""
    assert sock.recv(100) == b"login: "  # nothing of the console was eaten by the reply's reading
    sock.close()
    thread.join()
    server.close()
    with pytest.raises(protocol.ProtocolError, match="cannot reach the container's controller"):
        protocol.request(tmp_path / "none.sock", {"op": "info"})

"""The dispatcher's network and storage procedures on test:///default, with a stand-in client.

Expected answers and errors are those Debian's libvirtd 9.0 gives on the wire for the same calls.
"""

from __future__ import annotations

from typing import Any

from dispatch_helpers import FakeClient, Remote
from virt.errors import ErrorDomain, ErrorNumber
from virt.remote.procedure_numbers import RemoteProcedure as P

NETWORK_XML = """<network>
  <name>net2</name>
  <bridge name='virbr9'/>
</network>"""
VOLUME_XML = "<volume><name>v1.img</name><capacity>1000</capacity></volume>"


def _error(front: Remote, client: FakeClient, procedure: P, args: Any) -> tuple[int, int, str]:
    error = front.error(client, procedure, args)
    return error["code"], error["domain"], error["message"]


def test_networks(front: Remote, client: FakeClient) -> None:
    def names(flags: int) -> list[str]:
        reply = front.call(client, P.CONNECT_LIST_ALL_NETWORKS, {"need_results": 1, "flags": flags})
        assert reply["ret"] == len(reply["nets"])
        return sorted(n["name"] for n in reply["nets"])

    assert names(0) == ["default"]
    net = front.call(client, P.NETWORK_DEFINE_XML, {"xml": NETWORK_XML})["net"]
    assert names(0) == ["default", "net2"]
    assert names(1) == ["net2"]  # inactive: the network flags' own order
    assert names(2) == ["default"]  # active
    assert front.call(client, P.CONNECT_LIST_DEFINED_NETWORKS, {"maxnames": 10}) == {"names": ["net2"]}
    assert front.call(client, P.CONNECT_NUM_OF_NETWORKS) == {"num": 1}
    assert front.call(client, P.NETWORK_IS_ACTIVE, {"net": net}) == {"active": 0}
    front.call(client, P.NETWORK_CREATE, {"net": net})
    assert front.call(client, P.NETWORK_IS_ACTIVE, {"net": net}) == {"active": 1}
    assert front.call(client, P.NETWORK_IS_PERSISTENT, {"net": net}) == {"persistent": 1}
    assert front.call(client, P.NETWORK_GET_BRIDGE_NAME, {"net": net}) == {"name": "virbr9"}
    front.call(client, P.NETWORK_SET_AUTOSTART, {"net": net, "autostart": 1})
    assert front.call(client, P.NETWORK_GET_AUTOSTART, {"net": net}) == {"autostart": 1}
    assert "<name>net2</name>" in front.call(client, P.NETWORK_GET_XML_DESC, {"net": net, "flags": 0})["xml"]
    for flags in (1, 2):  # libvirt's test driver takes no flags, not even INACTIVE
        assert _error(front, client, P.NETWORK_GET_XML_DESC, {"net": net, "flags": flags}) == (
            ErrorNumber.INVALID_ARG,
            ErrorDomain.TEST,
            f"unsupported flags (0x{flags:x}) in function testNetworkGetXMLDesc",
        )
    front.call(client, P.NETWORK_DESTROY, {"net": net})
    front.call(client, P.NETWORK_UNDEFINE, {"net": net})
    assert _error(front, client, P.NETWORK_LOOKUP_BY_NAME, {"name": "net2"})[0] == ErrorNumber.NO_NETWORK
    by_uuid = front.call(client, P.NETWORK_LOOKUP_BY_NAME, {"name": "default"})["net"]
    assert front.call(client, P.NETWORK_LOOKUP_BY_UUID, {"uuid": by_uuid["uuid"]}) == {"net": by_uuid}


def test_storage_pools_and_volumes(front: Remote, client: FakeClient) -> None:
    pool = front.call(client, P.STORAGE_POOL_LOOKUP_BY_NAME, {"name": "default-pool"})["pool"]
    listed = front.call(client, P.CONNECT_LIST_ALL_STORAGE_POOLS, {"need_results": 1, "flags": 0})
    assert listed == {"pools": [pool], "ret": 1}
    assert front.call(client, P.CONNECT_LIST_ALL_STORAGE_POOLS, {"need_results": 1, "flags": 64})["ret"] == 1  # dir
    assert front.call(client, P.CONNECT_LIST_ALL_STORAGE_POOLS, {"need_results": 1, "flags": 128})["ret"] == 0  # fs
    assert _error(front, client, P.CONNECT_LIST_ALL_STORAGE_POOLS, {"need_results": 1, "flags": 1 << 20}) == (
        ErrorNumber.INVALID_ARG,
        ErrorDomain.TEST,
        "unsupported flags (0x100000) in function testConnectListAllStoragePools",
    )
    info = front.call(client, P.STORAGE_POOL_GET_INFO, {"pool": pool})
    assert info["state"] == 2 and info["capacity"] == 100 * 1024**3
    assert front.call(client, P.STORAGE_POOL_IS_ACTIVE, {"pool": pool}) == {"active": 1}
    assert front.call(client, P.STORAGE_POOL_GET_AUTOSTART, {"pool": pool}) == {"autostart": 0}

    vol = front.call(client, P.STORAGE_VOL_CREATE_XML, {"pool": pool, "xml": VOLUME_XML, "flags": 0})["vol"]
    assert vol == {"pool": "default-pool", "name": "v1.img", "key": "/default-pool/v1.img"}
    assert front.call(client, P.STORAGE_POOL_LIST_ALL_VOLUMES, {"pool": pool, "need_results": 1, "flags": 0}) == {
        "vols": [vol],
        "ret": 1,
    }
    assert front.call(client, P.STORAGE_POOL_LIST_VOLUMES, {"pool": pool, "maxnames": 5}) == {"names": ["v1.img"]}
    assert front.call(client, P.STORAGE_POOL_NUM_OF_VOLUMES, {"pool": pool}) == {"num": 1}
    assert front.call(client, P.STORAGE_VOL_GET_INFO, {"vol": vol}) == {"type": 0, "capacity": 1000, "allocation": 1000}
    assert front.call(client, P.STORAGE_VOL_GET_PATH, {"vol": vol}) == {"name": "/default-pool/v1.img"}
    assert front.call(client, P.STORAGE_VOL_LOOKUP_BY_PATH, {"path": "/default-pool/v1.img"}) == {"vol": vol}
    assert front.call(client, P.STORAGE_VOL_LOOKUP_BY_KEY, {"key": vol["key"]}) == {"vol": vol}
    assert front.call(client, P.STORAGE_POOL_LOOKUP_BY_VOLUME, {"vol": vol}) == {"pool": pool}
    assert "<name>v1.img</name>" in front.call(client, P.STORAGE_VOL_GET_XML_DESC, {"vol": vol, "flags": 0})["xml"]
    assert _error(front, client, P.STORAGE_VOL_DELETE, {"vol": vol, "flags": 1}) == (
        ErrorNumber.INVALID_ARG,
        ErrorDomain.TEST,
        "unsupported flags (0x1) in function testStorageVolDelete",
    )
    front.call(client, P.STORAGE_VOL_DELETE, {"vol": vol, "flags": 0})
    assert front.call(client, P.STORAGE_POOL_NUM_OF_VOLUMES, {"pool": pool}) == {"num": 0}


def test_read_only_refusals_carry_the_apis_error_domain(front: Remote) -> None:
    reader = front.open(FakeClient(readonly=True))
    net = front.call(reader, P.NETWORK_LOOKUP_BY_NAME, {"name": "default"})["net"]
    assert _error(front, reader, P.NETWORK_DESTROY, {"net": net}) == (
        ErrorNumber.OPERATION_DENIED,
        ErrorDomain.NETWORK,
        "operation forbidden: read only access prevents virNetworkDestroy",
    )
    pool = front.call(reader, P.STORAGE_POOL_LOOKUP_BY_NAME, {"name": "default-pool"})["pool"]
    assert _error(front, reader, P.STORAGE_POOL_DESTROY, {"pool": pool}) == (
        ErrorNumber.OPERATION_DENIED,
        ErrorDomain.STORAGE,
        "operation forbidden: read only access prevents virStoragePoolDestroy",
    )
    assert front.call(reader, P.STORAGE_POOL_IS_ACTIVE, {"pool": pool}) == {"active": 1}

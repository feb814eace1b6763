"""Storage pool and volume procedures: listing, lookup, definition, start and stop, facts."""

from __future__ import annotations

from typing import Any

from virt.connection import StoragePool, StorageVolume
from virt.driver import STORAGE_READ
from virt.remote.message_types import STORAGE_POOL_LIST_MAX, STORAGE_VOL_LIST_MAX
from virt.remote.procedure_numbers import RemoteProcedure as P
from virt.xml.schema import refuse_invalid

from . import wire
from .listing import either, limit
from .registry import Call, handles

# virConnectListAllStoragePoolsFlags: state filters, then one bit per pool type
_LIST_INACTIVE, _LIST_ACTIVE = 1, 2
_LIST_PERSISTENT, _LIST_TRANSIENT = 4, 8
_LIST_AUTOSTART, _LIST_NO_AUTOSTART = 16, 32
_POOL_TYPES = (
    "dir", "fs", "netfs", "logical", "disk", "iscsi", "scsi", "mpath", "rbd", "sheepdog", "gluster", "zfs",
    "vstorage", "iscsi-direct",
)  # fmt: skip
_TYPE_FLAGS = {name: 64 << index for index, name in enumerate(_POOL_TYPES)}
_LIST_ALL_FLAGS = 63 | sum(_TYPE_FLAGS.values())
_XML_INACTIVE = 1  # VIR_STORAGE_XML_INACTIVE
_POOL_DEFINE_VALIDATE = 1  # VIR_STORAGE_POOL_DEFINE_VALIDATE
_VOL_CREATE_PREALLOC_METADATA = 1  # VIR_STORAGE_VOL_CREATE_PREALLOC_METADATA
_VOL_CREATE_REFLINK = 2  # VIR_STORAGE_VOL_CREATE_REFLINK: a copy sharing blocks; a plain copy is the same data
_VOL_CREATE_VALIDATE = 4  # VIR_STORAGE_VOL_CREATE_VALIDATE
_BUILD_NO_OVERWRITE, _BUILD_OVERWRITE = 4, 8  # virStoragePoolBuildFlags
# virStoragePoolCreateFlags: build first, with or without overwriting
_CREATE_WITH_BUILD, _CREATE_BUILD_OVERWRITE, _CREATE_BUILD_NO_OVERWRITE = 1, 2, 4
_CREATE_FLAGS = _CREATE_WITH_BUILD | _CREATE_BUILD_OVERWRITE | _CREATE_BUILD_NO_OVERWRITE
_RESIZE_ALLOCATE, _RESIZE_DELTA, _RESIZE_SHRINK = 1, 2, 4  # virStorageVolResizeFlags
_POOL_RUNNING, _POOL_INACTIVE = 2, 0  # virStoragePoolState
# virStorageVolType by the names the API gives volume types
_VOLUME_TYPES = {"file": 0, "block": 1, "dir": 2, "network": 3, "netdir": 4, "ploop": 5}


def _pool(call: Call) -> StoragePool:
    return wire.storage_pool(call.conn, call.args["pool"])


def _volume(call: Call) -> StorageVolume:
    return wire.storage_volume(call.conn, call.args["vol"])


def _pool_ret(pool: StoragePool) -> dict[str, Any]:
    return {"pool": wire.wire_storage_pool(pool)}


def _vol_ret(volume: StorageVolume) -> dict[str, Any]:
    return {"vol": wire.wire_storage_volume(volume)}


# -- pools: listing and lookup -------------------------------------------------------------------------
@handles(P.CONNECT_LIST_ALL_STORAGE_POOLS, family=STORAGE_READ)
def list_all_storage_pools(call: Call) -> dict[str, Any]:
    flags = call.check_flags(_LIST_ALL_FLAGS, "ConnectListAllStoragePools")
    pools = call.conn.list_storage_pools(
        active=either(flags, _LIST_ACTIVE, _LIST_INACTIVE),
        persistent=either(flags, _LIST_PERSISTENT, _LIST_TRANSIENT),
        autostart=either(flags, _LIST_AUTOSTART, _LIST_NO_AUTOSTART),
    )
    types = {name for name, bit in _TYPE_FLAGS.items() if flags & bit}
    if types:
        pools = [pool for pool in pools if pool.model().type in types]
    found = [wire.wire_storage_pool(p) for p in pools] if call.args["need_results"] else []
    return {"pools": found, "ret": len(pools)}


@handles(P.CONNECT_NUM_OF_STORAGE_POOLS, family=STORAGE_READ)
def num_of_storage_pools(call: Call) -> dict[str, Any]:
    return {"num": len(call.conn.list_storage_pools(active=True))}


@handles(P.CONNECT_LIST_STORAGE_POOLS, family=STORAGE_READ)
def list_storage_pools(call: Call) -> dict[str, Any]:
    most = limit(call, "maxnames", STORAGE_POOL_LIST_MAX, "REMOTE_STORAGE_POOL_LIST_MAX")
    return {"names": [p.name for p in call.conn.list_storage_pools(active=True)][:most]}


@handles(P.CONNECT_NUM_OF_DEFINED_STORAGE_POOLS, family=STORAGE_READ)
def num_of_defined_storage_pools(call: Call) -> dict[str, Any]:
    return {"num": len(call.conn.list_storage_pools(active=False))}


@handles(P.CONNECT_LIST_DEFINED_STORAGE_POOLS, family=STORAGE_READ)
def list_defined_storage_pools(call: Call) -> dict[str, Any]:
    most = limit(call, "maxnames", STORAGE_POOL_LIST_MAX, "REMOTE_STORAGE_POOL_LIST_MAX")
    return {"names": [p.name for p in call.conn.list_storage_pools(active=False)][:most]}


@handles(P.STORAGE_POOL_LOOKUP_BY_NAME, family=STORAGE_READ)
def pool_lookup_by_name(call: Call) -> dict[str, Any]:
    return _pool_ret(call.conn.lookup_storage_pool_by_name(call.args["name"]))


@handles(P.STORAGE_POOL_LOOKUP_BY_UUID, family=STORAGE_READ)
def pool_lookup_by_uuid(call: Call) -> dict[str, Any]:
    return _pool_ret(call.conn.lookup_storage_pool_by_uuid(call.args["uuid"]))


@handles(P.STORAGE_POOL_LOOKUP_BY_VOLUME, family=STORAGE_READ)
def pool_lookup_by_volume(call: Call) -> dict[str, Any]:
    return _pool_ret(call.conn.lookup_storage_pool_by_name(_volume(call).pool_name))


# -- pools: definition and state -----------------------------------------------------------------------
@handles(P.STORAGE_POOL_DEFINE_XML)
def pool_define_xml(call: Call) -> dict[str, Any]:
    flags = call.check_flags(_POOL_DEFINE_VALIDATE, "StoragePoolDefineXML")
    if flags & _POOL_DEFINE_VALIDATE:
        refuse_invalid(call.args["xml"])
    return _pool_ret(call.conn.define_storage_pool(call.args["xml"]))


def _build_options(flags: int) -> dict[str, bool]:
    return {
        "build": bool(flags & _CREATE_WITH_BUILD),
        "overwrite": bool(flags & _CREATE_BUILD_OVERWRITE),
        "no_overwrite": bool(flags & _CREATE_BUILD_NO_OVERWRITE),
    }


@handles(P.STORAGE_POOL_CREATE_XML)
def pool_create_xml(call: Call) -> dict[str, Any]:
    flags = call.check_flags(_CREATE_FLAGS, "StoragePoolCreateXML")
    return _pool_ret(call.conn.create_storage_pool(call.args["xml"], **_build_options(flags)))


@handles(P.STORAGE_POOL_CREATE)
def pool_create(call: Call) -> None:
    flags = call.check_flags(_CREATE_FLAGS, "StoragePoolCreate")
    _pool(call).start(**_build_options(flags))


@handles(P.STORAGE_POOL_DESTROY)
def pool_destroy(call: Call) -> None:
    _pool(call).destroy()


@handles(P.STORAGE_POOL_UNDEFINE)
def pool_undefine(call: Call) -> None:
    _pool(call).undefine()


@handles(P.STORAGE_POOL_BUILD)
def pool_build(call: Call) -> None:
    flags = call.check_flags(_BUILD_NO_OVERWRITE | _BUILD_OVERWRITE, "StoragePoolBuild")
    _pool(call).build(overwrite=bool(flags & _BUILD_OVERWRITE), no_overwrite=bool(flags & _BUILD_NO_OVERWRITE))


@handles(P.STORAGE_POOL_DELETE)
def pool_delete(call: Call) -> None:
    call.check_flags(0, "StoragePoolDelete")
    _pool(call).delete()


@handles(P.STORAGE_POOL_REFRESH)
def pool_refresh(call: Call) -> None:
    call.check_flags(0, "StoragePoolRefresh")
    _pool(call).refresh()


@handles(P.STORAGE_POOL_GET_INFO, family=STORAGE_READ)
def pool_get_info(call: Call) -> dict[str, Any]:
    info = _pool(call).info()
    return {
        "state": _POOL_RUNNING if info.active else _POOL_INACTIVE,
        "capacity": info.capacity,
        "allocation": info.allocation,
        "available": info.available,
    }


@handles(P.STORAGE_POOL_GET_XML_DESC, family=STORAGE_READ)
def pool_get_xml_desc(call: Call) -> dict[str, Any]:
    flags = call.check_flags(_XML_INACTIVE, "StoragePoolGetXMLDesc")
    return {"xml": _pool(call).xml(inactive=bool(flags & _XML_INACTIVE))}


@handles(P.STORAGE_POOL_GET_AUTOSTART, family=STORAGE_READ)
def pool_get_autostart(call: Call) -> dict[str, Any]:
    return {"autostart": int(_pool(call).autostart)}


@handles(P.STORAGE_POOL_SET_AUTOSTART)
def pool_set_autostart(call: Call) -> None:
    _pool(call).set_autostart(bool(call.args["autostart"]))


@handles(P.STORAGE_POOL_IS_ACTIVE, family=STORAGE_READ)
def pool_is_active(call: Call) -> dict[str, Any]:
    return {"active": int(_pool(call).is_active())}


@handles(P.STORAGE_POOL_IS_PERSISTENT, family=STORAGE_READ)
def pool_is_persistent(call: Call) -> dict[str, Any]:
    return {"persistent": int(_pool(call).is_persistent())}


# -- volumes ---------------------------------------------------------------------------------------------
@handles(P.STORAGE_POOL_NUM_OF_VOLUMES, family=STORAGE_READ)
def pool_num_of_volumes(call: Call) -> dict[str, Any]:
    return {"num": len(_pool(call).list_volumes())}


@handles(P.STORAGE_POOL_LIST_VOLUMES, family=STORAGE_READ)
def pool_list_volumes(call: Call) -> dict[str, Any]:
    most = limit(call, "maxnames", STORAGE_VOL_LIST_MAX, "REMOTE_STORAGE_VOL_LIST_MAX")
    return {"names": [v.name for v in _pool(call).list_volumes()][:most]}


@handles(P.STORAGE_POOL_LIST_ALL_VOLUMES, family=STORAGE_READ)
def pool_list_all_volumes(call: Call) -> dict[str, Any]:
    call.check_flags(0, "StoragePoolListAllVolumes")
    volumes = _pool(call).list_volumes()
    found = [wire.wire_storage_volume(v) for v in volumes] if call.args["need_results"] else []
    return {"vols": found, "ret": len(volumes)}


@handles(P.STORAGE_VOL_LOOKUP_BY_NAME, family=STORAGE_READ)
def vol_lookup_by_name(call: Call) -> dict[str, Any]:
    return _vol_ret(_pool(call).lookup_volume(call.args["name"]))


@handles(P.STORAGE_VOL_LOOKUP_BY_KEY, family=STORAGE_READ)
def vol_lookup_by_key(call: Call) -> dict[str, Any]:
    return _vol_ret(call.conn.lookup_storage_volume_by_key(call.args["key"]))


@handles(P.STORAGE_VOL_LOOKUP_BY_PATH, family=STORAGE_READ)
def vol_lookup_by_path(call: Call) -> dict[str, Any]:
    return _vol_ret(call.conn.lookup_storage_volume_by_path(call.args["path"]))


@handles(P.STORAGE_VOL_CREATE_XML)
def vol_create_xml(call: Call) -> dict[str, Any]:
    flags = call.check_flags(_VOL_CREATE_VALIDATE | _VOL_CREATE_PREALLOC_METADATA, "StorageVolCreateXML")
    if flags & _VOL_CREATE_VALIDATE:
        refuse_invalid(call.args["xml"])
    prealloc = bool(flags & _VOL_CREATE_PREALLOC_METADATA)
    return _vol_ret(_pool(call).create_volume(call.args["xml"], prealloc_metadata=prealloc))


@handles(P.STORAGE_VOL_CREATE_XML_FROM)
def vol_create_xml_from(call: Call) -> dict[str, Any]:
    allowed = _VOL_CREATE_VALIDATE | _VOL_CREATE_PREALLOC_METADATA | _VOL_CREATE_REFLINK
    flags = call.check_flags(allowed, "StorageVolCreateXMLFrom")
    if flags & _VOL_CREATE_VALIDATE:
        refuse_invalid(call.args["xml"])
    source = wire.storage_volume(call.conn, call.args["clonevol"])
    prealloc = bool(flags & _VOL_CREATE_PREALLOC_METADATA)
    return _vol_ret(_pool(call).create_volume_from(call.args["xml"], source, prealloc_metadata=prealloc))


@handles(P.STORAGE_VOL_WIPE)
def vol_wipe(call: Call) -> None:
    call.check_flags(0, "StorageVolWipe")
    _volume(call).wipe()


@handles(P.STORAGE_VOL_WIPE_PATTERN)
def vol_wipe_pattern(call: Call) -> None:
    call.check_flags(0, "StorageVolWipePattern")
    _volume(call).wipe(int(call.args["algorithm"]))


@handles(P.STORAGE_VOL_RESIZE)
def vol_resize(call: Call) -> None:
    flags = call.check_flags(_RESIZE_ALLOCATE | _RESIZE_DELTA | _RESIZE_SHRINK, "StorageVolResize")
    _volume(call).resize(
        int(call.args["capacity"]),
        delta=bool(flags & _RESIZE_DELTA),
        shrink=bool(flags & _RESIZE_SHRINK),
        allocate=bool(flags & _RESIZE_ALLOCATE),
    )


@handles(P.STORAGE_VOL_DELETE)
def vol_delete(call: Call) -> None:
    call.check_flags(0, "StorageVolDelete")
    _volume(call).delete()


@handles(P.STORAGE_VOL_GET_INFO, family=STORAGE_READ)
def vol_get_info(call: Call) -> dict[str, Any]:
    info = _volume(call).info()
    return {"type": _VOLUME_TYPES[info.type], "capacity": info.capacity, "allocation": info.allocation}


@handles(P.STORAGE_VOL_GET_INFO_FLAGS, family=STORAGE_READ)
def vol_get_info_flags(call: Call) -> dict[str, Any]:
    call.check_flags(1, "StorageVolGetInfoFlags")  # VIR_STORAGE_VOL_GET_PHYSICAL
    volume = _volume(call)
    info = volume.info()
    allocation = info.allocation
    if call.args["flags"] & 1:
        allocation = volume.model().physical or info.allocation
    return {"type": _VOLUME_TYPES[info.type], "capacity": info.capacity, "allocation": allocation}


@handles(P.STORAGE_VOL_GET_XML_DESC, family=STORAGE_READ)
def vol_get_xml_desc(call: Call) -> dict[str, Any]:
    call.check_flags(0, "StorageVolGetXMLDesc")
    return {"xml": _volume(call).xml()}


@handles(P.STORAGE_VOL_GET_PATH, family=STORAGE_READ)
def vol_get_path(call: Call) -> dict[str, Any]:
    return {"name": _volume(call).path()}

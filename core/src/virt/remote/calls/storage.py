"""Storage pool and volume procedures."""

from __future__ import annotations

from virt.remote import xdr
from virt.remote.message_types import (
    NONNULL_STORAGE_POOL,
    NONNULL_STORAGE_VOL,
    NONNULL_STRING,
    REMOTE_STRING,
    STORAGE_POOL_LIST_MAX,
    STORAGE_VOL_LIST_MAX,
    Procedure,
    call,
)
from virt.remote.procedure_numbers import RemoteProcedure as P

_POOL = ("pool", NONNULL_STORAGE_POOL)
_VOL = ("vol", NONNULL_STORAGE_VOL)
_FLAGS = ("flags", xdr.UInt)
_POOL_NAMES = [("names", xdr.Array(NONNULL_STRING, STORAGE_POOL_LIST_MAX))]
# remote_storage_vol_get_info(_flags)_ret: the volume type is a (whole-word) char.
_VOL_INFO = [("type", xdr.Char), ("capacity", xdr.UHyper), ("allocation", xdr.UHyper)]

PROCEDURES: tuple[Procedure, ...] = (
    # Pools.
    call(
        P.CONNECT_LIST_ALL_STORAGE_POOLS,
        [("need_results", xdr.Int), _FLAGS],
        [("pools", xdr.Array(NONNULL_STORAGE_POOL, STORAGE_POOL_LIST_MAX)), ("ret", xdr.UInt)],
    ),
    call(P.CONNECT_NUM_OF_STORAGE_POOLS, None, [("num", xdr.Int)]),
    call(P.CONNECT_LIST_STORAGE_POOLS, [("maxnames", xdr.Int)], _POOL_NAMES),
    call(P.CONNECT_NUM_OF_DEFINED_STORAGE_POOLS, None, [("num", xdr.Int)]),
    call(P.CONNECT_LIST_DEFINED_STORAGE_POOLS, [("maxnames", xdr.Int)], _POOL_NAMES),
    call(
        P.CONNECT_FIND_STORAGE_POOL_SOURCES,
        [("type", NONNULL_STRING), ("srcSpec", REMOTE_STRING), _FLAGS],
        [("xml", NONNULL_STRING)],
        write="virConnectFindStoragePoolSources",
    ),
    call(P.STORAGE_POOL_LOOKUP_BY_NAME, [("name", NONNULL_STRING)], [_POOL]),
    call(P.STORAGE_POOL_LOOKUP_BY_UUID, [("uuid", xdr.UUID)], [_POOL]),
    call(P.STORAGE_POOL_LOOKUP_BY_VOLUME, [_VOL], [_POOL]),
    call(P.STORAGE_POOL_CREATE_XML, [("xml", NONNULL_STRING), _FLAGS], [_POOL], write="virStoragePoolCreateXML"),
    call(P.STORAGE_POOL_DEFINE_XML, [("xml", NONNULL_STRING), _FLAGS], [_POOL], write="virStoragePoolDefineXML"),
    call(P.STORAGE_POOL_CREATE, [_POOL, _FLAGS], write="virStoragePoolCreate"),
    call(P.STORAGE_POOL_BUILD, [_POOL, _FLAGS], write="virStoragePoolBuild"),
    call(P.STORAGE_POOL_DESTROY, [_POOL], write="virStoragePoolDestroy"),
    call(P.STORAGE_POOL_DELETE, [_POOL, _FLAGS], write="virStoragePoolDelete"),
    call(P.STORAGE_POOL_UNDEFINE, [_POOL], write="virStoragePoolUndefine"),
    call(P.STORAGE_POOL_REFRESH, [_POOL, _FLAGS], write="virStoragePoolRefresh"),
    call(
        P.STORAGE_POOL_GET_INFO,
        [_POOL],
        [("state", xdr.UChar), ("capacity", xdr.UHyper), ("allocation", xdr.UHyper), ("available", xdr.UHyper)],
    ),
    call(P.STORAGE_POOL_GET_XML_DESC, [_POOL, _FLAGS], [("xml", NONNULL_STRING)]),
    call(P.STORAGE_POOL_GET_AUTOSTART, [_POOL], [("autostart", xdr.Int)]),
    call(P.STORAGE_POOL_SET_AUTOSTART, [_POOL, ("autostart", xdr.Int)], write="virStoragePoolSetAutostart"),
    call(P.STORAGE_POOL_IS_ACTIVE, [_POOL], [("active", xdr.Int)]),
    call(P.STORAGE_POOL_IS_PERSISTENT, [_POOL], [("persistent", xdr.Int)]),
    call(P.STORAGE_POOL_NUM_OF_VOLUMES, [_POOL], [("num", xdr.Int)]),
    call(
        P.STORAGE_POOL_LIST_VOLUMES,
        [_POOL, ("maxnames", xdr.Int)],
        [("names", xdr.Array(NONNULL_STRING, STORAGE_VOL_LIST_MAX))],
    ),
    call(
        P.STORAGE_POOL_LIST_ALL_VOLUMES,
        [_POOL, ("need_results", xdr.Int), _FLAGS],
        [("vols", xdr.Array(NONNULL_STORAGE_VOL, STORAGE_VOL_LIST_MAX)), ("ret", xdr.UInt)],
    ),
    # Volumes.
    call(P.STORAGE_VOL_LOOKUP_BY_NAME, [_POOL, ("name", NONNULL_STRING)], [_VOL]),
    call(P.STORAGE_VOL_LOOKUP_BY_KEY, [("key", NONNULL_STRING)], [_VOL]),
    call(P.STORAGE_VOL_LOOKUP_BY_PATH, [("path", NONNULL_STRING)], [_VOL]),
    call(
        P.STORAGE_VOL_CREATE_XML,
        [_POOL, ("xml", NONNULL_STRING), _FLAGS],
        [_VOL],
        write="virStorageVolCreateXML",
    ),
    call(
        P.STORAGE_VOL_CREATE_XML_FROM,
        [_POOL, ("xml", NONNULL_STRING), ("clonevol", NONNULL_STORAGE_VOL), _FLAGS],
        [_VOL],
        write="virStorageVolCreateXMLFrom",
    ),
    call(P.STORAGE_VOL_DELETE, [_VOL, _FLAGS], write="virStorageVolDelete"),
    call(P.STORAGE_VOL_WIPE, [_VOL, _FLAGS], write="virStorageVolWipe"),
    call(P.STORAGE_VOL_WIPE_PATTERN, [_VOL, ("algorithm", xdr.UInt), _FLAGS], write="virStorageVolWipePattern"),
    call(P.STORAGE_VOL_RESIZE, [_VOL, ("capacity", xdr.UHyper), _FLAGS], write="virStorageVolResize"),
    call(P.STORAGE_VOL_GET_INFO, [_VOL], _VOL_INFO),
    call(P.STORAGE_VOL_GET_INFO_FLAGS, [_VOL, _FLAGS], _VOL_INFO),
    call(P.STORAGE_VOL_GET_XML_DESC, [_VOL, _FLAGS], [("xml", NONNULL_STRING)]),
    call(P.STORAGE_VOL_GET_PATH, [_VOL], [("name", NONNULL_STRING)]),
)

"""Run by /usr/bin/python3 (python3-libvirt) against a daemon: argv[1] the URI, argv[2] the read-only
URI, argv[3] a folder for the pool. Prints what it sees, one fact a line, for comparison."""

import os
import sys

import libvirt

uri, readonly_uri, folder = sys.argv[1:4]
conn = libvirt.open(uri)
pool = conn.storagePoolDefineXML(f"<pool type='dir'><name>py1</name><target><path>{folder}/py1</path></target></pool>")
pool.build(0)
pool.create(0)
print("pools", [p.name() for p in conn.listAllStoragePools(libvirt.VIR_CONNECT_LIST_STORAGE_POOLS_ACTIVE)])
print("info", pool.info()[0], pool.isActive(), pool.isPersistent(), pool.autostart())
vol = pool.createXML(
    "<volume><name>v.qcow2</name><capacity unit='M'>64</capacity><target><format type='qcow2'/></target></volume>",
    libvirt.VIR_STORAGE_VOL_CREATE_PREALLOC_METADATA,
)
raw = pool.createXML("<volume><name>r.img</name><capacity unit='M'>2</capacity><allocation>0</allocation></volume>", 0)
print("volumes", sorted(v.name() for v in pool.listAllVolumes()), pool.numOfVolumes())
print("vol info", vol.info()[0], vol.info()[1], raw.info())
print(
    "lookups",
    conn.storageVolLookupByPath(raw.path()).name(),
    conn.storageVolLookupByKey(raw.key()).name(),
    raw.storagePoolLookupByVolume().name(),
)
data = os.urandom(1024 * 1024 + 7)
stream = conn.newStream(0)
raw.upload(stream, 4096, 0, 0)
stream.sendAll(
    lambda st, chunk, opaque: opaque.pop(0) if opaque else b"",
    [data[i : i + 65536] for i in range(0, len(data), 65536)],
)
stream.finish()
stream = conn.newStream(0)
raw.download(stream, 4096, len(data), 0)
got = []
stream.recvAll(lambda st, chunk, opaque: opaque.append(chunk), got)
stream.finish()
print("round trip", b"".join(got) == data)
clone = pool.createXMLFrom(
    "<volume><name>c.qcow2</name><capacity unit='M'>2</capacity><target><format type='qcow2'/></target></volume>",
    raw,
    0,
)
print("clone", clone.info())
raw.resize(4 * 1024 * 1024, 0)
print("resized", raw.info())
try:
    raw.resize(1024, 0)
except libvirt.libvirtError as exc:
    print("shrink refused", exc.get_error_code(), exc.get_error_message())
raw.wipe(0)
readonly = libvirt.openReadOnly(readonly_uri)
print(
    "read-only sees",
    [p.name() for p in readonly.listAllStoragePools(0)],
    sorted(v.name() for v in readonly.storagePoolLookupByName("py1").listAllVolumes()),
)
for what, action in (
    (
        "define",
        lambda: readonly.storagePoolDefineXML("<pool type='dir'><name>x</name><target><path>/x</path></target></pool>"),
    ),
    ("destroy", lambda: readonly.storagePoolLookupByName("py1").destroy()),
    ("vol delete", lambda: readonly.storageVolLookupByPath(raw.path()).delete(0)),
):
    try:
        action()
        print(what, "allowed")
    except libvirt.libvirtError as exc:
        print(what, "refused", exc.get_error_code())
for v in pool.listAllVolumes():
    v.delete(0)
pool.destroy()
pool.delete(0)
pool.undefine()
print("after", [p.name() for p in conn.listAllStoragePools(0)])

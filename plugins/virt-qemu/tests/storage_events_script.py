"""Run by /usr/bin/python3 (python3-libvirt) against a daemon: argv[1] the URI, argv[2] a folder for
the pools. Defines a dir pool, registers storage pool events (lifecycle and refresh; all pools, and
that pool only), goes through the pool's life (an upload included) and a transient pool's, and prints
the events seen."""

import json
import sys
import threading
import time

import libvirt

libvirt.virEventRegisterDefaultImpl()
uri, folder = sys.argv[1:3]
conn = libvirt.open(uri)
seen = []


def life(c, pool, event, detail, tag):
    seen.append([tag, pool.name(), event, detail])


def refresh(c, pool, tag):
    seen.append([tag, pool.name(), "refresh"])


def loop():
    while True:
        libvirt.virEventRunDefaultImpl()


threading.Thread(target=loop, daemon=True).start()
pool = conn.storagePoolDefineXML(f"<pool type='dir'><name>ev1</name><target><path>{folder}/ev1</path></target></pool>")
# registered once the definition's event is long gone: a daemon may still be sending it a moment later
time.sleep(0.5)
conn.storagePoolEventRegisterAny(None, libvirt.VIR_STORAGE_POOL_EVENT_ID_LIFECYCLE, life, "all")
conn.storagePoolEventRegisterAny(None, libvirt.VIR_STORAGE_POOL_EVENT_ID_REFRESH, refresh, "all")
conn.storagePoolEventRegisterAny(pool, libvirt.VIR_STORAGE_POOL_EVENT_ID_LIFECYCLE, life, "ev1")
pool.build(0)
pool.create(0)
pool.refresh(0)
vol = pool.createXML("<volume><name>r.img</name><capacity unit='M'>1</capacity></volume>", 0)
stream = conn.newStream(0)
vol.upload(stream, 0, 4096, 0)
stream.send(b"x" * 4096)
stream.finish()
vol.delete(0)
pool.destroy()
pool.delete(0)
pool.undefine()
other = conn.storagePoolCreateXML(f"<pool type='dir'><name>ev2</name><target><path>{folder}</path></target></pool>", 0)
other.destroy()
deadline = time.time() + 10
while len(seen) < 14 and time.time() < deadline:
    time.sleep(0.05)
time.sleep(0.3)  # nothing more comes
print(json.dumps(seen))

"""Run by /usr/bin/python3 (python3-libvirt) against a daemon: argv[1] the URI, argv[2] the read-only
URI. Works the whole virSecret* API and its events and prints what it sees, one fact a line, for
comparison (libvirt's errors as code, domain and message)."""

import sys
import threading
import time

import libvirt

uri, readonly_uri = sys.argv[1:3]
PUPPY = "0a81f5b2-8403-7b23-c8d6-21ccc2f80d6f"
CEPH = "5ee1c3a1-4a1f-4a40-9d3f-2a9d3e0b8f01"
VALUE = b"Rex the puppy 4711"


def attempt(label, action):
    try:
        print(label, repr(action()))
    except libvirt.libvirtError as exc:
        print(label, "error", exc.get_error_code(), exc.get_error_domain(), exc.get_error_message())


libvirt.registerErrorHandler(lambda ctx, err: None, None)
libvirt.virEventRegisterDefaultImpl()
threading.Thread(target=lambda: [libvirt.virEventRunDefaultImpl() for _ in iter(int, 1)], daemon=True).start()

conn = libvirt.open(uri)
events = []
lifecycle = conn.secretEventRegisterAny(
    None,
    libvirt.VIR_SECRET_EVENT_ID_LIFECYCLE,
    lambda c, s, event, detail, opaque: events.append(("lifecycle", s.UUIDString(), event, detail)),
    None,
)
changed = conn.secretEventRegisterAny(
    None,
    libvirt.VIR_SECRET_EVENT_ID_VALUE_CHANGED,
    lambda c, s, opaque: events.append(("value-changed", s.UUIDString())),
    None,
)
print("empty", conn.numOfSecrets(), conn.listSecrets(), conn.listAllSecrets(0))
puppy = conn.secretDefineXML(
    f"<secret ephemeral='no' private='yes'><description>first puppy</description><uuid>{PUPPY}</uuid>"
    "<usage type='volume'><volume>/var/lib/libvirt/images/puppy.img</volume></usage></secret>"
)
ceph = conn.secretDefineXML(
    f"<secret ephemeral='yes' private='no'><uuid>{CEPH}</uuid><usage type='ceph'><name>client.admin</name></usage>"
    "</secret>",
    libvirt.VIR_SECRET_DEFINE_VALIDATE,
)
plain = conn.secretDefineXML("<secret ephemeral='no' private='no'><usage type='tls'><name>tls0</name></usage></secret>")
print("handles", puppy.UUIDString(), puppy.usageType(), puppy.usageID(), ceph.usageType(), ceph.usageID())
print("count", conn.numOfSecrets(), len(conn.listSecrets()))
for flags in (0, 1, 2, 4, 8, 5, 10, 15):
    print("list", flags, sorted(s.usageID() for s in conn.listAllSecrets(flags)))
print("by uuid", conn.secretLookupByUUIDString(PUPPY).usageID())
print("by usage", conn.secretLookupByUsage(libvirt.VIR_SECRET_USAGE_TYPE_CEPH, "client.admin").UUIDString())
print(puppy.XMLDesc(0), end="")
print(ceph.XMLDesc(0), end="")
attempt("private value", lambda: puppy.value(0))
attempt("no value", lambda: plain.value(0))
plain.setValue(VALUE, 0)
ceph.setValue(b"\x00\x01binary\xff", 0)
puppy.setValue(VALUE, 0)
attempt("value", lambda: plain.value(0))
attempt("binary value", lambda: ceph.value(0))
attempt("private after set", lambda: puppy.value(0))
attempt("bad flags set", lambda: plain.setValue(b"x", 1))
attempt("bad flags get", lambda: plain.value(1))
attempt("bad flags xml", lambda: plain.XMLDesc(1))
attempt("bad flags list", lambda: conn.listAllSecrets(64))
attempt("bad flags define", lambda: conn.secretDefineXML("<secret/>", 2))
attempt("invalid", lambda: conn.secretDefineXML("<secret><bogus/></secret>", libvirt.VIR_SECRET_DEFINE_VALIDATE))
attempt("usage taken", lambda: conn.secretDefineXML("<secret><usage type='tls'><name>tls0</name></usage></secret>"))
attempt(
    "usage changed",
    lambda: conn.secretDefineXML(f"<secret><uuid>{CEPH}</uuid><usage type='ceph'><name>other</name></usage></secret>"),
)
attempt(
    "unprivate",
    lambda: conn.secretDefineXML(
        f"<secret private='no'><uuid>{PUPPY}</uuid>"
        "<usage type='volume'><volume>/var/lib/libvirt/images/puppy.img</volume></usage></secret>"
    ),
)
attempt("bad usage type", lambda: conn.secretDefineXML("<secret><usage type='bogus'/></secret>"))
attempt("no name", lambda: conn.secretDefineXML("<secret><usage type='ceph'/></secret>"))
attempt("no usage match", lambda: conn.secretLookupByUsage(libvirt.VIR_SECRET_USAGE_TYPE_ISCSI, "client.admin"))
attempt("no uuid", lambda: conn.secretLookupByUUIDString("11111111-2222-3333-4444-555555555555"))
attempt("too long", lambda: plain.setValue(b"y" * 65537, 0))
# persistent to ephemeral and back keep the value
conn.secretDefineXML(f"<secret ephemeral='yes'><uuid>{plain.UUIDString()}</uuid>"
                     "<usage type='tls'><name>tls0</name></usage></secret>")  # fmt: skip
attempt("now ephemeral", lambda: (plain.value(0), sorted(s.usageID() for s in conn.listAllSecrets(1))))
conn.secretDefineXML(f"<secret><uuid>{plain.UUIDString()}</uuid><usage type='tls'><name>tls0</name></usage></secret>")
attempt("persistent again", lambda: plain.value(0))

ro = libvirt.openReadOnly(readonly_uri)
print("ro list", sorted(s.usageID() for s in ro.listAllSecrets(0)), ro.numOfSecrets())
print("ro xml", ro.secretLookupByUUIDString(CEPH).XMLDesc(0).splitlines()[0])
rceph = ro.secretLookupByUsage(libvirt.VIR_SECRET_USAGE_TYPE_CEPH, "client.admin")
attempt("ro value", lambda: rceph.value(0))
attempt("ro set", lambda: rceph.setValue(b"x", 0))
attempt("ro undefine", lambda: rceph.undefine())
attempt("ro define", lambda: ro.secretDefineXML("<secret/>"))
ro.close()

ceph.undefine()
attempt("gone", lambda: ceph.XMLDesc(0))
attempt("gone again", lambda: ceph.undefine())
deadline = time.monotonic() + 10
while len(events) < 12 and time.monotonic() < deadline:
    time.sleep(0.05)
for event in events:
    print("event", *event)
conn.secretEventDeregisterAny(lifecycle)
conn.secretEventDeregisterAny(changed)
for secret in conn.listAllSecrets(0):
    secret.undefine()
print("left", conn.numOfSecrets())
conn.close()

"""A python3-libvirt session against one daemon, printed as JSON (run by Debian's /usr/bin/python3).

    python3 libvirt_python_session.py URI READ_ONLY_URI DOMAIN_XML_FILE

Every answer and every error (code, domain, message) goes into the output, so that two daemons'
outputs can be compared whole. What must differ between daemons is masked here: the CPU time (the
test driver's wall clock) and the socket path in the URI.
"""

from __future__ import annotations

import json
import re
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

import libvirt


def outcome(function: Callable[[], Any]) -> list[Any]:
    try:
        return ["ok", function()]
    except libvirt.libvirtError as exc:
        return ["error", exc.get_error_code(), exc.get_error_domain(), exc.get_error_message()]


def main() -> None:
    uri, read_only_uri, xml_file = sys.argv[1:4]
    with open(xml_file) as f:
        domain_xml = f.read()
    libvirt.registerErrorHandler(lambda context, error: None, None)  # errors are reported in the output
    libvirt.virEventRegisterDefaultImpl()
    threading.Thread(target=lambda: [libvirt.virEventRunDefaultImpl() for _ in iter(int, 1)], daemon=True).start()

    out: dict[str, Any] = {}
    conn = libvirt.open(uri)
    events: list[list[Any]] = []
    callback = conn.domainEventRegisterAny(
        None,
        libvirt.VIR_DOMAIN_EVENT_ID_LIFECYCLE,
        lambda c, dom, event, detail, opaque: events.append([dom.name(), event, detail]),
        None,
    )
    out["host"] = {
        "type": conn.getType(),
        "version": conn.getVersion(),
        "lib_version": conn.getLibVersion(),
        "hostname": conn.getHostname(),
        "uri": re.sub(r"socket=\S+", "socket=SOCKET", conn.getURI()),
        "node_info": conn.getInfo(),
        "capabilities": conn.getCapabilities(),
        "security_model": conn.getSecurityModel(),
        "is_secure": conn.isSecure(),
        "alive": conn.isAlive(),
    }
    test = conn.lookupByName("test")
    info = test.info()
    info[4] = "N"
    out["test"] = {
        "info": info,
        "state": test.state(),
        "id": test.ID(),
        "uuid": test.UUIDString(),
        "os_type": test.OSType(),
        "xml": test.XMLDesc(0),
        "inactive_xml": test.XMLDesc(libvirt.VIR_DOMAIN_XML_INACTIVE),
        "active": test.isActive(),
        "persistent": test.isPersistent(),
        "updated": test.isUpdated(),
        "autostart": test.autostart(),
        "managed_save": test.hasManagedSaveImage(),
        "security_label": test.securityLabel(),
        "max_memory": test.maxMemory(),
        "max_vcpus": test.maxVcpus(),
        "vcpus": [test.vcpusFlags(0), test.vcpusFlags(libvirt.VIR_DOMAIN_VCPU_MAXIMUM)],
        "by_id": conn.lookupByID(test.ID()).name(),
        "by_uuid": conn.lookupByUUIDString(test.UUIDString()).name(),
    }
    out["listing"] = {
        "all": sorted(d.name() for d in conn.listAllDomains(0)),
        "active": sorted(d.name() for d in conn.listAllDomains(libvirt.VIR_CONNECT_LIST_DOMAINS_ACTIVE)),
        "ids": conn.listDomainsID(),
        "defined": conn.listDefinedDomains(),
        "counts": [conn.numOfDomains(), conn.numOfDefinedDomains()],
    }
    steps: list[list[Any]] = []
    dom = conn.defineXML(domain_xml)
    for name in ("create", "suspend", "resume", "shutdown", "create", "destroy"):
        steps.append([name, outcome(getattr(dom, name)), dom.state()])
    steps.append(["destroy again", outcome(dom.destroy)])
    steps.append(["undefine", outcome(dom.undefine)])
    out["lifecycle"] = steps
    out["errors"] = {
        "missing": outcome(lambda: conn.lookupByName("nope")),
        "start running": outcome(test.create),
        "bad xml": outcome(lambda: conn.defineXML("<domain>")),
        "unknown flags": outcome(lambda: test.XMLDesc(1 << 20)),
    }
    net = conn.networkLookupByName("default")
    out["networks"] = {
        "all": sorted(n.name() for n in conn.listAllNetworks(0)),
        "xml": net.XMLDesc(0),
        "active": net.isActive(),
        "persistent": net.isPersistent(),
        "bridge": net.bridgeName(),
        "autostart": net.autostart(),
        "names": [conn.listNetworks(), conn.listDefinedNetworks()],
    }
    pool = conn.storagePoolLookupByName("default-pool")
    volume = pool.createXML("<volume><name>p1.img</name><capacity>4096</capacity></volume>", 0)
    out["storage"] = {
        "pools": sorted(p.name() for p in conn.listAllStoragePools(0)),
        "info": pool.info(),
        "xml": pool.XMLDesc(0),
        "volumes": [v.name() for v in pool.listAllVolumes(0)],
        "volume": [volume.name(), volume.key(), volume.path(), volume.info(), volume.XMLDesc(0)],
        "by_path": conn.storageVolLookupByPath(volume.path()).name(),
        "delete": outcome(lambda: volume.delete(0)),
        "after": pool.listVolumes(),
    }
    reader = libvirt.openReadOnly(read_only_uri)
    ro_test = reader.lookupByName("test")
    out["read_only"] = {
        "state": ro_test.state(),
        "destroy": outcome(ro_test.destroy),
        "define": outcome(lambda: reader.defineXML(domain_xml)),
        "secure xml": outcome(lambda: ro_test.XMLDesc(libvirt.VIR_DOMAIN_XML_SECURE)),
        "net destroy": outcome(reader.networkLookupByName("default").destroy),
    }
    reader.close()
    deadline = time.monotonic() + 10
    while len(events) < 8 and time.monotonic() < deadline:
        time.sleep(0.02)
    out["events"] = list(events)
    conn.domainEventDeregisterAny(callback)
    conn.close()
    print(json.dumps(out, indent=1, sort_keys=True))


main()

"""python3-libvirt's side of the host interface comparisons (run by Debian's /usr/bin/python3).

Reads ``{"uri": URI, "steps": [[op, arg...], ...]}`` as JSON on stdin and prints one result per
step: ``["ok", value]`` or ``["error", code, domain, message]``. Handles are kept by name from the
lookups and defines that made them, so a step can use a handle whose interface is gone. The same
steps run on virt's API in ``iface_steps.py``; ``roundtrip`` defines, dumps and undefines. This file is a script for the other Python.
"""

import json
import sys

import libvirt  # type: ignore[import-not-found]


def _handle(iface):
    return [iface.name(), iface.MACString()]


def main():
    request = json.load(sys.stdin)
    libvirt.registerErrorHandler(lambda context, error: None, None)
    conn = libvirt.open(request["uri"])
    handles = {}

    def keep(iface):
        handles[iface.name()] = iface
        return _handle(iface)

    def roundtrip(xml):
        iface = conn.interfaceDefineXML(xml, 0)
        try:
            return [iface.name(), iface.MACString(), iface.XMLDesc(0)]
        finally:
            iface.undefine()

    ops = {
        "roundtrip": roundtrip,
        "list_all": lambda flags=0: sorted(
            [i.name(), i.MACString(), i.isActive()] for i in conn.listAllInterfaces(flags)
        ),
        "num_active": lambda: conn.numOfInterfaces(),
        "list_active": lambda: sorted(conn.listInterfaces()),
        "num_defined": lambda: conn.numOfDefinedInterfaces(),
        "list_defined": lambda: sorted(conn.listDefinedInterfaces()),
        "lookup_name": lambda name: keep(conn.interfaceLookupByName(name)),
        "lookup_mac": lambda mac: _handle(conn.interfaceLookupByMACString(mac)),
        "define": lambda xml, flags=0: keep(conn.interfaceDefineXML(xml, flags)),
        "xml": lambda name, flags=0: handles[name].XMLDesc(flags),
        "active": lambda name: handles[name].isActive(),
        "create": lambda name, flags=0: handles[name].create(flags),
        "destroy": lambda name, flags=0: handles[name].destroy(flags),
        "undefine": lambda name: handles[name].undefine(),
        "begin": lambda flags=0: conn.changeBegin(flags),
        "commit": lambda flags=0: conn.changeCommit(flags),
        "rollback": lambda flags=0: conn.changeRollback(flags),
    }
    results = []
    for op, *args in request["steps"]:
        try:
            results.append(["ok", ops[op](*args)])
        except libvirt.libvirtError as exc:
            results.append(["error", exc.get_error_code(), exc.get_error_domain(), exc.get_error_message()])
    json.dump(results, sys.stdout)


if __name__ == "__main__":
    main()

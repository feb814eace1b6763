"""libvirt 9.0's side of the define/dumpxml comparison: run under /usr/bin/python3 (python3-libvirt).

Reads a JSON list of ``[kind, xml]`` from stdin (kind: domain, network, pool, volume) and writes a
JSON list of results: for each input either ``{"inactive": xml, "live": xml}`` or
``{"error": [code, domain, message]}``. Every object is defined on test:///default, dumped
inactive (networks and pools: before they start, as their test driver refuses the INACTIVE flag), started (volumes: created in default-pool), dumped live, then removed again, so one
input never sees another. This file is a script for the other Python, not a module of the tests.
"""

import json
import sys

import libvirt  # type: ignore[import-not-found]

DOMAIN_XML_INACTIVE = 2


def _quiet(*_args):  # libvirt prints every error to stderr by default
    pass


def _error(exc):
    return {"error": [exc.get_error_code(), exc.get_error_domain(), exc.get_error_message()]}


def _defined(obj, inactive_flags):
    """Dump a defined object inactive, start it, dump it live, stop it and undefine it."""
    try:
        result = {"inactive": obj.XMLDesc(inactive_flags)}
        try:
            obj.create()
        except libvirt.libvirtError as exc:
            result["live_error"] = _error(exc)["error"]
        else:
            result["live"] = obj.XMLDesc(0)
            obj.destroy()
        return result
    finally:
        obj.undefine()


def _domain(conn, xml):
    return _defined(conn.defineXML(xml), DOMAIN_XML_INACTIVE)


def _network(conn, xml):
    return _defined(conn.networkDefineXML(xml), 0)


def _pool(conn, xml):
    return _defined(conn.storagePoolDefineXML(xml, 0), 0)


def _volume(conn, xml):
    vol = conn.storagePoolLookupByName("default-pool").createXML(xml, 0)
    try:
        text = vol.XMLDesc(0)
        return {"inactive": text, "live": text}
    finally:
        vol.delete(0)


KINDS = {"domain": _domain, "network": _network, "pool": _pool, "volume": _volume}


def main():
    libvirt.registerErrorHandler(_quiet, None)
    conn = libvirt.open("test:///default")
    results = []
    for kind, xml in json.load(sys.stdin):
        try:
            results.append(KINDS[kind](conn, xml))
        except libvirt.libvirtError as exc:
            results.append(_error(exc))
    json.dump(results, sys.stdout)


if __name__ == "__main__":
    main()

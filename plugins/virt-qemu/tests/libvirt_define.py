"""Run with Debian's /usr/bin/python3 (python3-libvirt): define each document of a JSON list read on
stdin in the libvirtd at URI (argv[1]), dump it back ``--inactive``, define that dump again and dump
it once more, undefine; print a JSON object: id -> {"xml", "again"} or {"error"}.

Used by ``test_postparse_libvirtd.py`` as the reference side (libvirt 9.0's QEMU driver)."""

import json
import sys

import libvirt  # type: ignore[import-not-found]


def main() -> None:
    conn = libvirt.open(sys.argv[1])
    results = {}
    for case in json.load(sys.stdin):
        try:
            dom = conn.defineXML(case["xml"])
            first = dom.XMLDesc(libvirt.VIR_DOMAIN_XML_INACTIVE)
            again = conn.defineXML(first).XMLDesc(libvirt.VIR_DOMAIN_XML_INACTIVE)
            dom.undefine()
            results[case["id"]] = {"xml": first, "again": again}
        except libvirt.libvirtError as e:
            results[case["id"]] = {"error": e.get_error_message()}
    json.dump(results, sys.stdout)


if __name__ == "__main__":
    main()

"""The ``<filter>`` model's format, checked against libvirtd 9.0's nwfilter driver.

Defining a filter only stores it (no firewall rules are applied until a binding uses it), so
filters are defined, read back and undefined.
"""

from __future__ import annotations

import json

from binding_sides import calls_session, need_binding
from virt.errors import VirtError
from virt.testing import start_libvirtd
from virt.xml.nwfilter import NWFilter

UUID = "<uuid>{}</uuid>"
FILTERS = [
    "<filter name='t-root'><uuid>5a1b7c2e-0d3f-4a5b-8c6d-7e8f9a0b1c2d</uuid>"
    "<rule action='accept' direction='out'><all/></rule></filter>",
    "<filter name='t-mac' chain='mac'><uuid>5a1b7c2e-0d3f-4a5b-8c6d-7e8f9a0b1c2e</uuid>"
    "<rule action='drop' direction='inout' priority='-100' statematch='false'/>"
    "<filterref filter='t-root'><parameter name='IP' value='10.0.0.2'/>"
    "<parameter name='A' value='1'/></filterref></filter>",
    "<filter name='t-ipv4' chain='ipv4_x' priority='-300'>"
    "<uuid>5a1b7c2e-0d3f-4a5b-8c6d-7e8f9a0b1c2f</uuid><filterref filter='t-mac'/></filter>",
    "<filter name='t-vlan' chain='vlan_y'><uuid>5a1b7c2e-0d3f-4a5b-8c6d-7e8f9a0b1c20</uuid><unknown/>"
    "<rule action='return' direction='in' priority='bad'><foo/><ip/><tcp/></rule></filter>",
]


def test_format_as_libvirtd() -> None:
    need_binding()
    calls = (
        f"xmls = {json.dumps(FILTERS)}\n"
        "calls = [(x, lambda x=x: conn.nwfilterDefineXML(x).XMLDesc(0)) for x in xmls]\n"
        "calls += [(x, lambda x=x: conn.nwfilterLookupByUUIDString(x[x.index('<uuid>') + 6:"
        "x.index('</uuid>')]).undefine()) for x in reversed(xmls)]\n"
    )
    with start_libvirtd(drivers=("nwfilter",)) as daemon:
        rows = calls_session(calls, daemon.uri(driver="nwfilter", path="/system"))
    assert [row[1] for row in rows] == ["ok"] * (2 * len(FILTERS)), rows
    for xml, row in zip(FILTERS, rows, strict=False):
        assert NWFilter.from_xml(xml).to_xml() == row[2], xml


U = "<uuid>5a1b7c2e-0d3f-4a5b-8c6d-7e8f9a0b1c3{}</uuid>"
BAD = [
    "<filter>" + U.format(1) + "</filter>",
    "<filter name='p2' chain='bogus'>" + U.format(2) + "</filter>",
    "<filter name='p3' priority='abc'>" + U.format(3) + "</filter>",
    "<filter name='p4' priority='5000'>" + U.format(4) + "</filter>",
    "<filter name='p5'>" + U.format(5) + "<rule direction='in'/></filter>",
    "<filter name='p6'>" + U.format(6) + "<rule action='x' direction='in'/></filter>",
    "<filter name='p7'>" + U.format(7) + "<rule action='drop'/></filter>",
    "<filter name='p8'>" + U.format(8) + "<rule action='drop' direction='x'/></filter>",
    "<filter name='pa'><uuid>bad</uuid></filter>",
    "<filter name='pb'>" + U.format("b") + "<filterref/></filter>",
]


def test_parse_errors_as_libvirtd() -> None:
    need_binding()
    calls = f"xmls = {json.dumps(BAD)}\ncalls = [(x, lambda x=x: conn.nwfilterDefineXML(x)) for x in xmls]\n"
    with start_libvirtd(drivers=("nwfilter",)) as daemon:
        rows = calls_session(calls, daemon.uri(driver="nwfilter", path="/system"))
    assert len(rows) == len(BAD)
    for xml, row in zip(BAD, rows, strict=True):
        assert row[1] == "error", row
        try:
            NWFilter.from_xml(xml)
        except VirtError as exc:
            assert [int(exc.code), int(exc.domain), str(exc)] == row[2:], xml
        else:
            raise AssertionError(f"virt accepted what libvirtd refused: {xml}")

"""Network filters through virtd's nwfilter:///system, call by call as libvirtd 9.0's nwfilter
driver answers them (python3-libvirt on both): defining, redefining, lookups, XML, undefining, the
checks on names, UUIDs and loops, flags, and the bindings libvirtd can be asked about without
instantiating firewall rules on this host (a binding whose filter is missing, lookups, listings)."""

from __future__ import annotations

import json
from typing import Any

from binding_sides import calls_session, need_binding
from virt.daemon.testing import start_virtd
from virt.testing import start_libvirtd

U = "5a1b7c2e-0d3f-4a5b-8c6d-7e8f9a0b1c{:02d}"
BASE = f"<filter name='base' chain='ipv4'><uuid>{U.format(1)}</uuid><rule action='accept' direction='out'><ip/></rule></filter>"
TOP = f"<filter name='top'><uuid>{U.format(2)}</uuid><filterref filter='base'><parameter name='IP' value='10.0.0.1'/></filterref></filter>"
BINDING = (
    "<filterbinding><owner><name>g</name><uuid>c7a5fdbd-edaf-9455-926a-d65c16db1809</uuid></owner>"
    "<portdev name='vnet7'/><mac address='52:54:00:00:00:07'/><filterref filter='{}'/></filterbinding>"
)
CALLS = f"""
base, top, binding = {json.dumps(BASE)}, {json.dumps(TOP)}, {json.dumps(BINDING)}
U = {json.dumps(U)}
names = lambda: sorted(f.name() for f in conn.listAllNWFilters(0))
calls = [
    ("empty", names),
    ("define base", lambda: conn.nwfilterDefineXML(base).UUIDString()),
    ("define top", lambda: conn.nwfilterDefineXML(top).name()),
    ("list", names),
    ("num", lambda: conn.numOfNWFilters()),
    ("names", lambda: sorted(conn.listNWFilters())),
    ("by name", lambda: conn.nwfilterLookupByName("top").UUIDString()),
    ("by uuid", lambda: conn.nwfilterLookupByUUIDString(U.format(1)).name()),
    ("xml", lambda: conn.nwfilterLookupByName("top").XMLDesc(0)),
    ("xml flags", lambda: conn.nwfilterLookupByName("top").XMLDesc(1)),
    ("no name", lambda: conn.nwfilterLookupByName("nope")),
    ("no uuid", lambda: conn.nwfilterLookupByUUIDString(U.format(99))),
    ("same name, other uuid", lambda: conn.nwfilterDefineXML(top.replace(U.format(2), U.format(3)))),
    ("same uuid, other name", lambda: conn.nwfilterDefineXML(top.replace("'top'", "'other'"))),
    ("loop", lambda: conn.nwfilterDefineXML(base.replace("<rule", "<filterref filter='top'/><rule"))),
    ("self loop", lambda: conn.nwfilterDefineXML("<filter name='me'><filterref filter='me'/></filter>")),
    ("redefine, no uuid", lambda: conn.nwfilterDefineXML("<filter name='base' chain='arp'/>").UUIDString()),
    ("redefined", lambda: conn.nwfilterLookupByName("base").XMLDesc(0)),
    ("validate", lambda: conn.nwfilterDefineXMLFlags(f"<filter name='v'><uuid>{U.format(4)}</uuid></filter>", 1).name()),
    ("validate, invalid", lambda: conn.nwfilterDefineXMLFlags("<filter name='w'><bogus/></filter>", 1)),
    ("bad flags", lambda: conn.nwfilterDefineXMLFlags("<filter name='x'/>", 4)),
    ("list flags", lambda: conn.listAllNWFilters(1)),
    ("bad xml", lambda: conn.nwfilterDefineXML("<filter name='y'><rule action='x' direction='in'/></filter>")),
    ("no bindings", lambda: conn.listAllNWFilterBindings(0)),
    ("binding flags", lambda: conn.listAllNWFilterBindings(1)),
    ("no binding", lambda: conn.nwfilterBindingLookupByPortDev("vnet7")),
    ("binding, missing filter", lambda: conn.nwfilterBindingCreateXML(binding.format("nope"), 0).portDev()),
    ("bindings", lambda: [(b.portDev(), b.filterName()) for b in conn.listAllNWFilterBindings(0)]),
    ("binding", lambda: conn.nwfilterBindingLookupByPortDev("vnet7").filterName()),
    ("binding xml", lambda: conn.nwfilterBindingLookupByPortDev("vnet7").XMLDesc(0)),
    ("binding xml flags", lambda: conn.nwfilterBindingLookupByPortDev("vnet7").XMLDesc(1)),
    ("binding again", lambda: conn.nwfilterBindingCreateXML(binding.format("top"), 0)),
    ("binding delete", lambda: conn.nwfilterBindingLookupByPortDev("vnet7").delete()),
    ("binding deleted", lambda: conn.listAllNWFilterBindings(0)),
    ("binding, bad flags", lambda: conn.nwfilterBindingCreateXML(binding.format("top"), 4)),
    ("binding, bad xml", lambda: conn.nwfilterBindingCreateXML("<filterbinding/>", 0)),
    ("undefine referenced", lambda: conn.nwfilterLookupByName("base").undefine()),
    ("list after", names),
    ("undefine twice", lambda: [f.undefine() for f in [conn.nwfilterLookupByName("v")] * 2]),
    ("undefine top", lambda: conn.nwfilterLookupByName("top").undefine()),
    ("left", names),
]
"""


SETUP = f"""
calls = [
    ("filter", lambda: conn.nwfilterDefineXML({json.dumps(TOP)}).name()),
    ("binding", lambda: conn.nwfilterBindingCreateXML({json.dumps(BINDING.format("top"))}, 0).portDev()),
]
"""
READ_ONLY = f"""
calls = [
    ("list", lambda: [f.name() for f in conn.listAllNWFilters(0)]),
    ("xml", lambda: conn.nwfilterLookupByName("top").XMLDesc(0)),
    ("define", lambda: conn.nwfilterDefineXML("<filter name='ro'/>")),
    ("define flags", lambda: conn.nwfilterDefineXMLFlags("<filter name='ro'/>", 0)),
    ("undefine", lambda: conn.nwfilterLookupByName("top").undefine()),
    ("bindings", lambda: [b.portDev() for b in conn.listAllNWFilterBindings(0)]),
    ("binding xml", lambda: conn.nwfilterBindingLookupByPortDev("vnet7").XMLDesc(0)),
    ("binding create", lambda: conn.nwfilterBindingCreateXML({json.dumps(BINDING.format("top"))}, 0)),
    ("binding delete", lambda: conn.nwfilterBindingLookupByPortDev("vnet7").delete()),
]
"""
CLEANUP = """
calls = [
    ("in use", lambda: conn.nwfilterLookupByName("top").undefine()),
    ("binding delete", lambda: conn.nwfilterBindingLookupByPortDev("vnet7").delete()),
    ("undefine", lambda: conn.nwfilterLookupByName("top").undefine()),
]
"""


def test_nwfilter_calls_as_libvirtd() -> None:
    need_binding()
    with start_libvirtd(drivers=("nwfilter",)) as reference:
        expected = _session_rows(reference)
    with start_virtd() as ours:
        got = _session_rows(ours)
    assert [row[0] for row in got] == [row[0] for row in expected]
    for mine, theirs in zip(got, expected, strict=True):
        assert mine == theirs, f"virtd {mine} / libvirtd {theirs}"


def _session_rows(daemon: Any) -> list[list[Any]]:
    """CALLS, then a binding (its filter defined, so the one undefine below is refused while it
    lasts), read-only calls on them, and their removal; libvirtd makes no firewall rule for a
    binding whose port device does not exist."""
    uri = daemon.uri(driver="nwfilter", path="/system")
    rows = calls_session(CALLS, uri) + calls_session(SETUP, uri)
    rows += calls_session(READ_ONLY, daemon.uri(driver="nwfilter", path="/system", readonly=True), True)
    return rows + calls_session(CLEANUP, uri)


def test_remote_client_through_virtd() -> None:
    """virt's remote client calls each procedure: what it defines through virtd it reads back."""
    import virt
    from virt.errors import ErrorNumber, VirtError

    with start_virtd() as daemon, virt.open(daemon.uri(driver="nwfilter", path="/system")) as conn:
        base = conn.define_nwfilter(BASE)
        top = conn.define_nwfilter(TOP, 1)  # VALIDATE: the flags procedure
        assert [f.name for f in conn.list_nwfilters()] == ["base", "top"]
        assert conn.lookup_nwfilter_by_uuid(U.format(2)) == top
        assert (
            conn.lookup_nwfilter_by_name("base").xml().startswith("<filter name='base' chain='ipv4' priority='-700'>")
        )
        binding = conn.create_nwfilter_binding(BINDING.format("top"))
        assert (binding.portdev, binding.filter_name) == ("vnet7", "top")
        assert conn.list_nwfilter_bindings() == [binding]
        assert "<filterref filter='top'/>" in conn.lookup_nwfilter_binding("vnet7").xml()
        binding.delete()
        try:
            conn.lookup_nwfilter_binding("vnet7")
        except VirtError as exc:
            assert exc.code == ErrorNumber.NO_NWFILTER_BINDING
        else:
            raise AssertionError("the deleted binding is still there")
        top.undefine()
        base.undefine()
        assert conn.list_nwfilters() == []

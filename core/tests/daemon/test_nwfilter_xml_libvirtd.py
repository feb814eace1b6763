"""The ``<filter>`` model's format, checked against libvirtd 9.0's nwfilter driver.

Defining a filter only stores it (no firewall rules are applied until a binding uses it), so
filters are defined, read back and undefined.
"""

from __future__ import annotations

import json

from binding_sides import assert_same_errors, nwfilter_driver_rows
from virt.errors import VirtError
from virt.xml.nwfilter import NWFilter

DEFINE_AND_READ = (
    "def define(x):\n"
    "    f = conn.nwfilterDefineXML(x)\n"
    "    try:\n"
    "        return f.XMLDesc(0)\n"
    "    finally:\n"
    "        f.undefine()\n"
)
"""A session function: what libvirtd gives back for a definition, which it then forgets."""
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
    calls = (
        f"xmls = {json.dumps(FILTERS)}\n"
        "calls = [(x, lambda x=x: conn.nwfilterDefineXML(x).XMLDesc(0)) for x in xmls]\n"
        "calls += [(x, lambda x=x: conn.nwfilterLookupByUUIDString(x[x.index('<uuid>') + 6:"
        "x.index('</uuid>')]).undefine()) for x in reversed(xmls)]\n"
    )
    rows = nwfilter_driver_rows(calls)
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
    calls = f"xmls = {json.dumps(BAD)}\ncalls = [(x, lambda x=x: conn.nwfilterDefineXML(x)) for x in xmls]\n"
    rows = nwfilter_driver_rows(calls)
    assert_same_errors(NWFilter.from_xml, BAD, rows)


RULES = [
    "<mac protocolid='0x0800' srcmacaddr='AA:bb:0:1:2:3' comment='hi &amp; there'/>",
    "<mac protocolid='arp' dstmacaddr='01:02:03:04:05:06' dstmacmask='ff:ff:ff:ff:ff:ff' srcmacmask='ff:00:00:00:00:00'/>",
    "<mac protocolid='2048'/><mac protocolid='0x1234'/>",
    "<mac match='no' srcmacaddr='$MAC' srcmacmask='ff:ff:ff:ff:ff:00'/>",
    "<mac srcmacmask='ff:ff:ff:ff:ff:00' match='no'/>",
    "<vlan vlanid='0x10' encap-protocol='0x800'/>",
    "<arp opcode='request' arpsrcipaddr='10.1' arpsrcipmask='255.255.0.0' gratuitous='yes' protocoltype='0x800'/>",
    "<rarp opcode='11' gratuitous='no' arpdstmacaddr='1:2:3:4:5:6 '/>",
    "<ip srcipaddr='10.0.0.1' srcipmask='24' protocol='0x11' dstportstart='22' srcportend='0x10' dscp='0x3f'/>",
    "<ipv6 srcipaddr='2001:DB8:0:0::1' srcipmask='ffff:ffff::' protocol='ICMPV6' typeend='4' code='0x2'/>",
    "<tcp srcipaddr='$IP[@2]' dstipaddr='$IP[ 3 ]' state='new,established' flags='SYN,ACK/all' connlimit-above='10'/>",
    "<tcp state='NONE,NEW' flags='none/FIN,SYN,RST,PSH,ACK,URG' srcipfrom='$IP[@0]' srcipto='1.2.3.5'/>",
    "<tcp ipset='myset' ipsetflags='src,dst'/><udp dstportstart='1'/>",
    "<tcp ipset='myset' dstmacaddr='00:11:22:33:44:55'/><tcp dstportend='2'/>",
    "<all ipset='my set' ipsetflags='SRC,Dst'/>",
    "<icmp type='8' code='0' match='no' srcipaddr='10.0.0.0' srcipmask='8'/>",
    "<udp match='no' srcipaddr='1.2.3.4' srcipmask='32' srcportend='5' comment='x'/>",
    "<stp match='no' type='0x80' root-cost='4294967295' root-cost-hi='5' sender-priority='1' sender-address='0:1:2:3:4:5'/>",
    "<tcp-ipv6 srcipaddr='::1' srcipmask='64' dstipto='10.0.0.1' option='2'/>",
    "<icmpv6 type='128'/><all-ipv6 srcipaddr='fe80::1'/>",
    "<tcp flags='SYNACK/NONE'/>",
    "<udp srcipaddr='$ADDR[ 2 ]x' srcportstart='$PORT[  @0 ] ' dstportstart='$PORT[@+3]' dscp='$D[-0]'/>",
    "<ipv6 srcipaddr='::192.168.7.1' dstipaddr='::ffff:10.0.0.1' dstipmask='ffff:ffff:ffff:ffff:8000::'/>",
]
RULE_ERRORS = [
    "<mac protocolid='1000'/>",
    "<vlan vlanid='4096'/>",
    "<ip dstportstart='22'/>",
    "<ipv6 protocol='icmp' dstportstart='22'/>",
    "<ipv6 protocol='tcp-ipv6'/>",
    "<tcp state='bogus'/>",
    "<udp srcportstart='x' dstportstart='y'/>",
    "<stp root-cost='4294967296'/>",
    "<tcp srcipaddr='$IP[x]'/>",
    "<mac srcmacmask='ff:00:ff:00:00:00'/>",
    "<ip srcipmask='255.0.255.0'/>",
    "<tcp srcipaddr=' 10.0.0.1' dscp='64'/>",
    "<tcp srcportstart=' 5' dstportstart='+6' srcportend='-1'/>",
    "<tcp ipset='bad!name'/>",
]
CHAIN_ERRORS = [
    "<filter name='c1' chain='ipv4_abcdefghij'/>",
    "<filter name='c2' chain='mac$x'/>",
    "<filter name='c3' chain='rootx'/>",
    "<filter name='c4' chain='arpx' priority='bad'/>",
]


def _filter(index: int, rule: str) -> str:
    return (
        f"<filter name='r{index}' chain='stp'><uuid>5a1b7c2e-0d3f-4a5b-8c6d-{index:012x}</uuid>"
        f"<rule action='accept' direction='in' priority='2000'>{rule}</rule></filter>"
    )


def test_protocol_attributes_as_libvirtd() -> None:
    """Each protocol's attributes read, checked and written back as libvirtd does, and refused
    with its words."""
    good = [_filter(index, rule) for index, rule in enumerate(RULES)]
    bad = [_filter(100 + index, rule) for index, rule in enumerate(RULE_ERRORS)] + CHAIN_ERRORS
    calls = (
        f"good, bad = {json.dumps(good)}, {json.dumps(bad)}\n"
        f"{DEFINE_AND_READ}"
        "calls = [(x, lambda x=x: define(x)) for x in good + bad]\n"
    )
    rows = nwfilter_driver_rows(calls)
    assert [row[1] for row in rows[: len(good)]] == ["ok"] * len(good), rows
    for xml, row in zip(good, rows, strict=False):
        assert NWFilter.from_xml(xml).to_xml() == row[2], xml
    assert_same_errors(NWFilter.from_xml, bad, rows[len(good) :])


EDGES = [
    "<arp hwtype='' opcode=''/>",
    "<tcp srcipaddr='' srcportstart=''/>",
    "<tcp comment='' state=' new , ESTABLISHED '/>",
    "<tcp ipset='abcdefghijklmnopqrstuvwxyzabcdef'/>",
    "<tcp ipset='abcdefghijklmnopqrstuvwxyzabcde'/>",
    "<all ipset='x' ipsetflags=''/>",
    "<all ipset='x' ipsetflags='src,'/>",
    "<all ipset='x' ipsetflags='src,src,src,src,src,src'/>",
    "<tcp srcmacaddr='01:02:03:04:05:06 '/>",
    "<tcp srcmacaddr='1:2:3:4:5:6:7'/>",
    "<stp type='0xfff'/>",
    "<tcp option='0x' dscp='0x'/>",
    "<tcp srcportstart='010' dstportstart='+0x10'/>",
    "<ip srcipmask='0.0.0.0' dstipmask='033'/>",
    "<tcp connlimit-above='0x10'/>",
    "<arp gratuitous='TRUE'/>",
    "<tcp srcipaddr='$'/>",
    "<tcp srcipaddr='$A['/>",
    "<tcp srcipaddr='$A b'/>",
    "<icmp type='256'/>",
    "<mac protocolid='15'/>",
    "<ipv6 srcipaddr='1::2' dstipmask='ffff:ffff:ffff:ffff:8000::' protocol='icmpv6' type='1' match='no'/>",
]


def test_edge_values_as_libvirtd() -> None:
    """Empty, padded, signed, overlong and odd values: accepted and written, or refused, as libvirtd
    does with each."""
    documents = [_filter(200 + index, rule) for index, rule in enumerate(EDGES)]
    calls = f"xmls = {json.dumps(documents)}\n{DEFINE_AND_READ}calls = [(x, lambda x=x: define(x)) for x in xmls]\n"
    rows = nwfilter_driver_rows(calls)
    for document, row in zip(documents, rows, strict=True):
        try:
            got: object = ["ok", NWFilter.from_xml(document).to_xml()]
        except VirtError as exc:
            got = ["error", int(exc.code), int(exc.domain), str(exc)]
        assert got == row[1:], document

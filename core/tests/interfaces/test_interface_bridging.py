"""iface-bridge and iface-unbridge's rewriting of an interface's XML (virsh's cmdInterfaceBridge and
cmdInterfaceUnbridge), and what libvirt's parser makes of the result."""

from __future__ import annotations

import pytest
import virt
from iface_steps import libvirt_results, virt_results
from lxml import etree
from virt.cli.commands.interface import _Failure, bridged_xml, unbridged_xml

ETH1 = """<interface type='ethernet' name='eth1'>
  <start mode='onboot'/>
  <mtu size='1492'/>
  <mac address='aa:bb:cc:dd:ee:ff'/>
</interface>
"""


def test_bridging_moves_the_mac_into_the_attached_interface() -> None:
    bridged = bridged_xml(ETH1, "eth1", "br0", stp=True, delay=5)
    assert bridged.startswith('<interface type="bridge" name="br0">')
    assert (
        '<bridge stp="on" delay="5"><interface type="ethernet" name="eth1"><mac address="aa:bb:cc:dd:ee:ff"/>'
        in bridged
    )
    assert "delay" not in bridged_xml(ETH1, "eth1", "br0", stp=False, delay=5)
    name, back = unbridged_xml(bridged, "br0")
    assert name == "eth1"
    assert back.startswith('<interface type="ethernet" name="eth1">')
    top = etree.fromstring(back)
    assert [child.tag for child in top] == ["start", "mtu", "bridge", "mac"]  # the emptied <bridge> stays


def test_both_documents_parse_and_format_as_in_libvirt() -> None:
    bridged = bridged_xml(ETH1, "eth1", "br0", stp=True, delay=0)
    _name, unbridged = unbridged_xml(bridged, "br0")
    steps = [["roundtrip", bridged], ["roundtrip", unbridged]]
    theirs = libvirt_results("test:///default", steps)
    with virt.open("test:///default") as conn:
        assert virt_results(conn, steps) == theirs
    assert theirs[0][1][2].count("<interface") == 2


@pytest.mark.parametrize(
    ("function", "xml", "message"),
    [
        (lambda x: bridged_xml(x, "eth1", "br0", stp=True, delay=0), "<interface name='eth1'/>",
         "Existing device eth1 has no type"),
        (lambda x: bridged_xml(x, "eth1", "br0", stp=True, delay=0), "<interface type='bridge' name='eth1'/>",
         "Existing device eth1 is already a bridge"),
        (lambda x: bridged_xml(x, "eth1", "br0", stp=True, delay=0), "<interface type='ethernet'/>",
         "Interface name from config (null) doesn't match given supplied name eth1"),
        (lambda x: bridged_xml(x, "eth1", "br0", stp=True, delay=0), "<interface",
         "Failed to parse configuration of eth1"),
        (lambda x: unbridged_xml(x, "br0"), "<interface type='ethernet' name='br0'/>", "Device br0 is not a bridge"),
        (lambda x: unbridged_xml(x, "br0"), "<interface type='bridge' name='br0'/>", "No bridge node in xml document"),
        (lambda x: unbridged_xml(x, "br0"), "<interface type='bridge' name='br0'><bridge/></interface>",
         "No interface attached to bridge"),
        (lambda x: unbridged_xml(x, "br0"),
         "<interface type='bridge' name='br0'><bridge><interface/><interface/></bridge></interface>",
         "Multiple interfaces attached to bridge"),
        (lambda x: unbridged_xml(x, "br0"),
         "<interface type='bridge' name='br0'><bridge><interface type='ethernet'/></bridge></interface>",
         "Device attached to bridge br0 has no name"),
        (lambda x: unbridged_xml(x, "br0"),
         "<interface type='bridge' name='br0'><bridge><interface name='e'/></bridge></interface>",
         "Attached device e has no type"),
    ],
)  # fmt: skip
def test_what_virsh_refuses(function: object, xml: str, message: str) -> None:
    with pytest.raises(_Failure) as caught:
        function(xml)  # type: ignore[operator]
    assert caught.value.message == message

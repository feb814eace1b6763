"""virt.xml.hostinterface against libvirt 9.0's interface parser and formatter (defined, dumped and
undefined on both test drivers): the same text back, or the same error."""

from __future__ import annotations

import pytest
import virt
from iface_steps import libvirt_results, virt_results
from virt.errors import XMLError
from virt.xml.hostinterface import HostInterface, InterfaceType

E = "<interface type='ethernet' name='a'>{}</interface>"

DOCUMENTS = [
    # numbers: the MTU's limit, libvirt's unexplained refusals, C's number syntax
    *(E.format(f"<mtu size='{size}'/>") for size in ("100001", "-1", "1e3", "", "0x10", " 12", "100000", "0", "+7")),
    # protocols: ipv6 extras, addresses without one, prefixes in any base, only the first route
    E.format(
        "<start mode='hotplug'/><protocol family='ipv6'><autoconf/><dhcp peerdns='no'/>"
        "<ip address='::1' prefix='0x10'/><ip prefix='4'/><ip address='fe::1' prefix='010'/>"
        "<route gateway='fe::'/><route gateway='x'/></protocol><protocol family='ipv4'><dhcp/><autoconf/></protocol>"
    ),
    E.format("<protocol family='ipv4'><dhcp peerdns='yes'/><ip address='1.2.3.4' prefix='x'/></protocol>"),
    E.format("<protocol family='ipv4'><dhcp peerdns='maybe'/></protocol>"),
    E.format("<protocol/>"),
    E.format("<protocol family='ipx'/>"),
    E.format("<start mode='sometimes'/>"),
    E.format("<start mode='onboot'/><mac address=''/><link state=''/>"),
    E.format("<link speed='0' state='down'/><mac address='00:11:22:33:44:55'/><mac address='ignored'/>"),
    E.format("<link speed='-1'/>"),
    E.format("<link state='bad'/>"),
    E.format("<link speed='1000'/><unknown><deep/></unknown>"),
    # bridges: a bad stp stops the parse of the bridge there (and is not an error)
    "<interface type='bridge' name='br0'><start mode='none'/><mtu size='0'/><link state='up'/>"
    "<bridge stp='bad' delay='0.5'><interface type='ethernet' name='eth0'/></bridge></interface>",
    "<interface type='bridge' name='br0'><bridge stp='on' delay='0.5'><interface type='ethernet' name='eth0'>"
    "<mac address='11:22:33:44:55:66'/><mtu size='9000'/><start mode='onboot'/><link speed='10'/></interface>"
    "<interface type='vlan' name='v'><vlan tag='3'><interface name='eth0'/></vlan></interface>"
    "<interface type='bond' name='bond0'><bond mode='802.3ad'><arpmon interval='100' target='1.2.3.4' validate='all'/>"
    "<interface type='ethernet' name='e2'/></bond></interface></bridge></interface>",
    "<interface type='bridge' name='br0'/>",
    "<interface type='bridge' name='br0'><bridge><interface type='bridge' name='br1'/></bridge></interface>",
    # bonds
    "<interface type='bond' name='bond0'><bond><miimon freq='100' downdelay='0' updelay='-3' carrier='netif'/>"
    "<interface type='bridge' name='x'/></bond></interface>",
    "<interface type='bond' name='bond0'><bond mode='balance-rr'><miimon freq='100' downdelay='5' updelay='3' "
    "carrier='ioctl'/><arpmon interval='1'/><interface type='ethernet' name='x'><mac address='m'/></interface>"
    "</bond></interface>",
    "<interface type='bond' name='bond0'><bond><miimon/></bond></interface>",
    "<interface type='bond' name='bond0'><bond><miimon freq='1' downdelay='x'/></bond></interface>",
    "<interface type='bond' name='bond0'><bond><miimon freq='1' carrier='x'/></bond></interface>",
    "<interface type='bond' name='bond0'><bond><arpmon interval='3'/></bond></interface>",
    "<interface type='bond' name='bond0'><bond><arpmon interval='3' target='t' validate='x'/></bond></interface>",
    "<interface type='bond' name='bond0'><bond mode='fast'/></interface>",
    "<interface type='bond' name='bond0'/>",
    # vlans
    "<interface type='vlan' name='v'><vlan tag=''><interface name='eth0'/></vlan></interface>",
    "<interface type='vlan' name='v'><vlan tag='2'><interface/></vlan></interface>",
    "<interface type='vlan' name='v'><vlan tag='2'><interface name='x'/></vlan><link state='unknown'/></interface>",
    "<interface type='vlan' name='v'/>",
    # the root
    "<interface type='ethernet'/>",
    "<interface name='x'/>",
    "<interface type='' name='x'/>",
    "<interface type='ethernet' name=''/>",
    "<iface type='ethernet' name='x'/>",
    "<interface type='ethernet' name='a&amp;b&lt;&quot;'/>",
]


def test_every_document_parses_and_formats_as_libvirts() -> None:
    steps = [["roundtrip", doc] for doc in DOCUMENTS]
    theirs = libvirt_results("test:///default", steps)
    with virt.open("test:///default") as conn:
        ours = virt_results(conn, steps)
    for doc, mine, reference in zip(DOCUMENTS, ours, theirs, strict=True):
        assert mine == reference, doc


def test_a_model_formats_and_parses_back_the_same() -> None:
    iface = HostInterface.from_xml(next(doc for doc in DOCUMENTS if "stp='on'" in doc))
    assert iface.type is InterfaceType.BRIDGE
    assert [m.name for m in iface.members] == ["eth0", "v", "bond0"]
    assert iface.members[0].mac == "11:22:33:44:55:66"
    assert iface.members[0].mtu == 0  # only a top-level interface has an MTU
    assert HostInterface.from_xml(iface.to_xml()).to_xml() == iface.to_xml() == iface.clone().to_xml()


def test_malformed_text_is_an_xml_error() -> None:
    with pytest.raises(XMLError):
        HostInterface.from_xml("<interface")

"""The network model's normalisation: what libvirt 9.0's parser fills in and rewrites (formatnetwork)."""

from __future__ import annotations

import pytest
from corpus_support import xml2xml_score
from virt.xml import Network


def parse(text: str) -> Network:
    net = Network.from_xml(text)
    out = net.to_xml()
    assert Network.from_xml(out).to_xml() == out  # idempotent: the output is already canonical
    return net


def test_forward_without_mode_is_nat() -> None:
    net = parse("<network><name>n</name><forward/></network>")
    assert net.forward is not None and net.forward.mode == "nat"


def test_forward_dev_is_a_pool_of_one_interface() -> None:
    net = parse("<network><name>n</name><forward mode='route' dev='eth1'/></network>")
    assert net.forward is not None
    assert [i.dev for i in net.forward.interfaces] == ["eth1"]
    assert "<forward dev='eth1' mode='route'>\n    <interface dev='eth1'/>\n  </forward>" in net.to_xml()


def test_forward_dev_is_the_first_interface() -> None:
    net = parse(
        "<network><name>n</name><forward mode='bridge'><interface dev='eth10'/><interface dev='eth11'/>"
        "</forward></network>"
    )
    assert net.forward is not None and net.forward.dev == "eth10"


def test_forward_with_pf_has_no_dev() -> None:
    net = parse("<network><name>n</name><forward mode='hostdev'><pf dev='eth2'/></forward></network>")
    assert net.forward is not None
    assert net.forward.dev is None and not net.forward.interfaces
    assert net.forward.managed is False  # hostdev networks always say it


def test_managed_only_for_hostdev() -> None:
    net = parse("<network><name>n</name><forward mode='bridge' managed='yes'/><bridge name='br0'/></network>")
    assert net.forward is not None and net.forward.managed is None


@pytest.mark.parametrize("forward", ["", "<forward/>", "<forward mode='route'/>", "<forward mode='open'/>"])
def test_libvirt_bridges_get_stp_and_delay(forward: str) -> None:
    net = parse(f"<network><name>n</name>{forward}<bridge name='virbr0'/></network>")
    assert net.bridge is not None and (net.bridge.stp, net.bridge.delay) == (True, 0)


def test_a_libvirt_bridge_is_described_even_when_not_given() -> None:
    net = parse("<network><name>n</name></network>")
    assert "<bridge stp='on' delay='0'/>" in net.to_xml()


def test_host_bridges_have_no_stp() -> None:
    net = parse("<network><name>n</name><forward mode='bridge'/><bridge name='br0' stp='off' delay='3'/></network>")
    assert net.bridge is not None and (net.bridge.name, net.bridge.stp, net.bridge.delay) == ("br0", None, None)
    direct = parse("<network><name>n</name><forward mode='private' dev='eth0'/><bridge stp='on'/></network>")
    assert direct.bridge is None


def test_ipv6_no_is_the_default() -> None:
    assert parse("<network ipv6='no'><name>n</name></network>").ipv6 is None
    assert parse("<network ipv6='yes'><name>n</name></network>").ipv6 is True


def test_elements_in_libvirt_order() -> None:
    net = parse(
        "<network><name>n</name><port isolated='yes'/><mtu size='9000'/><bridge name='br0'/>"
        "<forward mode='bridge'/></network>"
    )
    out = net.to_xml()
    assert out.index("<forward") < out.index("<bridge") < out.index("<mtu") < out.index("<port")


def test_live_and_rare_fields_kept() -> None:
    net = parse(
        "<network connections='2' trustGuestRxFilters='yes'><name>n</name>"
        "<forward mode='bridge'><interface dev='eth0' connections='2'/></forward>"
        "<domain name='example.com' localOnly='no'/><vlan><tag id='42'/></vlan>"
        "<ip address='10.0.0.1' prefix='24' localPtr='yes'/></network>"
    )
    assert net.connections == 2 and net.trust_guest_rx_filters is True
    assert net.forward is not None and net.forward.interfaces[0].connections == 2
    assert net.domain is not None and net.domain.local_only is False  # given, so written
    assert net.vlan is not None and net.ips[0].local_ptr is True
    out = net.to_xml()
    assert "<domain name='example.com' localOnly='no'/>" in out and "<tag id='42'/>" in out


def test_network_xml2xml_suite_scores_at_least_90_percent() -> None:
    passed, total = xml2xml_score("network-xml2xml")
    assert passed >= 0.9 * total, f"{passed}/{total}"

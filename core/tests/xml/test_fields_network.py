"""Network fields the conformance corpus does not reach.

The first two documents are libvirt 9.0's own output for them (``networkDefineXML`` + ``XMLDesc``
on ``test:///default``); the third is live XML, which only a running network has.
"""

from __future__ import annotations

from field_coverage import roundtrip
from virt.xml import Network

LOCAL_DNS = """\
<network>
  <name>fields</name>
  <uuid>81ff0d90-c91e-6742-64da-4a736edb9a9b</uuid>
  <forward mode='nat'>
    <nat>
      <port start='1024' end='65535'/>
    </nat>
  </forward>
  <bridge name='virbr5' stp='on' delay='0'/>
  <mac address='52:54:00:17:3f:2f'/>
  <domain name='example.com' localOnly='yes'/>
  <ip address='192.168.125.1' netmask='255.255.255.0' localPtr='yes'>
    <dhcp>
      <range start='192.168.125.2' end='192.168.125.254'/>
    </dhcp>
  </ip>
  <ip family='ipv6' address='2001:db8:ca2:2::1' prefix='64' localPtr='yes'/>
</network>
"""

OVS_VLAN = """\
<network>
  <name>ovs-net</name>
  <uuid>81ff0d90-c91e-6742-64da-4a736edb9a9c</uuid>
  <forward mode='bridge'/>
  <bridge name='ovsbr0'/>
  <vlan trunk='yes'>
    <tag id='42' nativeMode='untagged'/>
    <tag id='47'/>
  </vlan>
  <virtualport type='openvswitch'/>
</network>
"""

# A running passthrough network counts the guest interfaces using it, in all and per device.
PASSTHROUGH_LIVE = """\
<network connections='2'>
  <name>passthrough</name>
  <uuid>81ff0d90-c91e-6742-64da-4a736edb9a9d</uuid>
  <forward dev='eth10' mode='passthrough'>
    <interface dev='eth10' connections='1'/>
    <interface dev='eth11' connections='1'/>
  </forward>
</network>
"""


def test_local_only_domain_and_local_ptr() -> None:
    net = roundtrip(LOCAL_DNS)
    assert isinstance(net, Network)
    assert net.domain is not None and net.domain.local_only is True
    assert [ip.local_ptr for ip in net.ips] == [True, True]


def test_vlan() -> None:
    roundtrip(OVS_VLAN)


def test_connections() -> None:
    net = roundtrip(PASSTHROUGH_LIVE)
    assert isinstance(net, Network) and net.forward is not None
    assert net.connections == 2
    assert [i.connections for i in net.forward.interfaces] == [1, 1]

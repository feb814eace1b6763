"""<interface><source portid>: a network port's UUID for type='network' (libvirt writes one in a running
guest's XML), a port number for a VMware distributed switch (type='vds'); both kept as written."""

from __future__ import annotations

from virt.xml import Domain

GUEST = """<domain type='kvm'><name>p</name><memory>65536</memory><os><type>hvm</type></os><devices>
<interface type='network'><source network='n1' portid='3c5d7e9f-1a2b-4c3d-8e9f-0a1b2c3d4e5f' bridge='vb0'/></interface>
<interface type='vds'><source switchid='00000000-0000-0000-0000-000000000001' portid='7' portgroupid='pg'
 connectionid='3'/></interface></devices></domain>"""


def test_both_kinds_of_portid_round_trip() -> None:
    domain = Domain.from_xml(GUEST)
    assert domain.devices is not None
    network, vds = domain.devices.interfaces
    assert network.source is not None and network.source.portid == "3c5d7e9f-1a2b-4c3d-8e9f-0a1b2c3d4e5f"
    assert vds.source is not None and vds.source.portid == "7"
    again = Domain.from_xml(domain.to_xml())
    assert again.to_xml() == domain.to_xml()
    assert "portid='3c5d7e9f-1a2b-4c3d-8e9f-0a1b2c3d4e5f'" in domain.to_xml()

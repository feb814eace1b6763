"""How much of libvirt 9.0's API virtd serves for virt-esx, against libvirt's own esx driver
(virt.testing.apicoverage: the figure is printed; the calls not served yet are listed in
data/libvirt_calls_not_served.txt, which shrinks as calls land)."""

from __future__ import annotations

from pathlib import Path

from virt.testing.apicoverage import check_coverage
from virt_esx.connection import EsxConnection

NOT_SERVED = Path(__file__).with_name("data") / "libvirt_calls_not_served.txt"


def test_serves_what_it_served() -> None:
    print(check_coverage("esx", EsxConnection, NOT_SERVED, "virt-esx"))


def test_vmware_workstation_serves_every_call() -> None:
    from virt_esx.workstation import WorkstationConnection

    not_served = Path(__file__).with_name("data") / "libvirt_vmware_calls_not_served.txt"
    print(check_coverage("vmware", WorkstationConnection, not_served, "virt-esx (vmware)"))

"""How much of libvirt 9.0's API virtd serves for virt-bhyve, against libvirt's own bhyve driver
(virt.testing.apicoverage: the figure is printed; the calls not served yet are listed in
data/libvirt_calls_not_served.txt, which shrinks as calls land)."""

from __future__ import annotations

from pathlib import Path

from virt.testing.apicoverage import check_coverage
from virt_bhyve.connection import BhyveConnection

NOT_SERVED = Path(__file__).with_name("data") / "libvirt_calls_not_served.txt"


def test_serves_what_it_served() -> None:
    print(check_coverage("bhyve", BhyveConnection, NOT_SERVED, "virt-bhyve"))

"""How much of libvirt 9.0's API virtd serves for the built-in test driver, against libvirt's own
test driver (virt.testing.apicoverage; the plugins have the same test for their drivers)."""

from __future__ import annotations

from pathlib import Path

from virt.driver import DriverConnection
from virt.drivers.test.connection import TestConnection
from virt.testing.apicoverage import check_coverage, first_operations, libvirt_calls, served

NOT_SERVED = Path(__file__).with_name("data") / "test_driver_not_served.txt"
NWFILTER_NOT_SERVED = Path(__file__).with_name("data") / "nwfilter_driver_not_served.txt"


def test_test_driver_serves_what_it_served() -> None:
    print(check_coverage("test", TestConnection, NOT_SERVED, "virt's test driver"))


def test_every_handler_is_traced_to_a_driver_operation() -> None:
    operations = first_operations()
    assert len(operations) > 200
    named = {name for name in operations.values() if name is not None}
    assert all(callable(getattr(DriverConnection, name, None)) for name in named)
    assert operations["virDomainSuspend"] == "suspend_domain"
    assert operations["virConnectGetLibVersion"] is None  # virtd answers it for every driver


def test_a_driver_serves_the_operations_it_overrides() -> None:
    class VersionOnly(DriverConnection):
        def get_version(self) -> int:
            return 1

    found = served(VersionOnly, libvirt_calls("qemu"))
    assert {"virConnectGetVersion", "virConnectGetType", "virConnectIsAlive"} <= found
    assert "virDomainSuspend" not in found


def test_nwfilter_driver_serves_what_it_served() -> None:
    from virt.nwfilters.connection import NWFilterConnection

    figure = check_coverage("nwfilter", NWFilterConnection, NWFILTER_NOT_SERVED, "virt's nwfilter driver")
    assert figure.startswith("virt's nwfilter driver serves 19 of the 19 calls")

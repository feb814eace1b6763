"""virt.nwfilters: the filter store's files, seeding, the in-use rule, and the connections that
reach it (nwfilter:///system, a local driver's session connection which does not)."""

from __future__ import annotations

from pathlib import Path

import pytest
import virt
from virt.errors import ErrorNumber, NotSupported, VirtError
from virt.nwfilters.store import NWFilterDirs, NWFilterService

BINDING = (
    "<filterbinding><owner><name>g</name><uuid>c7a5fdbd-edaf-9455-926a-d65c16db1809</uuid></owner>"
    "<portdev name='{}'/><mac address='52:54:00:00:00:01'/><filterref filter='{}'/></filterbinding>"
)


@pytest.fixture
def service(tmp_path: Path) -> NWFilterService:
    return NWFilterService(NWFilterDirs(tmp_path / "state", tmp_path / "run"))


def test_filters_are_files_seen_by_every_service(service: NWFilterService, tmp_path: Path) -> None:
    service.define("<filter name='a'><filterref filter='b'/></filter>", 0)
    assert (tmp_path / "state" / "nwfilter" / "a.xml").is_file()
    other = NWFilterService(NWFilterDirs(tmp_path / "state", tmp_path / "run"))
    assert list(other.filters()) == ["a"]
    # a file that does not parse is skipped, as libvirt skips it when it loads its filters
    (tmp_path / "state" / "nwfilter" / "broken.xml").write_text("<filter/>")
    assert list(other.filters()) == ["a"]
    other.undefine(other.by_name("a").uuid)
    assert service.filters() == {}


def test_a_new_system_store_starts_with_libvirts_shipped_filters(tmp_path: Path) -> None:
    shipped = tmp_path / "etc-libvirt-nwfilter"
    shipped.mkdir()
    (shipped / "no-spoof.xml").write_text("<filter name='no-spoof' chain='mac'/>")
    dirs = NWFilterDirs(tmp_path / "state", tmp_path / "run", shipped)
    first = NWFilterService(dirs).filters()
    assert list(first) == ["no-spoof"]
    # the file has no UUID: the one it gets is the same whoever reads it
    assert NWFilterService(dirs).by_name("no-spoof").uuid == first["no-spoof"].uuid
    # only a new store is seeded: one the user emptied stays empty
    service = NWFilterService(dirs)
    service.undefine(service.by_name("no-spoof").uuid)
    assert NWFilterService(dirs).filters() == {}


def test_in_use_while_a_present_port_device_is_bound(service: NWFilterService) -> None:
    service.define("<filter name='inner'/>", 0)
    service.define("<filter name='outer'><filterref filter='inner'/></filter>", 0)
    service.create_binding(BINDING.format("lo", "outer"), 0)  # lo: a device every host has
    with pytest.raises(VirtError) as refused:
        service.undefine(service.by_name("inner").uuid)
    assert refused.value.code == ErrorNumber.OPERATION_INVALID
    assert str(refused.value) == "Requested operation is not valid: nwfilter is in use"
    service.create_binding(BINDING.format("no-such-dev0", "inner"), 0)
    service.delete_binding("lo")
    service.undefine(service.by_name("inner").uuid)  # the absent device's binding does not hold it
    assert [b.portdev for b in service.bindings()] == ["no-such-dev0"]


def test_names_that_are_no_file_names_refused(service: NWFilterService) -> None:
    with pytest.raises(VirtError, match=r"cannot use '\.\./x' as a filter file name"):
        service.define("<filter name='../x'/>", 0)


def test_nwfilter_uri_and_session_connections(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VIRT_NWFILTER_ROOT", str(tmp_path))
    with virt.open("nwfilter:///system") as conn:
        made = conn.define_nwfilter("<filter name='f'/>")
        assert [f.name for f in conn.list_nwfilters()] == ["f"]
        assert conn.lookup_nwfilter_by_uuid(str(made.uuid)) == made
        binding = conn.create_nwfilter_binding(BINDING.format("vnet0", "f"))
        assert conn.lookup_nwfilter_binding("vnet0") == binding
        assert "<portdev name='vnet0'/>" in binding.xml()
        binding.delete()
        made.undefine()
    with pytest.raises(VirtError, match="unexpected nwfilter URI path '/session', try nwfilter:///system"):
        virt.open("nwfilter:///session")


def test_session_connections_do_not_serve_filters() -> None:
    from virt.driver import DriverConnection
    from virt.localstate.nwfilters import LocalNWFilterOperations
    from virt.uri import parse

    class Session(LocalNWFilterOperations, DriverConnection):
        driver_name = "QEMU"

    with pytest.raises(NotSupported, match="not supported by the connection driver 'QEMU': list_nwfilters"):
        Session(parse("qemu:///session")).list_nwfilters(0)

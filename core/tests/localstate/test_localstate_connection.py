"""virt.localstate.connection: the DriverConnection of a local driver, over a fake driver instance."""

from __future__ import annotations

import uuid
from collections.abc import Callable

import pytest
from virt.driver import DomainRef
from virt.errors import ErrorDomain, ErrorNumber, VirtError
from virt.events import DomainEvent, DomainEventHub
from virt.info import DomainFilter, DomainInfo
from virt.localstate.connection import LocalConnection
from virt.localstate.domains import DomainTable, LocalDomain
from virt.states import DomainState, ShutdownMode
from virt.uri import URI
from virt.uri import parse as parse_uri
from virt.xml import Domain


class FakeDriver(DomainTable[LocalDomain]):
    def __init__(self) -> None:
        super().__init__(LocalDomain, ErrorDomain.LXC)
        self.events = DomainEventHub()
        self.calls: list[str] = []
        self.closed = False

    def define(self, definition: Domain) -> LocalDomain:
        obj, _ = self.add_definition(definition, live=False)
        obj.config = definition
        return obj

    def create(self, definition: Domain) -> LocalDomain:
        obj, _ = self.add_definition(definition, live=True)
        obj.id, obj.state = 4, DomainState.RUNNING
        return obj

    def undefine(self, ref: DomainRef) -> None:
        self._remove(self.find(ref))

    def _call(self, what: str) -> Callable[..., None]:
        return lambda *args: self.calls.append(what)

    def __getattr__(self, name: str) -> Callable[..., None]:
        if name in ("start", "shutdown", "reboot", "destroy", "suspend", "resume", "set_autostart"):
            return self._call(name)
        raise AttributeError(name)

    def info(self, ref: DomainRef) -> DomainInfo:
        return DomainInfo(self.find(ref).state, 1024, 1024, 1, 0)


class FakeConnection(LocalConnection[FakeDriver]):
    driver_name = "FAKE"
    error_domain = ErrorDomain.LXC
    os_type = "exe"

    def __init__(self, uri: URI, driver: FakeDriver) -> None:
        super().__init__(uri)
        self._driver = driver

    def _release(self, driver: FakeDriver) -> None:
        driver.closed = True


def _domain(name: str) -> Domain:
    return Domain.from_xml(
        f"<domain type='lxc'><name>{name}</name><uuid>{uuid.uuid4()}</uuid><memory>1024</memory></domain>"
    )


def test_domain_operations_delegate_to_the_driver() -> None:
    driver = FakeDriver()
    conn = FakeConnection(parse_uri("fake:///"), driver)
    a = conn.define_domain(_domain("a"))
    b = conn.create_domain(_domain("b"))
    assert (a.name, a.id, b.id) == ("a", -1, 4)
    assert conn.lookup_domain_by_name("a") == a and conn.lookup_domain_by_uuid(b.uuid) == b
    assert conn.lookup_domain_by_id(4) == b
    assert conn.list_domains(DomainFilter(active=True)) == [b]
    assert conn.get_domain_state(b) == (DomainState.RUNNING, 0)
    assert conn.get_domain_os_type(a) == "exe" and not conn.has_managed_save(a)
    assert conn.is_domain_persistent(a) and not conn.is_domain_persistent(b) and conn.is_domain_active(b)
    assert conn.get_domain_definition(a).name == "a"
    conn.start_domain(a)
    conn.shutdown_domain(a, ShutdownMode.DEFAULT)
    conn.set_domain_autostart(a, True)
    assert driver.calls == ["start", "shutdown", "set_autostart"]
    for lookup, value, words in (
        (conn.lookup_domain_by_name, "c", "no domain with matching name 'c'"),
        (conn.lookup_domain_by_id, 9, "no domain with matching id 9"),
    ):
        with pytest.raises(VirtError, match=words) as missing:
            lookup(value)  # type: ignore[operator]
        assert missing.value.code == ErrorNumber.NO_DOMAIN and missing.value.domain == ErrorDomain.LXC
    assert conn.get_hostname()


def test_close_lets_go_of_the_driver_and_its_events() -> None:
    driver = FakeDriver()
    conn = FakeConnection(parse_uri("fake:///"), driver)
    seen: list[DomainEvent] = []
    conn.subscribe_domain_events(seen.append)
    conn.close()
    conn.close()
    assert driver.closed
    with pytest.raises(AssertionError):
        conn.local  # noqa: B018

"""virt.localstate.domains: domain objects and the table of them."""

from __future__ import annotations

import uuid

import pytest
from virt.driver import DomainRef
from virt.errors import ErrorDomain, ErrorNumber, VirtError
from virt.info import DomainFilter
from virt.localstate.domains import DomainTable, LocalDomain, copy_definition
from virt.states import DomainState
from virt.xml import Domain


def _domain(name: str, key: uuid.UUID | None = None) -> Domain:
    return Domain.from_xml(
        f"<domain type='kvm'><name>{name}</name><uuid>{key or uuid.uuid4()}</uuid><memory>1024</memory>"
        "<os><type>hvm</type></os></domain>"
    )


def _ref(obj: LocalDomain) -> DomainRef:
    return DomainRef(obj.name, obj.uuid, obj.id)


def test_definitions_and_state() -> None:
    config = _domain("a")
    obj = LocalDomain(config=config)
    assert (obj.name, obj.uuid, obj.active, obj.persistent) == ("a", config.uuid, False, True)
    live = copy_definition(config)
    assert live is not config and live.to_xml() == config.to_xml()
    obj.live, obj.id = live, 3
    assert obj.current is live and obj.active


def test_lookups_listing_and_locked() -> None:
    table: DomainTable[LocalDomain] = DomainTable(LocalDomain, ErrorDomain.QEMU)
    a, new = table.add_definition(_domain("a"), live=False)
    b, _ = table.add_definition(_domain("b"), live=True)
    assert new and a.persistent and not b.persistent
    b.id, b.state = 5, DomainState.RUNNING
    assert table.by_name("a") is a and table.by_uuid(b.uuid) is b and table.by_id(5) is b
    assert table.by_id(-1) is None and table.by_name("c") is None
    assert table.listing(DomainFilter(active=True)) == [b]
    assert table.listing(DomainFilter(persistent=True)) == [a]
    with table.locked(_ref(a)) as found:
        assert found is a
    assert table.add_definition(_domain("a", a.uuid), live=False) == (a, False)
    table._remove(a)
    with pytest.raises(VirtError) as gone:
        table.find(_ref(a))
    assert gone.value.code == ErrorNumber.NO_DOMAIN and gone.value.domain == ErrorDomain.QEMU
    assert f"no domain with matching uuid '{a.uuid}' (a)" in gone.value.message


def test_add_definition_refusals() -> None:
    table: DomainTable[LocalDomain] = DomainTable(LocalDomain, ErrorDomain.LXC)
    a, _ = table.add_definition(_domain("a"), live=False)
    a.id = 1
    with pytest.raises(VirtError, match="already defined with uuid") as renamed:
        table.add_definition(_domain("other", a.uuid), live=False)
    assert renamed.value.domain == ErrorDomain.DOMAIN
    with pytest.raises(VirtError, match="already exists with uuid"):
        table.add_definition(_domain("a"), live=False)
    with pytest.raises(VirtError, match="is already active") as active:
        table.add_definition(_domain("a", a.uuid), live=True)
    assert active.value.code == ErrorNumber.OPERATION_INVALID


def test_definition_a_caller_gets() -> None:
    table: DomainTable[LocalDomain] = DomainTable(LocalDomain, ErrorDomain.QEMU)
    obj, _ = table.add_definition(_domain("a"), live=False)
    assert obj.config is not None
    inactive = table.definition(_ref(obj), inactive=False)
    assert inactive is not obj.config and inactive.id is None
    obj.live, obj.id = copy_definition(obj.config), 7
    obj.live.description = "live"
    shown = table.definition(_ref(obj), inactive=False)
    assert shown.id == 7 and shown.description == "live"
    assert table.definition(_ref(obj), inactive=True).description is None

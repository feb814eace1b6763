"""virt.localstate.domains.DomainLifecycle: define, undefine, create, start, autostart over a driver's hooks."""

from __future__ import annotations

import uuid
from pathlib import Path

import attrs
import pytest
from virt.driver import DomainRef
from virt.errors import ErrorDomain, ErrorNumber, VirtError
from virt.events import DefinedDetail, DomainEventType, UndefinedDetail
from virt.localstate.definitions import DefinitionStore
from virt.localstate.domains import DomainLifecycle, LocalDomain
from virt.localstate.layout import StateLayout
from virt.states import DomainState
from virt.xml import Domain


@attrs.frozen
class Paths(StateLayout):
    state_dir: Path
    run_dir: Path


class Driver(DomainLifecycle[LocalDomain]):
    noun = "thing"

    def __init__(self, root: Path) -> None:
        super().__init__(LocalDomain, ErrorDomain.LXC)
        paths = Paths(root / "state", root / "run")
        for folder in (paths.domains_dir, paths.autostart_dir, paths.run_dir):
            folder.mkdir(parents=True, exist_ok=True)
        self.definitions = DefinitionStore(paths)
        self.events: list[tuple[str, DomainEventType, int]] = []
        self.fail: set[str] = set()

    def complete(self, definition: Domain) -> object:
        definition.description = "completed"
        return definition

    def _start(self, obj: LocalDomain, definition: Domain) -> None:
        if definition.name in self.fail:
            raise VirtError("no", ErrorNumber.OPERATION_FAILED, ErrorDomain.LXC)
        obj.live, obj.id, obj.state = definition, 1, DomainState.RUNNING

    def _emit(self, obj: LocalDomain, type_: DomainEventType, detail: int) -> None:
        self.events.append((obj.name, type_, detail))


def _domain(name: str) -> Domain:
    return Domain.from_xml(
        f"<domain type='lxc'><name>{name}</name><uuid>{uuid.uuid4()}</uuid><memory>1024</memory></domain>"
    )


def _ref(obj: LocalDomain) -> DomainRef:
    return DomainRef(obj.name, obj.uuid, obj.id)


def test_define_start_undefine(tmp_path: Path) -> None:
    driver = Driver(tmp_path)
    definition = _domain("a")
    obj = driver.define(definition)
    assert obj.config is definition and definition.description == "completed"
    assert driver.define(_domain_like(definition)) is obj
    assert [e[1:] for e in driver.events] == [
        (DomainEventType.DEFINED, DefinedDetail.ADDED),
        (DomainEventType.DEFINED, DefinedDetail.UPDATED),
    ]
    driver.start(_ref(obj))
    assert obj.active and obj.live is not obj.config
    with pytest.raises(VirtError, match="domain is already running") as again:
        driver.start(_ref(obj))
    assert again.value.domain == ErrorDomain.LXC
    driver.set_autostart(_ref(obj), True)
    assert driver.definitions.autostart("a")
    driver.undefine(_ref(obj))
    assert driver.events[-1][1:] == (DomainEventType.UNDEFINED, UndefinedDetail.REMOVED)
    assert not obj.persistent and driver.by_name("a") is obj  # running on, transient
    with pytest.raises(VirtError, match="cannot undefine transient domain"):
        driver.undefine(_ref(obj))
    with pytest.raises(VirtError, match="cannot set autostart for transient domain"):
        driver.set_autostart(_ref(obj), True)


def _domain_like(definition: Domain) -> Domain:
    return Domain.from_xml(definition.to_xml())


def test_create_failing_leaves_nothing(tmp_path: Path) -> None:
    driver = Driver(tmp_path)
    driver.fail.add("b")
    with pytest.raises(VirtError):
        driver.create(_domain("b"))
    assert driver.by_name("b") is None
    obj = driver.create(_domain("c"))
    assert obj.active and not obj.persistent


def test_autostart_once_per_boot(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    first = Driver(tmp_path)
    for name in ("a", "b", "c"):
        first.define(_domain(name))
    first.set_autostart(_ref(first.by_name("a") or pytest.fail()), True)
    first.set_autostart(_ref(first.by_name("b") or pytest.fail()), True)
    driver = Driver(tmp_path)
    for definition in driver.definitions.load_all():
        driver._add(LocalDomain(config=definition, autostart=driver.definitions.autostart(definition.name or "")))
    driver.fail.add("b")
    marker = tmp_path / "run" / "autostarted"
    driver._autostart_once(marker)
    active = {name for name in "abc" if (obj := driver.by_name(name)) is not None and obj.active}
    assert active == {"a"} and marker.exists()
    assert "autostart of thing b failed" in caplog.text
    driver.by_name("a").id = -1  # type: ignore[union-attr]
    driver._autostart_once(marker)
    assert not (driver.by_name("a") or pytest.fail()).active


def test_a_new_owner_loads_the_kept_definitions_shut_off_with_their_autostart(tmp_path: Path) -> None:
    first = Driver(tmp_path)
    kept, plain = first.define(_domain("kept")), first.define(_domain("plain"))
    first.set_autostart(_ref(kept), True)
    second = Driver(tmp_path)
    second.load_definitions()
    loaded = {obj.name: obj for obj in second.domains.values()}
    assert set(loaded) == {"kept", "plain"}
    assert loaded["kept"].uuid == kept.uuid and loaded["plain"].uuid == plain.uuid
    assert loaded["kept"].autostart and not loaded["plain"].autostart
    assert all(obj.state is DomainState.SHUTOFF and not obj.active for obj in loaded.values())

"""Plugin discovery: throwaway plugins, entry points, selective loading, broken plugins."""

from __future__ import annotations

import sys
import textwrap
import uuid
from pathlib import Path

import pytest
import virt
import virt.plugins
import virt.uri
from virt.driver import DomainRef, DriverConnection
from virt.errors import ConnectionError, NotSupported, OperationDenied
from virt.info import DomainFilter
from virt.registry import DriverRegistry


class TinyConnection(DriverConnection):
    driver_name = "Tiny"

    def get_hostname(self) -> str:
        return "tiny-host"

    def list_domains(self, filter: DomainFilter) -> list[DomainRef]:
        return [DomainRef("one", uuid.UUID(int=1))]

    def lookup_domain_by_name(self, name: str) -> DomainRef:
        return DomainRef(name, uuid.UUID(int=1))


class TinyPlugin:
    @virt.hookimpl
    def register_drivers(self, register: DriverRegistry) -> None:
        register("tiny", schemes=["tiny"], connection=TinyConnection, probe=lambda: "tiny:///")


def test_throwaway_plugin_serves_its_scheme(register_plugin) -> None:  # type: ignore[no-untyped-def]
    register_plugin(TinyPlugin())
    with virt.open("tiny:///") as conn:
        assert conn.hostname() == "tiny-host"
        assert conn.driver_name == "Tiny"
        assert [d.name for d in conn.list_domains()] == ["one"]


def test_probe_prefers_plugins_over_builtin_default(register_plugin) -> None:  # type: ignore[no-untyped-def]
    register_plugin(TinyPlugin())
    with virt.open() as conn:
        assert str(conn.uri) == "tiny:///"


def test_missing_operation_names_driver_and_operation(register_plugin) -> None:  # type: ignore[no-untyped-def]
    register_plugin(TinyPlugin())
    with virt.open("tiny:///") as conn:
        domain = conn.lookup_domain_by_name("one")
        with pytest.raises(NotSupported) as info:
            domain.reset()
        assert "'Tiny'" in info.value.message and "reset_domain" in info.value.message


def test_read_only_connection_refuses_changes(register_plugin) -> None:  # type: ignore[no-untyped-def]
    register_plugin(TinyPlugin())
    with virt.open("tiny:///", readonly=True) as conn:
        domain = conn.lookup_domain_by_name("one")
        for change in (
            domain.start,
            domain.destroy,
            domain.undefine,
            domain.suspend,
            lambda: domain.set_autostart(True),
        ):
            with pytest.raises(OperationDenied):
                change()
        with pytest.raises(OperationDenied):
            conn.define_domain("<domain/>")


class HostsPlugin:
    @virt.hookimpl
    def register_drivers(self, register: DriverRegistry) -> None:
        register("hosts", schemes=["hosts"], connection=TinyConnection, own_hosts=True)


def test_own_hosts_driver_serves_its_uris_with_a_host(register_plugin) -> None:  # type: ignore[no-untyped-def]
    register_plugin(HostsPlugin())
    registry = virt.plugins.get_plugins().drivers
    assert registry.for_uri(virt.uri.parse("hosts://example.com/")).name == "hosts"  # type: ignore[union-attr]
    assert registry.for_uri(virt.uri.parse("hosts:///")).name == "hosts"  # type: ignore[union-attr]
    # with a transport it is the remote driver's, as libvirt sends esx+ssh:// to libvirtd
    assert registry.for_uri(virt.uri.parse("hosts+ssh://example.com/")).name == "remote"  # type: ignore[union-attr]
    # other schemes with a host still go to the remote driver
    assert registry.for_uri(virt.uri.parse("test://example.com/default")).name == "remote"  # type: ignore[union-attr]
    with virt.open("hosts://example.com/") as conn:
        assert conn.hostname() == "tiny-host"


class SshHostsPlugin:
    @virt.hookimpl
    def register_drivers(self, register: DriverRegistry) -> None:
        register("sshhosts", schemes=["sshhosts"], connection=TinyConnection, own_transports=["SSH"])


def test_own_transports_driver_serves_its_uris_over_that_transport(register_plugin) -> None:  # type: ignore[no-untyped-def]
    register_plugin(SshHostsPlugin())
    registry = virt.plugins.get_plugins().drivers
    assert registry.for_uri(virt.uri.parse("sshhosts+ssh://root@example.com/system")).name == "sshhosts"  # type: ignore[union-attr]
    assert registry.for_uri(virt.uri.parse("sshhosts:///system")).name == "sshhosts"  # type: ignore[union-attr]
    # other transports, and a host without one, still go to the remote driver
    assert registry.for_uri(virt.uri.parse("sshhosts+tcp://example.com/system")).name == "remote"  # type: ignore[union-attr]
    assert registry.for_uri(virt.uri.parse("sshhosts://example.com/system")).name == "remote"  # type: ignore[union-attr]
    with virt.open("sshhosts+ssh://root@example.com/system") as conn:
        assert conn.hostname() == "tiny-host"


def test_unknown_scheme_is_a_clear_error() -> None:
    with pytest.raises(ConnectionError) as info:
        virt.open("nosuchdriver:///system")
    assert "nosuchdriver" in info.value.message


def test_closed_connection_refuses_calls() -> None:
    conn = virt.open("test:///default")
    conn.close()
    with pytest.raises(ConnectionError):
        conn.hostname()


class FailingRegisterPlugin:
    @virt.hookimpl
    def register_drivers(self, register: DriverRegistry) -> None:
        raise RuntimeError("cannot find its hypervisor library")


def test_plugin_whose_hook_fails_is_reported_and_others_still_load(register_plugin) -> None:  # type: ignore[no-untyped-def]
    plugins = register_plugin(FailingRegisterPlugin(), TinyPlugin())
    assert plugins.drivers.get("tiny") is not None
    assert plugins.drivers.get("test") is not None
    [broken] = plugins.broken.values()
    assert "cannot find its hypervisor library" in (broken.error or "")


class DuplicatePlugin:
    @virt.hookimpl
    def register_drivers(self, register: DriverRegistry) -> None:
        register("test", schemes=["test"], connection=TinyConnection)


def test_duplicate_driver_name_is_reported(register_plugin) -> None:  # type: ignore[no-untyped-def]
    plugins = register_plugin(DuplicatePlugin())
    assert plugins.drivers.get("test").connection != TinyConnection  # type: ignore[union-attr]
    assert any("registered twice" in (p.error or "") for p in plugins.broken.values())


def test_lazy_connection_class_reports_import_error(register_plugin) -> None:  # type: ignore[no-untyped-def]
    class LazyPlugin:
        @virt.hookimpl
        def register_drivers(self, register: DriverRegistry) -> None:
            register("lazy", schemes=["lazy"], connection="virt_no_such_module.driver:Conn")

    register_plugin(LazyPlugin())
    with pytest.raises(ConnectionError) as info:
        virt.open("lazy:///")
    assert "virt_no_such_module" in info.value.message


def test_opening_test_default_imports_no_other_driver(tmp_path: Path) -> None:
    """Installed plugins' hook modules load, but none of their drivers (nor the daemon, nor remote).

    The ``virt.remote`` package itself (a docstring) loads with the remote driver's plugin module.
    """
    import subprocess

    script = (
        "import os; os.environ.pop('VIRT_LOAD_PLUGINS', None);"
        "import sys, virt; c = virt.open('test:///default'); c.list_domains();"
        "print(sorted(m for m in sys.modules if m.startswith(('virt_', 'virt.remote', 'virt.daemon'))"
        " and m.count('.') and not m.endswith('.plugin') and m != 'virt.remote'))"
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


# -- entry points, through a distribution laid on sys.path --------------------------------------


def _fake_distribution(root: Path, dist: str, module: str, body: str) -> None:
    info = root / f"{dist.replace('-', '_')}-1.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text(f"[virt.drivers]\n{module} = {module}\n")
    (root / f"{module}.py").write_text(textwrap.dedent(body))


GOOD = """
    import uuid, virt
    from virt.driver import DriverConnection

    class Conn(DriverConnection):
        driver_name = "Good"
        def get_hostname(self):
            return "good-host"

    @virt.hookimpl
    def register_drivers(register):
        register("good", schemes=["good"], connection=Conn)
"""
BROKEN = """
    import virt_library_that_is_not_installed
"""


@pytest.fixture
def distributions(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    _fake_distribution(tmp_path, "virt-good", "virt_good", GOOD)
    _fake_distribution(tmp_path, "virt-broke", "broke", BROKEN)
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delenv("VIRT_LOAD_PLUGINS", raising=False)
    yield
    for name in ("virt_good", "broke"):
        sys.modules.pop(name, None)
    virt.plugins.reset()


def test_entry_points_load_and_broken_ones_are_reported(distributions) -> None:  # type: ignore[no-untyped-def]
    plugins = virt.plugins.reset()
    assert virt.open("good:///", plugins=plugins).hostname() == "good-host"
    assert plugins.broken["broke"].distribution == "virt-broke"
    assert "virt_library_that_is_not_installed" in (plugins.broken["broke"].error or "")
    described = {p.name: p for p in plugins.describe()}
    assert described["virt_good"].distribution == "virt-good"
    assert described["virt_good"].hooks == ("register_drivers",)
    assert described["broke"].error
    with pytest.raises(ConnectionError) as info:
        virt.open("broke:///", plugins=plugins)
    assert "plugin 'broke' failed to load" in info.value.message
    assert "virt_library_that_is_not_installed" in info.value.message


def test_load_plugins_selects_by_distribution_or_entry_point(distributions, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("VIRT_LOAD_PLUGINS", "virt-good")
    plugins = virt.plugins.reset()
    assert plugins.drivers.get("good") is not None
    assert plugins.drivers.get("test") is not None, "built-in plugins always load"
    assert not plugins.broken

    monkeypatch.setenv("VIRT_LOAD_PLUGINS", "")
    plugins = virt.plugins.reset()
    assert plugins.drivers.get("good") is None and not plugins.broken


def test_disabled_plugins_are_skipped(distributions, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("VIRT_DISABLED_PLUGINS", "broke,virt_good")
    plugins = virt.plugins.reset()
    assert plugins.drivers.get("good") is None
    assert not plugins.broken

"""Native configuration formats registered by plugins."""

from __future__ import annotations

import pytest
import virt
import virt.native
from virt.errors import NotSupported, VirtError
from virt.registry import NativeFormatRegistry
from virt.xml import Domain


def keyvalue_to_domain(text: str) -> Domain:
    values = dict(line.split("=", 1) for line in text.splitlines() if line.strip())
    return Domain.from_xml(
        f"<domain type='test'><name>{values['name']}</name><memory unit='MiB'>{values['memory']}</memory></domain>"
    )


def domain_to_keyvalue(domain: Domain) -> str:
    return f"name={domain.name}\nmemory={(domain.memory or 0) // 1024}\n"


class KeyValuePlugin:
    @virt.hookimpl
    def register_native_formats(self, register: NativeFormatRegistry) -> None:
        register("keyvalue", from_native=keyvalue_to_domain, to_native=domain_to_keyvalue)
        register("lazy-missing", from_native="virt_no_such_module:convert")


def test_round_trip_through_a_registered_format(register_plugin) -> None:  # type: ignore[no-untyped-def]
    register_plugin(KeyValuePlugin())
    xml = virt.native.from_native("keyvalue", "name=web\nmemory=512\n")
    assert Domain.from_xml(xml).memory == 512 * 1024
    assert virt.native.to_native("keyvalue", xml) == "name=web\nmemory=512\n"


def test_unknown_format_lists_the_installed_ones(register_plugin) -> None:  # type: ignore[no-untyped-def]
    register_plugin(KeyValuePlugin())
    with pytest.raises(NotSupported) as info:
        virt.native.from_native("vmware-vmx", "")
    assert "'vmware-vmx'" in info.value.message and "keyvalue" in info.value.message


def test_missing_direction_and_broken_reference(register_plugin) -> None:  # type: ignore[no-untyped-def]
    register_plugin(KeyValuePlugin())
    with pytest.raises(NotSupported):
        virt.native.to_native("lazy-missing", "<domain type='test'><name>x</name></domain>")
    with pytest.raises(VirtError) as info:
        virt.native.from_native("lazy-missing", "x")
    assert "virt_no_such_module" in info.value.message

"""``virt domxml-from-native`` / ``domxml-to-native`` over a format a throwaway plugin registers."""

from __future__ import annotations

from pathlib import Path

import virt
from cli_helpers import Run
from virt.registry import NativeFormatRegistry
from virt.xml import Domain


class NamesOnly:
    """A toy native format: one line, the domain's name."""

    @virt.hookimpl
    def register_native_formats(self, register: NativeFormatRegistry) -> None:
        register(
            "names-only",
            from_native=lambda text: Domain.from_xml(f"<domain type='test'><name>{text.strip()}</name></domain>"),
            to_native=lambda domain: f"{domain.name}\n",
        )


def test_to_and_from_native(virt: Run, register_plugin, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    register_plugin(NamesOnly())
    config = tmp_path / "vm.cfg"
    config.write_text("web\n")
    result = virt("domxml-from-native", "names-only", str(config), uri=None)
    assert result.status == 0 and "<name>web</name>" in result.out
    xml = tmp_path / "vm.xml"
    xml.write_text(result.out)
    result = virt("domxml-to-native", "names-only", str(xml), uri=None)
    assert (result.status, result.out.strip()) == (0, "web")


def test_unknown_format_is_a_clear_error(virt: Run, tmp_path: Path) -> None:
    xml = tmp_path / "vm.xml"
    xml.write_text("<domain type='test'><name>x</name></domain>")
    result = virt("domxml-to-native", "no-such-format", str(xml), uri=None)
    assert result.status == 1
    assert "native format 'no-such-format' is not supported" in result.err


def test_with_a_uri_the_connections_driver_converts(virt: Run, register_plugin, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """As virsh: ``-c URI`` asks that driver (libvirt's test driver converts no format); the text
    comes out as the conversion gives it, then virsh's blank line."""
    register_plugin(NamesOnly())
    xml = tmp_path / "vm.xml"
    xml.write_text("<domain type='test'><name>web</name></domain>")
    result = virt("domxml-to-native", "names-only", str(xml))
    assert result.status == 1
    assert "this function is not supported by the connection driver: virConnectDomainXMLToNative" in result.err
    result = virt("domxml-to-native", "names-only", str(xml), uri=None)
    assert (result.status, result.out) == (0, "web\n\n")

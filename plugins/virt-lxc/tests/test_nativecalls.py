"""virConnectDomainXMLFromNative of lxc:// (virt_lxc.nativecalls): an lxc-tools configuration of the
conformance corpus through the connection's call gives what the format converter gives, and other
formats and flags are refused in libvirt's LXC driver's words."""

from __future__ import annotations

import pytest
from virt.errors import ErrorDomain, ErrorNumber, VirtError
from virt.testing import require_corpus
from virt.xml import Domain
from virt_lxc.lxctools import from_native
from virt_lxc.nativecalls import LxcNativeCalls


def test_an_lxc_tools_configuration_through_the_connection_call() -> None:
    config = (require_corpus("lxc-tools-to-xml") / "lxcconf2xml-simple.config").read_text()
    xml = LxcNativeCalls().domain_xml_from_native("lxc-tools", config, 0)
    assert Domain.from_xml(xml).name == from_native(config).name


@pytest.mark.parametrize(
    ("native_format", "flags", "message", "code"),
    [
        ("qemu-argv", 0, "invalid argument: unsupported config type qemu-argv", ErrorNumber.INVALID_ARG),
        ("lxc-tools", 1, "unsupported flags (0x1) in function lxcConnectDomainXMLFromNative", ErrorNumber.INVALID_ARG),
    ],
)
def test_refusals(native_format: str, flags: int, message: str, code: ErrorNumber) -> None:
    with pytest.raises(VirtError) as refused:
        LxcNativeCalls().domain_xml_from_native(native_format, "lxc.uts.name = x\n", flags)
    assert (refused.value.message, refused.value.code, refused.value.domain) == (message, code, ErrorDomain.LXC)

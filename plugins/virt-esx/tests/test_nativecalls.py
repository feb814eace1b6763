"""virConnectDomainXMLFromNative/ToNative of esx:// (virt_esx.nativecalls): a .vmx of the conformance
corpus through the connection's calls gives what the vmx converter gives, both ways, and other
formats and flags are refused in libvirt's ESX driver's words."""

from __future__ import annotations

import pytest
from virt.errors import ErrorDomain, ErrorNumber, VirtError
from virt.testing import require_corpus
from virt.xml import Domain
from virt_esx.nativecalls import EsxNativeCalls
from virt_esx.vmx import to_native


def test_a_vmx_both_ways_through_the_connection_calls() -> None:
    vmx = (require_corpus("vmware-vmx-to-xml") / "case-insensitive-1.vmx").read_text()
    calls = EsxNativeCalls()
    xml = calls.domain_xml_from_native("vmware-vmx", vmx, 0)
    assert calls.domain_xml_to_native("vmware-vmx", xml, 0) == to_native(Domain.from_xml(xml))


@pytest.mark.parametrize(
    ("native_format", "flags", "message"),
    [
        ("qemu-argv", 0, "invalid argument: Unsupported config format 'qemu-argv'"),
        ("vmware-vmx", 1, "unsupported flags (0x1) in function esxConnectDomainXMLFromNative"),
    ],
)
def test_refusals(native_format: str, flags: int, message: str) -> None:
    with pytest.raises(VirtError) as refused:
        EsxNativeCalls().domain_xml_from_native(native_format, 'config.version = "8"\n', flags)
    assert (refused.value.message, refused.value.code, refused.value.domain) == (
        message,
        ErrorNumber.INVALID_ARG,
        ErrorDomain.ESX,
    )

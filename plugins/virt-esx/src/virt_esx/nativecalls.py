"""virConnectDomainXMLFromNative/ToNative of ``esx://`` connections (a mixin of EsxConnection):
the ``vmware-vmx`` format only, with libvirt 9.0's ESX driver's words for any other."""

from __future__ import annotations

from virt.errors import ErrorDomain, ErrorNumber, InvalidArgument, libvirt_error

VMX_FORMAT = "vmware-vmx"


def _check(native_format: str, flags: int, function: str) -> None:
    if flags:
        message = f"unsupported flags (0x{flags:x}) in function {function}"
        raise InvalidArgument(message, ErrorNumber.INVALID_ARG, ErrorDomain.ESX)
    if native_format != VMX_FORMAT:
        raise libvirt_error(ErrorNumber.INVALID_ARG, f"Unsupported config format '{native_format}'", ErrorDomain.ESX)


class EsxNativeCalls:
    """The native format methods of EsxConnection (virt_esx.vmx through virt.native)."""

    def domain_xml_from_native(self, native_format: str, native_config: str, flags: int) -> str:
        from virt.native import from_native

        _check(native_format, flags, "esxConnectDomainXMLFromNative")
        return from_native(VMX_FORMAT, native_config)

    def domain_xml_to_native(self, native_format: str, domain_xml: str, flags: int) -> str:
        from virt.native import to_native

        _check(native_format, flags, "esxConnectDomainXMLToNative")
        return to_native(VMX_FORMAT, domain_xml)

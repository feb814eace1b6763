"""virConnectDomainXMLFromNative of ``lxc://`` connections (a mixin of LxcConnection): an LXC tools
configuration (``lxc-tools``), with libvirt 9.0's LXC driver's words for any other format."""

from __future__ import annotations

from virt.errors import ErrorDomain, ErrorNumber, InvalidArgument, libvirt_error

LXC_TOOLS_FORMAT = "lxc-tools"


class LxcNativeCalls:
    """The native format method of LxcConnection (virt_lxc.lxctools through virt.native)."""

    def domain_xml_from_native(self, native_format: str, native_config: str, flags: int) -> str:
        from virt.native import from_native

        if flags:
            message = f"unsupported flags (0x{flags:x}) in function lxcConnectDomainXMLFromNative"
            raise InvalidArgument(message, ErrorNumber.INVALID_ARG, ErrorDomain.LXC)
        if native_format != LXC_TOOLS_FORMAT:
            raise libvirt_error(ErrorNumber.INVALID_ARG, f"unsupported config type {native_format}", ErrorDomain.LXC)
        return from_native(LXC_TOOLS_FORMAT, native_config)

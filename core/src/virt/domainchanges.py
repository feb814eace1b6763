"""The values and shared rules of the calls that change a running or defined domain.

virDomainSetMemoryFlags, SetVcpusFlags, PinVcpuFlags, PinEmulator, SendKey, Set/GetMetadata,
UndefineFlags, ManagedSave, InterfaceAddresses, GetFSInfo, FSFreeze/Thaw and GetHostname: the
flag sets and result records they exchange, and the rules every driver applies the same way
(which definition a modification-impact flag picks, metadata on a definition, host CPU lists).
The words of the errors are libvirt's.
"""

from __future__ import annotations

import enum
from typing import TYPE_CHECKING

import attrs

from virt.errors import ErrorDomain, ErrorNumber, InvalidArgument, VirtError, libvirt_error

if TYPE_CHECKING:
    from lxml import etree

    from virt.xml import Domain


class Impact(enum.IntFlag):
    """virDomainModificationImpact: CURRENT (0) is the live definition of an active domain, else the persistent one."""

    CURRENT = 0
    LIVE = 1
    CONFIG = 2


class UndefineFlags(enum.IntFlag):
    """virDomainUndefineFlagsValues."""

    NONE = 0
    MANAGED_SAVE = 1
    SNAPSHOTS_METADATA = 2
    NVRAM = 4
    KEEP_NVRAM = 8
    CHECKPOINTS_METADATA = 16
    TPM = 32
    KEEP_TPM = 64


class SaveFlags(enum.IntFlag):
    """virDomainSaveRestoreFlags that managed save takes."""

    NONE = 0
    BYPASS_CACHE = 1
    RUNNING = 2
    PAUSED = 4


class MetadataType(enum.IntEnum):
    """virDomainMetadataType."""

    DESCRIPTION = 0
    TITLE = 1
    ELEMENT = 2


class AddressSource(enum.IntEnum):
    """virDomainInterfaceAddressesSource."""

    LEASE = 0
    AGENT = 1
    ARP = 2


class HostnameSource(enum.IntFlag):
    """virDomainGetHostnameFlags: where the guest's host name is learnt (none given: the driver's choice)."""

    DEFAULT = 0
    LEASE = 1
    AGENT = 2


class IPAddressType(enum.IntEnum):
    """virIPAddrType."""

    IPV4 = 0
    IPV6 = 1


@attrs.frozen
class IPAddress:
    type: IPAddressType
    address: str
    prefix: int


@attrs.frozen
class DomainInterface:
    """One guest network interface and its addresses (virDomainInterface); ``hwaddr`` None when unknown."""

    name: str
    hwaddr: str | None
    addresses: tuple[IPAddress, ...] = ()


@attrs.frozen
class FilesystemInfo:
    """One mounted guest filesystem (virDomainFSInfo): the disks it lives on by their target names."""

    mountpoint: str
    name: str
    fstype: str
    devices: tuple[str, ...] = ()


# -- modification impact ---------------------------------------------------------------------------
def not_running() -> VirtError:
    return libvirt_error(ErrorNumber.OPERATION_INVALID, "domain is not running", ErrorDomain.DOMAIN)


def resolve_impact(impact: Impact, *, active: bool, persistent: bool) -> tuple[bool, bool]:
    """(live, config): the definitions ``impact`` changes, by libvirt's virDomainObjUpdateModificationImpact."""
    impact = Impact(impact)
    if impact == Impact.CURRENT:
        impact = Impact.LIVE if active else Impact.CONFIG
    live, config = bool(impact & Impact.LIVE), bool(impact & Impact.CONFIG)
    if live and not active:
        raise not_running()
    if config and not persistent:
        raise libvirt_error(
            ErrorNumber.OPERATION_INVALID, "transient domains do not have any persistent config", ErrorDomain.DOMAIN
        )
    return live, config


def one_definition(impact: Impact, *, active: bool, persistent: bool) -> bool:
    """Whether a read picks the live definition (True) or the persistent one (virDomainObjGetOneDef)."""
    if Impact(impact) & Impact.LIVE and Impact(impact) & Impact.CONFIG:
        raise exclusive_flags()
    live, _ = resolve_impact(impact, active=active, persistent=persistent)
    return live


def exclusive_flags() -> VirtError:
    return InvalidArgument(
        "Flags 'VIR_DOMAIN_AFFECT_LIVE' and 'VIR_DOMAIN_AFFECT_CONFIG' are mutually exclusive",
        ErrorNumber.INVALID_ARG,
        ErrorDomain.DOMAIN,
    )


# -- memory and processors on a definition ---------------------------------------------------------
def set_memory(definition: Domain, kib: int, *, maximum: bool, error_domain: ErrorDomain) -> None:
    """The balloon target (or with ``maximum`` the maximum, lowering the target with it) of a definition."""
    if maximum:
        definition.memory = kib
        if (definition.current_memory or 0) > kib:
            definition.current_memory = kib
        return
    if kib > (definition.memory or 0):
        raise libvirt_error(ErrorNumber.INVALID_ARG, "cannot set memory higher than max memory", error_domain)
    definition.current_memory = kib


def vcpus_of(definition: Domain) -> tuple[int, int]:
    """(current, maximum) vCPUs of a definition."""
    vcpu = definition.vcpu
    maximum = (vcpu.count if vcpu is not None else None) or 1
    current = (vcpu.current if vcpu is not None else None) or maximum
    return current, maximum


def set_vcpus(definition: Domain, count: int, *, maximum: bool) -> None:
    """virDomainDefSetVcpus / virDomainDefSetVcpusMax on a definition (``current`` omitted when it is the maximum)."""
    from virt.xml.domain import Vcpu

    vcpu = definition.vcpu
    if vcpu is None:
        vcpu = definition.vcpu = Vcpu()
        vcpu.placement = "static"
    current, top = vcpus_of(definition)
    if maximum:
        top = count
        current = min(current, count)
    else:
        current = count
    vcpu.count = top
    vcpu.current = current if current != top else None


# -- host CPU lists ---------------------------------------------------------------------------------
def parse_cpuset(text: str) -> frozenset[int]:
    """The host CPUs of a cpuset attribute (``0-3,^2,6``); InvalidArgument naming the text when malformed."""
    chosen: set[int] = set()
    try:
        for part in text.split(","):
            part = part.strip()
            if not part:
                raise ValueError(part)
            negate = part.startswith("^")
            low, _, high = part.lstrip("^").partition("-")
            first, last = int(low), int(high) if high else int(low)
            if first < 0 or last < first:
                raise ValueError(part)
            (chosen.difference_update if negate else chosen.update)(range(first, last + 1))
    except ValueError:
        raise InvalidArgument(f"Failed to parse bitmap '{text}'") from None
    return frozenset(chosen)


def _cputune(definition: Domain) -> object:
    from virt.xml.domain import CPUTune

    if definition.cputune is None:
        definition.cputune = CPUTune()
    return definition.cputune


def set_vcpu_pin(definition: Domain, vcpu: int, cpus: frozenset[int] | None) -> None:
    """Record a vCPU's pinning in ``<cputune>`` (None: remove it, the vCPU runs where the domain may)."""
    from lxml import etree

    from virt.xml.convert import CPUSET

    tune = _cputune(definition)
    pins: list[etree._Element] = [e for e in tune.vcpupins if e.get("vcpu") != str(vcpu)]  # type: ignore[attr-defined]
    if cpus is not None:
        pins.append(etree.Element("vcpupin", vcpu=str(vcpu), cpuset=CPUSET.format(cpus)))
    pins.sort(key=lambda e: int(e.get("vcpu") or 0))
    tune.vcpupins = pins  # type: ignore[attr-defined]
    _drop_empty_cputune(definition)


def set_emulator_pin(definition: Domain, cpus: frozenset[int]) -> None:
    from lxml import etree

    from virt.xml.convert import CPUSET

    tune = _cputune(definition)
    tune.emulatorpin = etree.Element("emulatorpin", cpuset=CPUSET.format(cpus))  # type: ignore[attr-defined]


def _drop_empty_cputune(definition: Domain) -> None:
    from virt.xml.domain import CPUTune

    if definition.cputune == CPUTune():
        definition.cputune = None


# -- metadata ---------------------------------------------------------------------------------------
def metadata_not_found() -> VirtError:
    return VirtError(
        "metadata not found: Requested metadata element is not present",
        ErrorNumber.NO_DOMAIN_METADATA,
        ErrorDomain.DOMAIN,
    )


def unknown_metadata_type(kind: int) -> VirtError:
    return libvirt_error(ErrorNumber.INVALID_ARG, f"unknown metadata type '{kind}'", ErrorDomain.DOMAIN)


def get_metadata(definition: Domain, kind: int, uri: str | None) -> str:
    """virDomainDefGetMetadata: the description, the title, or the element in namespace ``uri`` (without it)."""
    if kind == MetadataType.DESCRIPTION:
        value = definition.description
    elif kind == MetadataType.TITLE:
        value = definition.title
    elif kind == MetadataType.ELEMENT:
        element = _metadata_element(definition.metadata, uri or "")
        value = _without_namespace(element) if element is not None else None
    else:
        raise unknown_metadata_type(kind)
    if not value:
        raise metadata_not_found()
    return value


def set_metadata(definition: Domain, kind: int, value: str | None, key: str | None, uri: str | None) -> None:
    """virDomainDefSetMetadata: empty or None removes; an element goes in ``<metadata>`` as ``key:tag`` of ``uri``."""
    if kind == MetadataType.DESCRIPTION:
        definition.description = value or None
    elif kind == MetadataType.TITLE:
        definition.title = value or None
    elif kind == MetadataType.ELEMENT:
        _set_metadata_element(definition, value, key or "", uri or "")
    else:
        raise unknown_metadata_type(kind)


def _metadata_element(metadata: etree._Element | None, uri: str) -> etree._Element | None:
    if metadata is None:
        return None
    for element in metadata:
        if isinstance(element.tag, str) and element.tag.startswith(f"{{{uri}}}"):
            return element
    return None


def _without_namespace(element: etree._Element) -> str:
    from lxml import etree

    copy = etree.fromstring(etree.tostring(element))
    for node in copy.iter():
        if isinstance(node.tag, str) and node.tag.startswith("{"):
            node.tag = node.tag.split("}", 1)[1]
    etree.cleanup_namespaces(copy)
    etree.indent(copy, space="  ")
    return str(etree.tostring(copy, encoding="unicode"))


def _set_metadata_element(definition: Domain, value: str | None, key: str, uri: str) -> None:
    from lxml import etree

    metadata = definition.metadata
    if metadata is None:
        metadata = etree.Element("metadata")
    old = _metadata_element(metadata, uri)
    new: etree._Element | None = None
    if value:
        try:
            parsed = etree.fromstring(value.encode())
        except etree.XMLSyntaxError as exc:
            raise VirtError(
                f"(metadata_xml):{exc.lineno}: {exc.msg}", ErrorNumber.XML_DETAIL, ErrorDomain.DOMAIN
            ) from None
        new = etree.Element(f"{{{uri}}}{_local(parsed.tag)}", nsmap={key: uri})
        _copy_into(parsed, new, uri)
    if old is not None:
        if new is not None:
            old.addnext(new)
        metadata.remove(old)
    elif new is not None:
        metadata.append(new)
    definition.metadata = metadata


def _local(tag: object) -> str:
    text = str(tag)
    return text.split("}", 1)[1] if text.startswith("{") else text


def _copy_into(source: etree._Element, target: etree._Element, uri: str) -> None:
    """``source``'s attributes, text and children, every element moved into namespace ``uri``."""
    from lxml import etree

    for name, attribute_value in source.attrib.items():
        target.set(name, attribute_value)
    target.text = source.text
    for child in source:
        if not isinstance(child.tag, str):
            continue
        copied = etree.SubElement(target, f"{{{uri}}}{_local(child.tag)}")
        _copy_into(child, copied, uri)
        copied.tail = child.tail

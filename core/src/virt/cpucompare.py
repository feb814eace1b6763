"""virConnectCompareCPU on x86 as libvirt 9.0 answers it: the guest <cpu> (its model's features
from libvirt's CPU map, plus and minus its own feature policies) against the host CPU's features.
INCOMPATIBLE when the host lacks one the guest needs (or has one it forbids, or another vendor),
IDENTICAL when they have the same features, SUPERSET when the host has more; ``host-model`` and
``host-passthrough`` CPUs are the host's own (SUPERSET, as libvirt answers). The host's features
are read from /proc/cpuinfo's ``flags`` (the kernel's names, some spelt differently from libvirt's:
``_ALIASES``). Errors in libvirt's words and numbers."""

from __future__ import annotations

from pathlib import Path

from lxml import etree

from virt.errors import ErrorDomain, ErrorNumber, InvalidArgument, VirtError, XMLError, libvirt_error
from virt.hostcalls import CompareCPUFlags, CPUCompareResult

_CPU = ErrorDomain.CPU
_ALIASES = {
    "pclmuldq": "pclmulqdq",
    "sse4.1": "sse4_1",
    "sse4.2": "sse4_2",
    "tsc-deadline": "tsc_deadline_timer",
    "pause-filter": "pausefilter",
    "cr8legacy": "cr8_legacy",
    "fxsr_opt": "fxsr_opt",
    "cmp_legacy": "cmp_legacy",
    "perfctr_core": "perfctr_core",
    "lahf_lm": "lahf_lm",
}
"""libvirt's feature names whose /proc/cpuinfo spelling is not the name with '-' as '_'."""
_REQUIRED = ("require", "force")
_FORBIDDEN = ("forbid", "disable")


def host_features(cpuinfo: Path = Path("/proc/cpuinfo")) -> tuple[str | None, frozenset[str]]:
    """The host processor's vendor (libvirt's name: Intel, AMD, Hygon) and its flags."""
    vendor, flags = None, frozenset[str]()
    for line in cpuinfo.read_text(errors="replace").splitlines():
        key, _, value = line.partition(":")
        if key.strip() == "vendor_id" and vendor is None:
            vendor = {"GenuineIntel": "Intel", "AuthenticAMD": "AMD", "HygonGenuine": "Hygon"}.get(value.strip())
        elif key.strip() == "flags" and not flags:
            flags = frozenset(value.split())
    return vendor, flags


def _on_host(feature: str, flags: frozenset[str]) -> bool:
    return feature in flags or _ALIASES.get(feature, feature.replace("-", "_")) in flags


def compare(
    xml: str,
    flags: int,
    host_vendor: str | None,
    host_flags: frozenset[str],
    *,
    function: str = "virConnectCompareCPU",
    error_domain: ErrorDomain = ErrorDomain.NONE,
) -> CPUCompareResult:
    """``function`` and ``error_domain``: the driver's, for its refusal of unknown flags."""
    unknown = flags & ~int(CompareCPUFlags.FAIL_INCOMPATIBLE | CompareCPUFlags.VALIDATE_XML)
    if unknown:
        message = f"unsupported flags (0x{unknown:x}) in function {function}"
        raise InvalidArgument(message, ErrorNumber.INVALID_ARG, error_domain)
    cpu = _parse(xml, validate=bool(flags & CompareCPUFlags.VALIDATE_XML))
    mode = cpu.get("mode", "custom")
    if mode in ("host-model", "host-passthrough", "maximum"):
        return CPUCompareResult.SUPERSET
    result, why = _compare_custom(cpu, host_vendor, host_flags)
    if result is CPUCompareResult.INCOMPATIBLE and flags & CompareCPUFlags.FAIL_INCOMPATIBLE:
        detail = f": {why}" if why else ""
        raise VirtError(f"the CPU is incompatible with host CPU{detail}", ErrorNumber.CPU_INCOMPATIBLE, _CPU)
    return result


def _parse(xml: str, *, validate: bool) -> etree._Element:
    from virt.cpubaseline import parse_error_text
    from virt.xml.base import parse_document

    try:
        root = parse_document(xml)
    except XMLError as exc:
        raise VirtError(parse_error_text("(CPU_definition)", xml, exc), ErrorNumber.XML_DETAIL, _CPU) from None
    cpu = root if root.tag == "cpu" else root.find(".//cpu")
    if cpu is None:
        raise libvirt_error(ErrorNumber.XML_ERROR, "XML does not contain expected 'cpu' element", _CPU)
    if validate:
        from virt.xml.schema import schema_problems

        problems = schema_problems(cpu)
        if problems:
            detail = "\n".join(str(p) for p in problems)
            raise libvirt_error(ErrorNumber.XML_INVALID_SCHEMA, detail, ErrorDomain.DOMAIN)
    return cpu


def _compare_custom(
    cpu: etree._Element, host_vendor: str | None, host_flags: frozenset[str]
) -> tuple[CPUCompareResult, str | None]:
    """The result, and for an incompatible CPU why (libvirt's message)."""
    from virt import cpumap_x86

    cpu_map = cpumap_x86.cpu_map()
    model_name = (cpu.findtext("model") or "").strip()
    wanted: set[str] = set()
    vendor = (cpu.findtext("vendor") or "").strip() or None
    if model_name:
        model = next((m for m in cpu_map.models if m.name == model_name), None)
        if model is None:
            raise libvirt_error(ErrorNumber.INTERNAL_ERROR, f"Unknown CPU model {model_name}", _CPU)
        wanted |= model.features
        vendor = vendor or model.vendor
    forbidden: set[str] = set()
    for feature in cpu.iterfind("feature"):
        name, policy = feature.get("name", ""), feature.get("policy", "require")
        if name not in cpu_map.features:
            raise libvirt_error(ErrorNumber.INTERNAL_ERROR, f"Unknown CPU feature {name}", _CPU)
        if policy in _REQUIRED:
            wanted.add(name)
        elif policy in _FORBIDDEN:
            wanted.discard(name)
            if policy == "forbid":
                forbidden.add(name)
    lacking = [f for f in cpu_map.features if f in wanted and not _on_host(f, host_flags)]
    if lacking:
        return CPUCompareResult.INCOMPATIBLE, f"Host CPU does not provide required features: {', '.join(lacking)}"
    if vendor is not None and host_vendor is not None and vendor != host_vendor:
        return CPUCompareResult.INCOMPATIBLE, f"host CPU vendor does not match required CPU vendor {vendor}"
    present = [f for f in cpu_map.features if f in forbidden and _on_host(f, host_flags)]
    if present:
        return CPUCompareResult.INCOMPATIBLE, f"Host CPU provides forbidden features: {', '.join(present)}"
    known_on_host = {f for f in cpu_map.features if _on_host(f, host_flags)}
    return (CPUCompareResult.IDENTICAL if known_on_host <= wanted else CPUCompareResult.SUPERSET), None


def compare_with_host(xml: str, flags: int, *, function: str, error_domain: ErrorDomain) -> CPUCompareResult:
    """``compare`` against this host's processor."""
    vendor, found = host_features()
    return compare(xml, flags, vendor, found, function=function, error_domain=error_domain)

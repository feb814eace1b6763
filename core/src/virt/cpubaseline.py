"""virConnectBaselineCPU as libvirt 9.0's CPU drivers compute it: the guest CPU (a model, its vendor,
the features to add or take away) that each of the given host CPUs can run.

x86 (i686, x86_64): the features common to every CPU (each CPU's model's features and its own),
then the model of the CPU map needing the fewest features added or disabled to match them (the
CPUs' own model when they all name the same one), within the CPUs' vendor. ppc64: every CPU must
name the same model. ARM: the first CPU's model. The words and error numbers are libvirt's.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, NamedTuple
from xml.sax.saxutils import escape

from virt.errors import ErrorDomain, ErrorNumber, VirtError, XMLError, libvirt_error

if TYPE_CHECKING:
    from virt.cpumap_x86 import X86Model

EXPAND_FEATURES = 1  # VIR_CONNECT_BASELINE_CPU_EXPAND_FEATURES
MIGRATABLE = 2  # VIR_CONNECT_BASELINE_CPU_MIGRATABLE

_X86 = frozenset({"i686", "x86_64"})
_PPC64 = frozenset({"ppc64", "ppc64le"})
_ARM = frozenset({"armv6l", "armv7l", "armv7b", "aarch64"})
_S390 = frozenset({"s390", "s390x"})
# libvirt 9.0's ppc64 CPU map: each model's vendor
_PPC64_MODEL_VENDORS = {
    **dict.fromkeys(("POWER6", "POWER7", "POWER8", "POWER9", "POWER10"), "IBM"),
    **dict.fromkeys(("POWERPC_e5500", "POWERPC_e6500"), "Freescale"),
}
_APOS = {"'": "&apos;"}


class HostCPU(NamedTuple):
    """One parsed <cpu> of the caller (libvirt's host CPU definition: features have no policy)."""

    arch: str
    model: str
    vendor: str | None
    features: tuple[str, ...]


class GuestCPU(NamedTuple):
    """The baseline: a model, whether a hypervisor may fall back from it, its vendor, and its
    features as (name, ``require`` or ``disable``) in the order libvirt lists them."""

    model: str
    fallback: str
    vendor: str | None = None
    features: tuple[tuple[str, str], ...] = ()

    def to_xml(self) -> str:
        """virCPUDefFormat's text of a guest CPU."""
        lines = [
            "<cpu mode='custom' match='exact'>",
            f"  <model fallback='{self.fallback}'>{escape(self.model)}</model>",
        ]
        if self.vendor is not None:
            lines.append(f"  <vendor>{escape(self.vendor)}</vendor>")
        lines += [f"  <feature policy='{policy}' name='{escape(name, _APOS)}'/>" for name, policy in self.features]
        lines.append("</cpu>")
        return "\n".join(lines) + "\n"


def _error(code: ErrorNumber, detail: str) -> VirtError:
    return libvirt_error(code, detail, ErrorDomain.CPU)


def _not_supported(detail: str) -> VirtError:
    # a VirtError, not NotSupported: the words are the CPU driver's, not those of a missing operation
    return VirtError(
        f"this function is not supported by the connection driver: {detail}", ErrorNumber.NO_SUPPORT, ErrorDomain.CPU
    )


# -- parsing ------------------------------------------------------------------------------------------
def parse_error_text(name: str, text: str, error: XMLError) -> str:
    """libvirt's words for XML it cannot parse (its catchXMLError): ``NAME:LINE: what``, the line,
    and a caret under the place."""
    import re

    detail = str(error).removeprefix("malformed XML: ")
    found = re.match(r"(.*), line (\d+), column (\d+)", detail, re.DOTALL)
    if found is None:
        return f"{name}:1: {detail}"
    line, column = int(found.group(2)), int(found.group(3))
    lines = text.splitlines()
    context = lines[line - 1] if 0 < line <= len(lines) else ""
    return f"{name}:{line}: {found.group(1)}\n{context[:80]}\n{'-' * max(column - 1, 0)}^"


def parse_host_cpu(text: str) -> HostCPU:
    """A <cpu> as virCPUDefParseXML reads a host CPU, with its errors."""
    from virt.cpumodels import ARCHITECTURES
    from virt.xml.base import parse_document

    try:
        root = parse_document(text)
    except XMLError as exc:
        raise VirtError(
            parse_error_text("(CPU_definition)", text, exc), ErrorNumber.XML_DETAIL, ErrorDomain.CPU
        ) from None
    if root.tag != "cpu":
        raise _error(ErrorNumber.XML_ERROR, "XML does not contain expected 'cpu' element")
    if root.get("mode") is not None:
        raise _error(ErrorNumber.CONFIG_UNSUPPORTED, "Attribute mode is only allowed for guest CPU")
    arch = root.findtext("arch")
    if arch is None:
        raise _error(ErrorNumber.XML_ERROR, "Missing CPU architecture")
    if arch not in ARCHITECTURES:
        raise _error(ErrorNumber.CONFIG_UNSUPPORTED, f"Unknown architecture {arch}")
    model = root.findtext("model")
    if model is None:
        raise _error(ErrorNumber.XML_ERROR, "Missing CPU model name")
    features: list[str] = []
    for element in root.iterchildren("feature"):
        name = element.get("name")
        if not name:
            raise _error(ErrorNumber.XML_ERROR, "Invalid CPU feature name")
        if name in features:
            raise _error(ErrorNumber.XML_ERROR, f"CPU feature '{name}' specified more than once")
        features.append(name)
    return HostCPU(arch, model, root.findtext("vendor"), tuple(features))


# -- x86 ----------------------------------------------------------------------------------------------
def _x86_data(cpu: HostCPU) -> set[str]:
    """The features of the CPU's model and its own (x86ModelFromCPU)."""
    from virt.cpumap_x86 import cpu_map

    model = _x86_model(cpu.model)
    data = set(model.features)
    for name in cpu.features:
        if name not in cpu_map().features:
            raise _error(ErrorNumber.INTERNAL_ERROR, f"Unknown CPU feature {name}")
        data.add(name)
    return data


def _x86_model(name: str) -> X86Model:
    from virt.cpumap_x86 import cpu_map

    for model in cpu_map().models:
        if model.name == name:
            return model
    raise _error(ErrorNumber.INTERNAL_ERROR, f"Unknown CPU model {name}")


def _x86_vendor(name: str) -> str:
    from virt.cpumap_x86 import cpu_map

    if name not in cpu_map().vendors:
        raise _error(ErrorNumber.OPERATION_FAILED, f"Unknown CPU vendor {name}")
    return name


def _x86_features(data: set[str], model: X86Model) -> list[tuple[str, str]]:
    """What ``model`` needs to match ``data``: the features it lacks, required; those it has that
    ``data`` lacks, and those QEMU removed from it that ``data`` lacks, disabled."""
    from virt.cpumap_x86 import cpu_map

    required = [(name, "require") for name in cpu_map().features if name in data and name not in model.features]
    disabled = [(name, "disable") for name in cpu_map().features if name in model.features and name not in data]
    disabled += [(name, "disable") for name in model.removed if name not in data]
    return required + disabled


def _score(features: list[tuple[str, str]]) -> tuple[int, int]:
    """libvirt's virCPUx86CompareCandidateFeatureList: (score, penalty) of a candidate's changes,
    where each disabled feature weighs more than the one before (2, 3, 4...). Its loop stops at the
    count of enabled features as it shrinks, so trailing disabled features may go uncounted: kept,
    since it decides which model libvirt picks."""
    enabled, penalty, weight = len(features), 0, 2
    index = 0
    while index < enabled:
        if features[index][1] == "disable":
            enabled -= 1
            penalty += weight
            weight += 1
        index += 1
    return enabled + penalty, penalty


def _x86_baseline(cpus: Sequence[HostCPU]) -> GuestCPU:
    from virt.cpumap_x86 import cpu_map

    data = _x86_data(cpus[0])
    vendor = _x86_vendor(cpus[0].vendor) if cpus[0].vendor is not None else None
    preferred: str | None = cpus[0].model
    for cpu in cpus[1:]:
        model = _x86_model(cpu.model)
        own = _x86_data(cpu)
        if cpu.vendor is not None and model.vendor is not None and cpu.vendor != model.vendor:
            raise _error(
                ErrorNumber.OPERATION_FAILED,
                f"CPU vendor {model.vendor} of model {model.name} differs from vendor {cpu.vendor}",
            )
        named = cpu.vendor if cpu.vendor is not None else model.vendor
        if named is not None:
            if vendor is None:
                vendor = _x86_vendor(named)
            elif vendor != named:
                raise _error(ErrorNumber.OPERATION_FAILED, "CPU vendors do not match")
        data &= own
        if preferred != cpu.model:
            preferred = None
    if not data:
        raise _error(ErrorNumber.OPERATION_FAILED, "CPUs are incompatible")

    # libvirt walks the map from its newest model back, keeping a candidate that scores lower (or
    # as low with a smaller penalty); the CPUs' own common model wins outright
    best: tuple[X86Model, list[tuple[str, str]], tuple[int, int]] | None = None
    for candidate in reversed(cpu_map().models):
        if vendor is not None and candidate.vendor is not None and candidate.vendor != vendor:
            continue
        if not candidate.decode_guest:
            continue
        changes = _x86_features(data, candidate)
        if candidate.name == preferred:
            best = (candidate, changes, _score(changes))
            break
        score = _score(changes)
        if best is None or score[0] < best[2][0] or (score[0] == best[2][0] and score[1] < best[2][1]):
            best = (candidate, changes, score)
    if best is None:
        raise _error(ErrorNumber.INTERNAL_ERROR, "Cannot find suitable CPU model for given data")
    chosen, chosen_changes, _ = best
    # the vendor is named only when every CPU named one
    shown = vendor if all(cpu.vendor is not None for cpu in cpus) else None
    fallback = "forbid" if chosen.name == preferred else "allow"
    return GuestCPU(chosen.name, fallback, shown, tuple(chosen_changes))


def _x86_expand(cpu: GuestCPU) -> GuestCPU:
    """virCPUExpandFeatures: the model's own features listed too, all sorted by name."""
    features = dict.fromkeys(sorted(_x86_model(cpu.model).features), "require")
    features.update(cpu.features)
    return cpu._replace(features=tuple(sorted(features.items())))


# -- other architectures --------------------------------------------------------------------------------
def _ppc64_baseline(cpus: Sequence[HostCPU]) -> GuestCPU:
    """Every CPU names the first one's model, and any vendor named is that model's."""
    model = cpus[0].model
    model_vendor = _PPC64_MODEL_VENDORS.get(model)
    if model_vendor is None:
        raise _error(ErrorNumber.INTERNAL_ERROR, f"Unknown CPU model {model}")
    for index, cpu in enumerate(cpus):
        if index and cpu.model != model:
            raise _error(ErrorNumber.OPERATION_FAILED, "CPUs are incompatible")
        if cpu.vendor is None:
            continue
        if cpu.vendor not in _PPC64_MODEL_VENDORS.values():
            raise _error(ErrorNumber.OPERATION_FAILED, f"Unknown CPU vendor {cpu.vendor}")
        if cpu.vendor != model_vendor:
            raise _error(
                ErrorNumber.OPERATION_FAILED,
                f"CPU vendor {model_vendor} of model {model} differs from vendor {cpu.vendor}",
            )
    return GuestCPU(model, "forbid")


# -- the call -------------------------------------------------------------------------------------------
def baseline_cpu(xml_cpus: Sequence[str], *, expand_features: bool = False, migratable: bool = False) -> str:
    """The baseline <cpu> of the host CPUs ``xml_cpus`` (the CPU drivers' part of the call: a
    hypervisor driver checks its flags first); ``migratable``: without the features that keep a
    guest from migrating (x86: those the map marks so; no model holds one itself)."""
    if not xml_cpus:
        raise _error(ErrorNumber.INVALID_ARG, "no CPUs given")
    cpus = [parse_host_cpu(text) for text in xml_cpus]
    arch = cpus[0].arch
    if arch in _X86:
        found = _x86_baseline(cpus)
        if migratable:
            from virt.cpumap_x86 import cpu_map

            staying = cpu_map().non_migratable
            found = found._replace(features=tuple(f for f in found.features if f[0] not in staying))
        return (_x86_expand(found) if expand_features else found).to_xml()
    if arch in _PPC64:
        return _ppc64_baseline(cpus).to_xml()
    if arch in _ARM:
        return GuestCPU(cpus[0].model, "allow").to_xml()
    if arch in _S390:
        raise _not_supported(f"cannot compute baseline CPU of {arch} architecture")
    raise _not_supported(f"'{arch}' architecture is not supported by CPU driver")

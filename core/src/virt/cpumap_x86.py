"""libvirt's x86 CPU map, read where libvirt installs it (``/usr/share/libvirt/cpu_map``, Debian's
libvirt0; ``VIRT_CPU_MAP`` names another folder): the facts the CPU baseline needs. The features by
name in the map's order, those that keep a guest from migrating, the vendors, and each CPU model in
the map's order with its vendor, whether it may name a guest CPU (``<decode guest>``), its features
and those QEMU removed from it (a CPU lacking them disables them explicitly). Every feature has CPUID
or MSR bits of its own, so sets of names stand for libvirt's CPUID data.

virt does not carry the map itself: it is libvirt's data. Without it, a baseline is refused with a
message that says what to install.

The names below (``FEATURES``, ``NON_MIGRATABLE``, ``VENDORS``, ``MODELS``) are read on first use.
"""

from __future__ import annotations

import functools
import os
from pathlib import Path
from typing import Any, NamedTuple

from virt.errors import NotSupported, XMLError

DEFAULT_FOLDER = Path("/usr/share/libvirt/cpu_map")


class X86Model(NamedTuple):
    name: str
    vendor: str | None
    decode_guest: bool
    features: frozenset[str]
    removed: tuple[str, ...]


class X86Map(NamedTuple):
    features: tuple[str, ...]
    non_migratable: frozenset[str]
    vendors: tuple[str, ...]
    models: tuple[X86Model, ...]


def folder() -> Path:
    return Path(os.environ.get("VIRT_CPU_MAP") or DEFAULT_FOLDER)


@functools.cache
def _load(where: Path) -> X86Map:
    from lxml import etree

    def root(name: str) -> Any:
        try:
            return etree.parse(str(where / name)).getroot()
        except (OSError, etree.XMLSyntaxError) as exc:
            raise XMLError(f"cannot read libvirt's CPU map file {where / name}: {exc}") from None

    if not (where / "index.xml").exists():
        raise NotSupported(
            f"libvirt's CPU map is not installed in {where} (Debian: apt-get install libvirt0): "
            "computing a CPU baseline needs its models and features"
        )
    arch = next((a for a in root("index.xml").findall("arch") if a.get("name") == "x86"), None)
    if arch is None:
        raise XMLError(f"libvirt's CPU map in {where} has no x86 architecture")
    files = [str(include.get("filename")) for include in arch.findall("include")]
    vendors = tuple(str(v.get("name")) for v in root("x86_vendors.xml").findall("vendor"))
    feature_elements = root("x86_features.xml").findall("feature")
    features = tuple(str(f.get("name")) for f in feature_elements)
    non_migratable = frozenset(str(f.get("name")) for f in feature_elements if f.get("migratable") == "no")
    models = []
    for name in files:
        if name in ("x86_vendors.xml", "x86_features.xml"):
            continue
        element = root(name).find("model")
        if element is None:
            continue
        vendor, decode = element.find("vendor"), element.find("decode")
        listed = element.findall("feature")
        models.append(
            X86Model(
                name=str(element.get("name")),
                vendor=vendor.get("name") if vendor is not None else None,
                decode_guest=decode is None or decode.get("guest") != "off",
                features=frozenset(str(f.get("name")) for f in listed if f.get("removed") != "yes"),
                removed=tuple(str(f.get("name")) for f in listed if f.get("removed") == "yes"),
            )
        )
    return X86Map(features, non_migratable, vendors, tuple(models))


def cpu_map() -> X86Map:
    """The map, read once per folder."""
    return _load(folder())


_NAMES = {"FEATURES": "features", "NON_MIGRATABLE": "non_migratable", "VENDORS": "vendors", "MODELS": "models"}


def __getattr__(name: str) -> Any:
    field = _NAMES.get(name)
    if field is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(cpu_map(), field)

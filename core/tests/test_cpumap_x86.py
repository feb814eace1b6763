"""virt.cpumap_x86 reads libvirt's x86 CPU map where libvirt installs it (/usr/share/libvirt/cpu_map):
checked against a reading of its own, and refused in clear words where it is missing."""

from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree
from virt.cpumap_x86 import FEATURES, MODELS, NON_MIGRATABLE, VENDORS
from virt.testing import missing_dependency

CPU_MAP = Path("/usr/share/libvirt/cpu_map")


def _root(name: str) -> etree._Element:
    return etree.parse(str(CPU_MAP / name)).getroot()


def test_the_data_is_libvirts_map() -> None:
    if not (CPU_MAP / "index.xml").exists():
        missing_dependency("libvirt's CPU map is not installed (apt-get install libvirt-daemon)")
    features = _root("x86_features.xml").findall("feature")
    assert tuple(f.get("name") for f in features) == FEATURES
    assert {f.get("name") for f in features if f.get("migratable") == "no"} == NON_MIGRATABLE
    assert tuple(v.get("name") for v in _root("x86_vendors.xml").findall("vendor")) == VENDORS
    arch = next(a for a in _root("index.xml").findall("arch") if a.get("name") == "x86")
    files = [i.get("filename") for i in arch.findall("include")][2:]
    assert [m.name for m in MODELS] == [_root(str(f)).find("model").get("name") for f in files]  # type: ignore[union-attr]
    for model, name in zip(MODELS, files, strict=True):
        element = _root(str(name)).find("model")
        assert element is not None
        vendor, decode = element.find("vendor"), element.find("decode")
        assert model.vendor == (vendor.get("name") if vendor is not None else None)
        assert model.decode_guest == (decode is None or decode.get("guest") != "off")
        listed = element.findall("feature")
        assert model.features == {f.get("name") for f in listed if f.get("removed") != "yes"}
        assert model.removed == tuple(f.get("name") for f in listed if f.get("removed") == "yes")


def test_features_have_bits_of_their_own() -> None:
    # the baseline treats features as sets of names: true while no two share CPUID or MSR bits
    if not (CPU_MAP / "index.xml").exists():
        missing_dependency("libvirt's CPU map is not installed (apt-get install libvirt-daemon)")
    taken: dict[tuple[str, ...], int] = {}
    for feature in _root("x86_features.xml").findall("feature"):
        for source in feature:
            if source.tag == "cpuid":
                place: tuple[str, ...] = ("cpuid", source.get("eax_in", "0"), source.get("ecx_in", "0"))
            else:
                place = ("msr", source.get("index", ""))
            for register in ("eax", "ebx", "ecx", "edx"):
                bits = int(source.get(register, "0"), 16)
                key = (*place, register)
                assert not taken.get(key, 0) & bits, f"{feature.get('name')} shares bits of {key}"
                taken[key] = taken.get(key, 0) | bits


def test_without_the_map_a_baseline_says_what_to_install(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from virt import cpumap_x86
    from virt.errors import NotSupported

    monkeypatch.setenv("VIRT_CPU_MAP", str(tmp_path))
    with pytest.raises(NotSupported) as refused:
        cpumap_x86.cpu_map()
    assert "libvirt's CPU map is not installed" in refused.value.message and "libvirt0" in refused.value.message

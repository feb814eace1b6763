"""The libxl driver's defaults (virt_xen.domaindefaults): what the converters and the Xen driver's
definitions get, as libvirt's libxl driver fills them in."""

from __future__ import annotations

from corpus import XML_TO_XL_ONLY, canon, cases
from virt.xml import Domain
from virt_xen import domaindefaults


def test_libvirt_written_definitions_are_complete_already() -> None:
    """Every domain libvirt's libxl driver wrote (the corpus's XML) comes out of complete() unchanged."""
    for case_id, source, _ in cases("xml-to-xen-xl"):
        if case_id in XML_TO_XL_ONLY:
            continue  # hand-written inputs: no xenbus controller, no balloon
        domain = Domain.from_xml(source.read_text())
        domaindefaults.complete(domain)
        assert canon(domain.to_xml()) == canon(source.read_text()), case_id


def test_a_bare_pv_definition_gets_what_libxl_gives_it() -> None:
    domain = Domain.from_xml(
        "<domain type='xen'><name>t</name><memory>131072</memory>"
        "<os><type>xen</type><kernel>/boot/vmlinuz</kernel></os></domain>"
    )
    domaindefaults.complete(domain)
    assert domain.os is not None and domain.os.type is not None
    assert (domain.os.type.name, domain.os.type.machine) == ("linux", "xenpv")
    devices = domain.devices
    assert devices is not None
    assert [(c.type, c.index) for c in devices.controllers] == [("xenbus", 0)]
    assert [(c.type, c.target.type if c.target else None) for c in devices.consoles] == [("pty", "xen")]
    assert [(i.type, i.bus) for i in devices.inputs] == [("mouse", "xen"), ("keyboard", "xen")]
    assert devices.memballoon is not None and devices.memballoon.model == "xen"
    again = domain.clone()
    domaindefaults.complete(again)
    assert again.to_xml() == domain.to_xml()  # idempotent


def test_an_hvm_guest_always_has_pae_and_its_display_a_card() -> None:
    domain = Domain.from_xml(
        "<domain type='xen'><name>h</name><memory>131072</memory><os><type arch='x86_64'>hvm</type></os>"
        "<devices><graphics type='vnc'/></devices></domain>"
    )
    domaindefaults.complete(domain)
    assert domain.features is not None and domain.features.pae
    devices = domain.devices
    assert devices is not None and devices.videos[0].model is not None
    assert (devices.videos[0].model.type, devices.videos[0].model.vram) == ("cirrus", 8192)
    assert [(i.type, i.bus) for i in devices.inputs] == [("mouse", "ps2"), ("keyboard", "ps2")]


def test_every_module_imports_first() -> None:
    """Each module can be the first one imported (the driver imports domaindefaults alone): no import cycle."""
    import pkgutil
    import subprocess
    import sys

    import virt_xen

    names = [m.name for m in pkgutil.walk_packages(virt_xen.__path__, "virt_xen.")]
    assert "virt_xen.domaindefaults" in names and "virt_xen.xlcfg.writer" in names
    for name in names:
        done = subprocess.run([sys.executable, "-c", f"import {name}"], capture_output=True, text=True, check=False)
        assert done.returncode == 0, (name, done.stderr)

"""The field machinery: converters, unknown-XML preservation, errors, hostile input."""

from __future__ import annotations

import uuid

import attrs
import pytest
from corpus_support import canon
from lxml import etree
from virt.errors import XMLError
from virt.xml import Domain, parse
from virt.xml import convert as c
from virt.xml.base import XmlModel, attribute, child, children, flag, model, raw, scaled, text, texts


@model()
class Leaf(XmlModel):
    name: str | None = attribute("name")
    value: int | None = text(None, c.INT)


@model("thing")
class Thing(XmlModel):
    kind: str | None = attribute("kind")
    on: bool | None = attribute("on", c.ONOFF)
    title: str | None = text("title")
    size: int | None = scaled("size", "KiB")
    leaf: Leaf | None = child("leaf", Leaf)
    items: list[Leaf] = children("item", Leaf)
    tags: list[str] = texts("tag")
    ready: bool = flag("ready")
    blob: etree._Element | None = raw("blob")


# -- converters ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("conv", "text_in", "value", "text_out"),
    [
        (c.INT, "42", 42, "42"),
        (c.INT, "-3", -3, "-3"),
        (c.HEX, "0x1f", 31, "0x1f"),
        (c.HEX, "010", 8, "0x8"),
        (c.HEX, "12", 12, "0xc"),
        (c.Hex(4), "0x0000", 0, "0x0000"),
        (c.YESNO, "yes", True, "yes"),
        (c.YESNO, "no", False, "no"),
        (c.ONOFF, "on", True, "on"),
        (c.ONOFF, "off", False, "off"),
        (
            c.UUID_,
            "C7A5FDBD-EDAF-9455-926A-D65C16DB1809",
            uuid.UUID("c7a5fdbd-edaf-9455-926a-d65c16db1809"),
            "c7a5fdbd-edaf-9455-926a-d65c16db1809",
        ),
        (c.MAC_, "52:54:0:AB:cd:1", "52:54:00:ab:cd:01", "52:54:00:ab:cd:01"),
        (c.Enum(("a", "b")), "b", "b", "b"),
        (c.STR, "x y", "x y", "x y"),
    ],
)
def test_converter_round_trip(conv: c.Converter, text_in: str, value: object, text_out: str) -> None:
    assert conv.parse(text_in) == value
    assert conv.format(value) == text_out


@pytest.mark.parametrize(
    ("conv", "bad"),
    [
        (c.INT, "abc"),
        (c.UINT, "-1"),
        (c.HEX, "0xzz"),
        (c.YESNO, "on"),
        (c.UUID_, "nope"),
        (c.MAC_, "1:2:3"),
        (c.Enum(("a",)), "b"),
    ],
)
def test_converter_rejects(conv: c.Converter, bad: str) -> None:
    with pytest.raises(ValueError):
        conv.parse(bad)


@pytest.mark.parametrize(
    ("number", "unit", "kib"),
    [
        ("1", "KiB", 1),
        ("1", "k", 1),
        ("1024", "b", 1),
        ("1025", "bytes", 2),
        ("1", "MiB", 1024),
        ("1", "M", 1024),
        ("1", "G", 1024**2),
        ("1", "GiB", 1024**2),
        ("1", "TiB", 1024**3),
        ("1", "MB", 977),
        ("1", "KB", 1),
    ],
)
def test_scaled_units(number: str, unit: str, kib: int) -> None:
    assert c.scale(number, unit, 1024) == kib


def test_scaled_field_formats_in_its_unit() -> None:
    t = Thing.from_xml("<thing><size unit='MiB'>2</size></thing>")
    assert t.size == 2048
    assert "<size unit='KiB'>2048</size>" in t.to_xml()
    assert Thing.from_xml("<thing><size>5</size></thing>").size == 5  # no unit: the field's own


def test_domain_memory_any_unit() -> None:
    d = Domain.from_xml("<domain type='kvm'><memory unit='GiB'>1</memory><currentMemory>512</currentMemory></domain>")
    assert d.memory == 1048576
    assert d.current_memory == 512
    assert "<memory unit='KiB'>1048576</memory>" in d.to_xml()


# -- model basics -------------------------------------------------------------------------------

DOC = """<thing kind='k' on='on'>
  <title>T</title>
  <leaf name='a'>1</leaf>
  <item name='x'/>
  <item name='y'>2</item>
  <tag>t1</tag>
  <tag>t2</tag>
  <ready/>
  <blob><inner a='1'>x</inner></blob>
</thing>
"""


def test_fields_and_exact_formatting() -> None:
    t = Thing.from_xml(DOC)
    assert t.kind == "k" and t.on is True and t.title == "T"
    assert t.leaf == Leaf(name="a", value=1)
    assert [i.name for i in t.items] == ["x", "y"]
    assert t.tags == ["t1", "t2"] and t.ready is True
    pretty = "<blob>\n    <inner a='1'>x</inner>\n  </blob>"
    assert t.to_xml() == DOC.replace("<blob><inner a='1'>x</inner></blob>", pretty)


def test_attrs_semantics() -> None:
    a = Thing.from_xml(DOC)
    b = Thing.from_xml(DOC)
    assert a.leaf == b.leaf
    changed = attrs.evolve(a, title="U")
    assert changed.title == "U" and a.title == "T"
    assert "<title>U</title>" in changed.to_xml()
    assert Thing(title="x").to_xml() == "<thing>\n  <title>x</title>\n</thing>\n"
    assert Thing().to_xml() == "<thing/>\n"


def test_empty_text_element_kept() -> None:
    assert "<title></title>" in Thing.from_xml("<thing><title></title></thing>").to_xml()


def test_escaping() -> None:
    t = Thing(kind="a'b<&\"", title="x < y & z")
    out = t.to_xml()
    assert Thing.from_xml(out) == t


def test_to_element() -> None:
    el = Thing.from_xml(DOC).to_element()
    assert el.tag == "thing" and el.find("leaf").get("name") == "a"


# -- unknown XML --------------------------------------------------------------------------------


def test_unknown_kept_in_place() -> None:
    doc = """<thing kind='k' future='1'>
  <first x='1'/>
  <title>T</title>
  <between>
    <deep>1</deep>
  </between>
  <item name='x'/>
  <mid/>
  <item name='y'/>
  <ready/>
  <last/>
</thing>
"""
    t = Thing.from_xml(doc)
    assert t.to_xml() == doc
    # a field set afterwards goes to its declared place, the unknown ones stay put
    t.leaf = Leaf(name="new")
    out = t.to_xml()
    assert out.index("<between>") < out.index("<leaf name='new'/>") < out.index("<item name='x'/>")


def test_unknown_attributes_of_text_children_kept() -> None:
    doc = "<thing><title lang='en'>T</title><size unit='KiB' dump='on'>4</size><ready why='x'/></thing>"
    assert canon(Thing.from_xml(doc).to_xml()) == canon(doc)


def test_unknown_differs_in_equality() -> None:
    assert Thing.from_xml("<thing><a/></thing>") != Thing.from_xml("<thing><b/></thing>")
    assert Thing.from_xml("<thing><a/></thing>") == Thing.from_xml("<thing>\n <a/>\n</thing>")


def test_metadata_namespaces_verbatim_in_libxml2s_quotes() -> None:
    """<metadata> is written as libvirt dumps it (libxml2's xmlNodeDump: double quotes), the rest as libvirt formats it."""
    doc = """<domain type='kvm' xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'>
  <name>x</name>
  <metadata>
    <app1:foo xmlns:app1='http://foo.org/'>fooish</app1:foo>
    <app2:bar xmlns:app2='http://bar.com/' maman='baz'>
      <app2:inner a='1'/>
    </app2:bar>
  </metadata>
  <vcpu placement='static'>1</vcpu>
  <clock offset='utc'/>
  <on_poweroff>destroy</on_poweroff>
  <on_reboot>restart</on_reboot>
  <on_crash>destroy</on_crash>
  <qemu:commandline>
    <qemu:arg value='-x'/>
  </qemu:commandline>
</domain>
"""
    d = parse(doc)
    assert isinstance(d, Domain)
    out = d.to_xml()
    metadata = doc[doc.index("  <metadata>") : doc.index("  <vcpu")]
    assert out == doc.replace(metadata, metadata.replace("'", '"'))
    assert canon(out) == canon(doc)


def test_mixed_content_kept() -> None:
    # A complete document: libvirt's parse-time defaults (vcpu, clock, on_*) would be added otherwise.
    doc = (
        "<domain><metadata><x:y xmlns:x='urn:x'>p <q/> r</x:y></metadata><vcpu placement='static'>1</vcpu>"
        "<clock offset='utc'/><on_poweroff>destroy</on_poweroff><on_reboot>restart</on_reboot>"
        "<on_crash>destroy</on_crash></domain>"
    )
    assert canon(Domain.from_xml(doc).to_xml()) == canon(doc)


# -- errors -------------------------------------------------------------------------------------


def test_error_names_path_and_line() -> None:
    with pytest.raises(XMLError) as e:
        parse("<domain type='kvm'>\n  <name>x</name>\n  <memory unit='KiB'>abc</memory>\n</domain>")
    assert "/domain/memory" in e.value.message and "'abc' is not an integer" in e.value.message
    assert "line 3" in e.value.message


def test_error_names_attribute() -> None:
    with pytest.raises(XMLError, match=r"/domain/vcpu/@current: 'x' is not an integer"):
        parse("<domain><vcpu current='x'>2</vcpu></domain>")


def test_error_indexes_repeated_elements() -> None:
    with pytest.raises(XMLError, match=r"/domain/devices/disk\[2\]/boot/@order"):
        parse("<domain><devices><disk/><disk><boot order='z'/></disk></devices></domain>")


@pytest.mark.parametrize("bad", ["", "<domain>", "not xml", "<domain></dom>"])
def test_malformed(bad: str) -> None:
    with pytest.raises(XMLError):
        parse(bad)


def test_unknown_root() -> None:
    with pytest.raises(XMLError, match="unknown"):
        parse("<frobnicator/>")


def test_wrong_root_for_class() -> None:
    with pytest.raises(XMLError):
        Domain.from_xml("<network/>")


def test_billion_laughs() -> None:
    doc = '<?xml version="1.0"?>\n<!DOCTYPE lolz [\n<!ENTITY lol "lol">\n'
    for i in range(1, 10):
        ref = f"&lol{i - 1};" if i > 1 else "&lol;"
        doc += f'<!ENTITY lol{i} "{ref * 10}">\n'
    doc += "]>\n<domain><name>&lol9;</name></domain>"
    with pytest.raises(XMLError):
        parse(doc)


def test_external_entity(tmp_path: object) -> None:
    doc = '<?xml version="1.0"?><!DOCTYPE d [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><domain><name>&xxe;</name></domain>'
    with pytest.raises(XMLError):
        parse(doc)


def test_too_large() -> None:
    doc = "<domain><description>" + "x" * (5 * 1024 * 1024) + "</description></domain>"
    with pytest.raises(XMLError, match="bytes"):
        parse(doc)


def test_deep_nesting() -> None:
    depth = 5000
    doc = "<domain><metadata>" + "<a>" * depth + "</a>" * depth + "</metadata></domain>"
    with pytest.raises(XMLError):
        parse(doc)


def test_bytes_input_with_declaration() -> None:
    d = parse(b"<?xml version='1.0' encoding='UTF-8'?>\n<domain type='kvm'><name>n\xc3\xa9</name></domain>")
    assert isinstance(d, Domain) and d.name == "n\u00e9"
    d2 = parse("<?xml version='1.0' encoding='UTF-8'?>\n<domain type='kvm'><name>x</name></domain>")
    assert isinstance(d2, Domain)


def test_kept_elements_read_and_added() -> None:
    """Elements a model does not declare: found by tag in document order, and added ones are
    written before the declared children."""
    from virt.xml.base import add_kept_element, kept_elements
    from virt.xml.devices import VideoModel

    domain = Domain.from_xml(
        "<domain type='bhyve'><name>g</name><memory>1024</memory><features><acpi/><msrs unknown='ignore'/>"
        "</features><devices><video><model type='gop' heads='1'><resolution x='800' y='600'/></model></video>"
        "</devices></domain>"
    )
    assert domain.features is not None and domain.devices is not None
    assert [el.get("unknown") for el in kept_elements(domain.features, "msrs")] == ["ignore"]
    assert kept_elements(domain.features, "smm") == []
    model = domain.devices.videos[0].model
    assert model is not None and [el.get("x") for el in kept_elements(model, "resolution")] == ["800"]
    fresh = VideoModel()
    fresh.type = "gop"
    add_kept_element(fresh, etree.Element("resolution", x="1024", y="768"))
    domain.devices.videos[0].model = fresh
    assert "<model type='gop'>\n        <resolution x='1024' y='768'/>\n      </model>" in domain.to_xml()

"""The ``<filterbinding>`` model: libvirt 9.0's fields, format and error words."""

from __future__ import annotations

import uuid

import pytest
from virt.errors import ErrorNumber, VirtError
from virt.xml.nwfilterbinding import FilterBinding

BINDING = """<filterbinding>
  <owner><name>guest</name><uuid>c7a5fdbd-edaf-9455-926a-d65c16db1809</uuid></owner>
  <portdev name='vnet0'/>
  <mac address='52:54:00:AB:1:2'/>
  <filterref filter='clean-traffic'>
    <parameter name='IP' value='10.0.0.2'/>
    <parameter name='CTRL_IP_LEARNING' value='none'/>
    <parameter name='IP' value='10.0.0.3'/>
    <unknown/>
  </filterref>
</filterbinding>"""


def test_parse_and_format_as_libvirt() -> None:
    binding = FilterBinding.from_xml(BINDING)
    assert binding.owner_uuid == uuid.UUID("c7a5fdbd-edaf-9455-926a-d65c16db1809")
    assert binding.parameters == {"IP": ["10.0.0.2", "10.0.0.3"], "CTRL_IP_LEARNING": ["none"]}
    assert binding.to_xml() == (
        "<filterbinding>\n"
        "  <owner>\n"
        "    <name>guest</name>\n"
        "    <uuid>c7a5fdbd-edaf-9455-926a-d65c16db1809</uuid>\n"
        "  </owner>\n"
        "  <portdev name='vnet0'/>\n"
        "  <mac address='52:54:00:ab:01:02'/>\n"
        "  <filterref filter='clean-traffic'>\n"
        "    <parameter name='CTRL_IP_LEARNING' value='none'/>\n"
        "    <parameter name='IP' value='10.0.0.2'/>\n"
        "    <parameter name='IP' value='10.0.0.3'/>\n"
        "  </filterref>\n"
        "</filterbinding>\n"
    )
    assert FilterBinding.from_xml(binding.to_xml()) == binding


def test_linkdev_and_no_parameters_and_escaping() -> None:
    text = BINDING.replace("<portdev name='vnet0'/>", "<portdev name='vnet0'/><linkdev name='eth&amp;0'/>")
    text = text.replace("<name>guest</name>", "<name>a&lt;b</name>")
    start, end = text.index("<filterref"), text.index("</filterref>") + len("</filterref>")
    binding = FilterBinding.from_xml(text[:start] + "<filterref filter='no-spoof'/>" + text[end:])
    out = binding.to_xml()
    assert "  <linkdev name='eth&amp;0'/>\n" in out
    assert "    <name>a&lt;b</name>\n" in out
    assert "  <filterref filter='no-spoof'/>\n" in out


@pytest.mark.parametrize(
    ("old", "new", "code", "message"),
    [
        ("<portdev name='vnet0'/>", "", ErrorNumber.INTERNAL_ERROR, "filter binding has no port dev name"),
        (
            "<portdev name='vnet0'/>",
            "<portdev name='vnet0'/><linkdev/>",
            ErrorNumber.INTERNAL_ERROR,
            "filter binding has no link dev name",
        ),
        ("<name>guest</name>", "", ErrorNumber.INTERNAL_ERROR, "filter binding has no owner name"),
        (
            "<uuid>c7a5fdbd-edaf-9455-926a-d65c16db1809</uuid>",
            "",
            ErrorNumber.INTERNAL_ERROR,
            "filter binding has no owner UUID",
        ),
        ("c7a5fdbd-edaf-9455-926a-d65c16db1809", "nope", ErrorNumber.INTERNAL_ERROR, "Unable to parse UUID 'nope'"),
        ("<mac address='52:54:00:AB:1:2'/>", "", ErrorNumber.INTERNAL_ERROR, "filter binding has no MAC address"),
        ("52:54:00:AB:1:2", "52:54:00:zz:1:2", ErrorNumber.INTERNAL_ERROR, "Unable to parse MAC '52:54:00:zz:1:2'"),
        ("filter='clean-traffic'", "", ErrorNumber.INTERNAL_ERROR, "filter binding has no filter reference"),
        (
            "filterbinding>",
            "binding>",
            ErrorNumber.XML_ERROR,
            "XML error: expecting root element of 'filterbinding', not 'binding'",
        ),
    ],
)
def test_errors_in_libvirts_words(old: str, new: str, code: ErrorNumber, message: str) -> None:
    with pytest.raises(VirtError) as info:
        FilterBinding.from_xml(BINDING.replace(old, new))
    assert info.value.code is code
    assert message in str(info.value)

"""The <secret> XML model: libvirt 9.0's parse and format (checked against libvirtd's secret driver),
its errors, and libvirt's schema (secret.rng) accepting what it writes."""

from __future__ import annotations

import uuid

import pytest
from virt.errors import ErrorDomain, ErrorNumber, VirtError
from virt.xml.schema import schema_problems
from virt.xml.secret import Secret, UsageType

PUPPY = """<secret ephemeral='no' private='yes'>
  <description>Super secret name of my first puppy</description>
  <uuid>0a81f5b2-8403-7b23-c8d6-21ccc2f80d6f</uuid>
  <usage type='volume'>
    <volume>/var/lib/libvirt/images/puppyname.img</volume>
  </usage>
  <unknown/>
</secret>
"""


def test_a_definition_comes_back_in_libvirts_order_without_what_libvirt_drops() -> None:
    secret = Secret.from_xml(PUPPY)
    assert secret.uuid == uuid.UUID("0a81f5b2-8403-7b23-c8d6-21ccc2f80d6f")
    assert (secret.ephemeral, secret.private, secret.usage_type) == (False, True, UsageType.VOLUME)
    assert secret.to_xml() == (
        "<secret ephemeral='no' private='yes'>\n"
        "  <uuid>0a81f5b2-8403-7b23-c8d6-21ccc2f80d6f</uuid>\n"
        "  <description>Super secret name of my first puppy</description>\n"
        "  <usage type='volume'>\n"
        "    <volume>/var/lib/libvirt/images/puppyname.img</volume>\n"
        "  </usage>\n"
        "</secret>\n"
    )


@pytest.mark.parametrize(
    ("usage", "element"),
    [("ceph", "name"), ("iscsi", "target"), ("tls", "name"), ("vtpm", "name"), ("volume", "volume")],
)
def test_each_usage_keeps_its_id_in_its_own_element(usage: str, element: str) -> None:
    text = f"<secret><usage type='{usage}'><{element}>id &amp; more</{element}></usage></secret>"
    secret = Secret.from_xml(text)
    assert secret.usage_type.label == usage and secret.usage_id == "id & more"
    assert f"    <{element}>id &amp; more</{element}>\n" in secret.to_xml()
    assert Secret.from_xml(secret.to_xml()) == secret


def test_a_bare_secret_gets_a_uuid_and_no_usage() -> None:
    secret = Secret.from_xml("<secret/>")
    assert secret.uuid is not None and secret.usage_type is UsageType.NONE
    assert secret.to_xml() == f"<secret ephemeral='no' private='no'>\n  <uuid>{secret.uuid}</uuid>\n</secret>\n"


@pytest.mark.parametrize(
    ("text", "code", "message"),
    [
        ("<notsecret/>", ErrorNumber.XML_ERROR, "XML error: expecting root element of 'secret', not 'notsecret'"),
        ("<secret ephemeral='maybe'/>", ErrorNumber.XML_ERROR, "XML error: invalid value of 'ephemeral'"),
        ("<secret private='1'/>", ErrorNumber.XML_ERROR, "XML error: invalid value of 'private'"),
        ("<secret><uuid>zzz</uuid></secret>", ErrorNumber.INTERNAL_ERROR, "internal error: malformed uuid element"),
        ("<secret><usage/></secret>", ErrorNumber.XML_ERROR, "XML error: unknown secret usage type"),
        (
            "<secret><usage type='bogus'/></secret>",
            ErrorNumber.CONFIG_UNSUPPORTED,
            "unsupported configuration: unknown secret usage type bogus",
        ),
        (
            "<secret><usage type='ceph'/></secret>",
            ErrorNumber.INTERNAL_ERROR,
            "internal error: Ceph usage specified, but name is missing",
        ),
        (
            "<secret><usage type='volume'/></secret>",
            ErrorNumber.INTERNAL_ERROR,
            "internal error: volume usage specified, but volume path is missing",
        ),
        (
            "<secret><usage type='iscsi'/></secret>",
            ErrorNumber.INTERNAL_ERROR,
            "internal error: iSCSI usage specified, but target is missing",
        ),
    ],
)
def test_bad_definitions_fail_in_libvirts_words(text: str, code: ErrorNumber, message: str) -> None:
    with pytest.raises(VirtError) as caught:
        Secret.from_xml(text)
    assert (caught.value.code, caught.value.message) == (code, message)


def test_what_it_writes_is_valid_for_libvirts_schema() -> None:
    from lxml import etree
    from virt.xml.schema import schema_for

    if schema_for("secret") is None:
        pytest.skip("libvirt's secret.rng is not installed")
    for text in (PUPPY, "<secret ephemeral='yes'><usage type='tls'><name>t</name></usage></secret>"):
        assert schema_problems(etree.fromstring(Secret.from_xml(text).to_xml())) == []


def test_errors_are_the_secret_drivers() -> None:
    with pytest.raises(VirtError) as caught:
        Secret.from_xml("<secret><usage type='tls'/></secret>")
    assert caught.value.domain == ErrorDomain.SECRET

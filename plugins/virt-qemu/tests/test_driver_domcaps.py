"""Host and domain capabilities through the public API, from the probed QEMU."""

from __future__ import annotations

import pytest
import virt
from driver_support import conn_fixture, qemu_root_fixture  # noqa: F401 - fixtures
from lxml import etree
from virt.errors import VirtError
from virt.testing import conformance_dir, missing_dependency


def _schema(name: str) -> etree.RelaxNG:
    corpus = conformance_dir()
    if corpus is None:
        missing_dependency("libvirt's RelaxNG schemas (../shared/conformance/schemas) are absent")
    return etree.RelaxNG(etree.parse(str(corpus / "schemas" / name)))


def test_domain_capabilities_validate(conn: virt.Connection) -> None:
    schema = _schema("domaincaps.rng")
    for virt_type, machine in (("qemu", None), ("qemu", "q35"), ("kvm", None)):
        try:
            text = conn.domain_capabilities(virt_type=virt_type, machine=machine)
        except VirtError as exc:
            if virt_type == "kvm" and "KVM is not available" in exc.message:
                continue
            raise
        doc = etree.fromstring(text.encode())
        assert schema.validate(doc), schema.error_log
        assert doc.findtext("domain") == virt_type
        assert doc.findtext("path", "").endswith("qemu-system-x86_64")
        if machine == "q35":
            assert doc.findtext("machine", "").startswith("pc-q35-")


def test_domain_capabilities_bad_arguments(conn: virt.Connection) -> None:
    with pytest.raises(VirtError, match="unknown virttype: xen"):
        conn.domain_capabilities(virt_type="xen")
    with pytest.raises(VirtError, match="does not support arch 'aarch64'"):
        conn.domain_capabilities(arch="aarch64", emulator="qemu-system-x86_64")


def test_host_capabilities_validate(conn: virt.Connection) -> None:
    schema = _schema("capability.rng")
    doc = etree.fromstring(conn.capabilities().encode())
    assert schema.validate(doc), schema.error_log
    assert doc.find("guest/arch[@name='x86_64']") is not None

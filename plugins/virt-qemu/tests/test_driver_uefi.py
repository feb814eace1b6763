"""A UEFI guest: OVMF as a read-only pflash loader, and a variable store made from its template."""

from __future__ import annotations

from pathlib import Path

import pytest
import virt
from driver_support import conn_fixture, qemu_root_fixture  # noqa: F401 - fixtures
from virt.domainchanges import UndefineFlags
from virt.errors import VirtError
from virt.states import DomainState
from virt.testing import missing_dependency

OVMF = Path("/usr/share/OVMF")


def uefi_xml(name: str, nvram: str = "") -> str:
    # TCG, not KVM: OVMF now and then stops with a KVM emulation failure under this project's nested
    # KVM (QEMU pauses the guest: "KVM internal error. Suberror: 1"), with or without virt
    return f"""<domain type='qemu'>
  <name>{name}</name>
  <memory unit='MiB'>128</memory>
  <vcpu>1</vcpu>
  <os>
    <type arch='x86_64' machine='q35'>hvm</type>
    <loader readonly='yes' type='pflash'>{OVMF / "OVMF_CODE_4M.fd"}</loader>
    {nvram}
  </os>
  <features><acpi/></features>
  <devices><memballoon model='none'/></devices>
</domain>
"""


@pytest.fixture(autouse=True)
def _ovmf() -> None:
    if not (OVMF / "OVMF_CODE_4M.fd").exists():
        missing_dependency("OVMF firmware (Debian package ovmf) is not installed")


def test_uefi_guest_gets_its_variable_store(conn: virt.Connection, qemu_root: Path) -> None:
    dom = conn.define_domain(uefi_xml("uefi1"))
    # as libvirt 9.0: the definition gets the store's path; the template is the running guest's
    nvram = dom.model(inactive=True).os.nvram  # type: ignore[union-attr]
    assert nvram is not None
    store = Path(nvram.text)
    assert store == qemu_root / "system" / "state" / "nvram" / "uefi1_VARS.fd"
    assert nvram.get("template") is None
    assert not store.exists()
    dom.start()
    try:
        assert dom.state().state == DomainState.RUNNING
        assert dom.model().os.nvram.get("template") == str(OVMF / "OVMF_VARS_4M.fd")  # type: ignore[union-attr]
        assert dom.model(inactive=True).os.nvram.get("template") is None  # type: ignore[union-attr]
        assert store.read_bytes()[:64] == (OVMF / "OVMF_VARS_4M.fd").read_bytes()[:64]
    finally:
        dom.destroy()
    dom.start()  # a second boot keeps the store the first one made
    dom.destroy()
    assert store.exists()


def test_missing_template_is_a_clear_error(conn: virt.Connection, qemu_root: Path) -> None:
    store = qemu_root / "elsewhere_VARS.fd"
    dom = conn.define_domain(uefi_xml("uefi2", f"<nvram template='/nonexistent/VARS.fd'>{store}</nvram>"))
    with pytest.raises(VirtError, match="cannot create the NVRAM store"):
        dom.start()
    assert not dom.is_active()


def test_stateless_firmware_gets_no_store(conn: virt.Connection, qemu_root: Path) -> None:
    xml = uefi_xml("uefi3").replace("type='pflash'>", "type='pflash' stateless='yes'>")
    dom = conn.define_domain(xml)
    assert dom.model(inactive=True).os.nvram is None  # type: ignore[union-attr]
    dom.undefine()


def test_a_file_type_store_is_used_where_its_source_says(conn: virt.Connection, qemu_root: Path) -> None:
    store = qemu_root / "file_VARS.fd"
    nvram = f"<nvram type='file' template='{OVMF / 'OVMF_VARS_4M.fd'}'><source file='{store}'/></nvram>"
    dom = conn.define_domain(uefi_xml("uefi4", nvram))
    kept = dom.model(inactive=True).os.nvram  # type: ignore[union-attr]
    assert kept is not None and not (kept.text or "").strip() and kept.find("source").get("file") == str(store)  # type: ignore[union-attr]
    dom.start()
    try:
        assert store.read_bytes()[:64] == (OVMF / "OVMF_VARS_4M.fd").read_bytes()[:64]
    finally:
        dom.destroy()
    # as libvirt 9.0: an existing store must be removed or kept by name
    with pytest.raises(VirtError, match="cannot undefine domain with nvram"):
        dom.undefine()
    dom.undefine(UndefineFlags.KEEP_NVRAM)
    assert store.exists()
    assert not conn.list_domains(persistent=True)

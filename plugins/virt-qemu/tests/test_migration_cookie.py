"""virt_qemu.migration's pieces without QEMU: libvirt's migration cookie both ways, the
destination's listening address from the URI it is given, and QEMU's migration figures as
virDomainGetJobStats reports them."""

from __future__ import annotations

from pathlib import Path

import pytest
from virt.errors import VirtError
from virt.migration import MigrationParams
from virt_qemu.migration import Cookie, Job, _incoming_address

# a cookie as libvirtd 9.0 sends one from begin (features it has and virt ignores: lockstate, cpu...)
LIBVIRTD_COOKIE = b"""<qemu-migration>
  <name>vm</name>
  <uuid>6b0e2c4d-91f3-4a7e-b8d5-2c1f0a9e7d31</uuid>
  <hostname>h1</hostname>
  <hostuuid>3d1219c7-c4c5-404a-aa1f-6d2a48adfda4</hostuuid>
  <feature name='memory-hotplug'/>
  <graphics type='vnc' port='5900' listen='127.0.0.1'/>
</qemu-migration>
\x00"""


def test_cookie_both_ways() -> None:
    cookie = Cookie("vm", "6b0e2c4d-91f3-4a7e-b8d5-2c1f0a9e7d31", "h", "3d1219c7-c4c5-404a-aa1f-6d2a48adfda4")
    cookie.persistent = "<domain type='kvm'><name>vm</name></domain>"
    data = cookie.encode()
    assert data.endswith(b"</qemu-migration>\n\x00")
    again = Cookie.decode(data)
    assert again is not None and again.name == "vm" and again.hostname == "h"
    assert again.persistent is not None and "<name>vm</name>" in again.persistent


def test_libvirtds_cookie_is_read() -> None:
    cookie = Cookie.decode(LIBVIRTD_COOKIE)
    assert cookie is not None and (cookie.name, cookie.hostname, cookie.persistent) == ("vm", "h1", None)
    assert Cookie.decode(b"") is None


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (b"<qemu-migration><name>x</name></qemu-migration>", "missing uuid element"),
        (b"<other/>", "not 'qemu-migration'"),
    ],
)
def test_bad_cookies_are_refused(data: bytes, words: str) -> None:
    with pytest.raises(VirtError, match=words):
        Cookie.decode(data)


def test_incoming_address_from_the_uri() -> None:
    assert _incoming_address(MigrationParams(uri="tcp:10.0.0.2:49200")) == (49200, "0.0.0.0", "tcp:10.0.0.2:49200")
    assert _incoming_address(MigrationParams(uri="tcp://[fd00::2]:49201", listen_address="::")) == (
        49201,
        "[::]",
        "tcp:[fd00::2]:49201",
    )
    port, _, uri = _incoming_address(MigrationParams(uri="tcp:10.0.0.2"))
    assert 49152 <= port <= 49215 and uri == f"tcp:10.0.0.2:{port}"
    with pytest.raises(VirtError, match="unsupported scheme"):
        _incoming_address(MigrationParams(uri="rdma:10.0.0.2"))
    with pytest.raises(VirtError, match="invalid port"):
        _incoming_address(MigrationParams(uri="tcp:h:99999"))


def test_job_statistics_from_query_migrate() -> None:
    job = Job("u", out=True, flags=0, started=100.0)  # type: ignore[arg-type]
    job.answer = {
        "status": "active",
        "total-time": 1200,
        "setup-time": 3,
        "ram": {"total": 1000, "transferred": 600, "remaining": 400, "mbps": 8.0, "dirty-pages-rate": 5},
    }
    job.ended, job.error = 101.5, None
    info = job.info()
    assert info.type.name == "COMPLETED" and info.time_elapsed == 1500
    assert (info.data_total, info.data_processed, info.data_remaining) == (1000, 600, 400)
    stats = {p.field: p.value for p in info.params}
    assert stats["operation"] == 5 and stats["memory_bps"] == 1_000_000 and stats["memory_dirty_rate"] == 5
    assert stats["setup_time"] == 3 and "errmsg" not in stats


@pytest.mark.parametrize(
    ("disk", "flags", "refused"),
    [
        ("<disk type='file'><source file='{p}'/><target dev='vda'/></disk>", 1, "without shared storage"),
        ("<disk type='file'><driver name='qemu' cache='none'/><source file='{p}'/><target dev='vda'/></disk>", 1, ""),
        ("<disk type='file'><source file='{p}'/><target dev='vda'/><readonly/></disk>", 1, ""),
        ("<disk type='file'><source file='{p}'/><target dev='vda'/></disk>", 1 | 512, ""),  # UNSAFE
        ("<disk type='file'><source file='{p}'/><target dev='vda'/></disk>", 1 | 64, ""),  # copied
    ],
)
def test_unsafe_migrations_are_refused_as_libvirt_refuses_them(
    disk: str, flags: int, refused: str, tmp_path: Path
) -> None:
    from virt.migration import MigrateFlags
    from virt.xml import Domain
    from virt_qemu.migrationdisks import check_safe, copies_storage, disks_to_copy

    definition = Domain.from_xml(
        f"<domain type='kvm'><name>d</name><devices>{disk.format(p=tmp_path / 'd.img')}</devices></domain>"
    )
    checked = MigrateFlags(flags)
    copied = disks_to_copy(definition, MigrationParams()) if copies_storage(checked) else []
    if refused:
        with pytest.raises(VirtError, match=refused):
            check_safe(definition, checked, copied)
    else:
        check_safe(definition, checked, copied)

"""The logical backend's reading of lvm2's reports (``lvs``, ``vgs``, ``pvs``) and the command lines it
runs, with lvm2's output as its man pages and libvirt's comments show it (the end-to-end comparison
with libvirtd, over stand-in LVM tools, is plugins/virt-qemu/tests/test_virtd_logical.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from virt.errors import VirtError
from virt.storage import logicalpool
from virt.storage.backend import BuildFlags, NewVolume
from virt.storage.logicalpool import LogicalBackend
from virt.xml import StoragePool

LVS = (
    "  root#[root_vorigin]#06UgP5-2rhb-w3Bo-3mdR-WeoL-pytO-SAa2ky#/dev/sda2(0)#linear#1#8388608#4194304#8388608#swi-a-s---\n"
    "  data##oHviCK-8Ik0-paqS-V20c-nkhY-Bm1e-zgzU0M#/dev/sda2(2),/dev/sdb(0)#striped#2#16777216#4194304#16777216#-wi-a-----\n"
    "  data##oHviCK-8Ik0-paqS-V20c-nkhY-Bm1e-zgzU0M#/dev/sdb(10)#linear#1#4194304#4194304#16777216#-wi-a-----\n"
    "  thin##3pg3he-mQsA-5Sui-h0i6-HNmc-Cz7W-QSndcR#thin_tdata(0)#thin-pool#1#4194304#4194304#4194304#twi-a-tz--\n"
)


@pytest.fixture
def lvm(monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
    """lvm2's tools as canned answers; the command lines run, in order."""
    ran: list[list[str]] = []
    answers = {
        "lvs": LVS,
        "vgs": "  62914560:41943040\n",
        "pvs": "  /dev/sda2 vg0\n  /dev/sdb  vg0\n  /dev/sdc\n",
        "vgscan": '  Found volume group "vg0" using metadata type lvm2\n',
    }

    def run(name: str, *args: str) -> str:
        ran.append([name, *args])
        return answers.get(name, "")

    monkeypatch.setattr(logicalpool, "run", run)
    return ran


def pool(devices: tuple[str, ...] = ("/dev/sda2", "/dev/sdb")) -> StoragePool:
    paths = "".join(f"<device path='{d}'/>" for d in devices)
    return StoragePool.from_xml(
        f"<pool type='logical'><name>p</name><source>{paths}<name>vg0</name></source>"
        "<target><path>/dev/vg0</path></target></pool>"
    )


def test_volumes_are_the_lvs_rows_less_thin_pools(lvm: list[list[str]]) -> None:
    backend = LogicalBackend()
    assert backend.volume_names(pool()) == ["root", "data"]
    assert backend.volume_keys(pool())[1] == ("data", "oHviCK-8Ik0-paqS-V20c-nkhY-Bm1e-zgzU0M")
    assert lvm[0] == ["lvs", "--separator", "#", "--noheadings", "--units", "b", "--unbuffered", "--nosuffix",
                      "--options", logicalpool.LV_FIELDS, "vg0"]  # fmt: skip


def test_extents_follow_the_stripes_and_segments(lvm: list[list[str]]) -> None:
    from lxml import etree

    rows = [row for row in logicalpool.segments(pool()) if row.name == "data"]
    source = logicalpool._extents(rows)
    found = [(d.get("path"), e.get("start"), e.get("end")) for d in source for e in d]
    assert found == [
        ("/dev/sda2", "8388608", "25165824"),
        ("/dev/sdb", "0", "16777216"),
        ("/dev/sdb", "41943040", "46137344"),
    ], etree.tostring(source)


def test_pool_sizes_come_from_vgs(lvm: list[list[str]]) -> None:
    sizes = LogicalBackend().sizes(pool())
    assert (sizes.capacity, sizes.allocation, sizes.available) == (62914560, 20971520, 41943040)
    assert lvm[-1][-3:] == ["--options", "vg_size,vg_free", "vg0"]


def test_sources_list_the_groups_with_their_devices(lvm: list[list[str]]) -> None:
    assert logicalpool.find_pool_sources_xml() == (
        "<sources>\n  <source>\n    <device path='/dev/sda2'/>\n    <device path='/dev/sdb'/>\n"
        "    <name>vg0</name>\n    <format type='lvm2'/>\n  </source>\n</sources>\n"
    )
    assert [row[0] for row in lvm] == ["vgscan", "pvs"]


def test_start_checks_the_devices_then_activates(lvm: list[list[str]]) -> None:
    LogicalBackend().start(pool())
    assert lvm[-1] == ["vgchange", "-aly", "vg0"]
    with pytest.raises(VirtError, match="pool device list count doesn't match pvs device list count"):
        LogicalBackend().start(pool(("/dev/sda2",)))
    with pytest.raises(VirtError, match="cannot find any matching source devices for logical volume group 'vg0'"):
        LogicalBackend().start(pool(("/dev/sdz",)))


def test_sparse_volumes_are_snapshots_with_a_virtual_size(lvm: list[list[str]], tmp_path: Path) -> None:
    backend = LogicalBackend()
    with pytest.raises(VirtError):  # no /dev/vg0/new here: the half-made volume is removed again
        backend.create_volume(
            pool(), NewVolume(name="new", capacity=10 * 2**20, allocation=4 * 2**20, format=None), None
        )
    assert lvm[0] == ["lvcreate", "--name", "new", "-L", "4096K", "--type", "snapshot", "--virtualsize", "10240K",
                      "vg0", "--yes"]  # fmt: skip
    assert lvm[1] == ["lvremove", "-f", "/dev/vg0/new"]


def test_build_refuses_both_overwrite_flags(lvm: list[list[str]]) -> None:
    with pytest.raises(VirtError, match="are mutually exclusive"):
        LogicalBackend().build(pool(), BuildFlags(overwrite=True, no_overwrite=True))
    assert lvm == []

"""The storage pool and volume models' normalisation: what libvirt 9.0's parser fills in and rewrites."""

from __future__ import annotations

import pytest
from corpus_support import xml2xml_score
from lxml import etree
from virt.xml import StoragePool, StorageVolume
from virt.xml.storage import sanitize_path


def pool(text: str) -> StoragePool:
    parsed = StoragePool.from_xml(text)
    out = parsed.to_xml()
    assert StoragePool.from_xml(out).to_xml() == out  # idempotent: the output is already canonical
    return parsed


def volume(text: str) -> StorageVolume:
    parsed = StorageVolume.from_xml(text)
    out = parsed.to_xml()
    assert StorageVolume.from_xml(out).to_xml() == out  # idempotent: the output is already canonical
    return parsed


@pytest.mark.parametrize(
    ("given", "kept"),
    [
        ("/var/lib/libvirt/images/", "/var/lib/libvirt/images"),
        ("///var/////lib//x//", "/var/lib/x"),
        ("//server/share", "//server/share"),  # a leading // means something to POSIX
        ("/", "/"),
        ("relative//path/", "relative/path"),
    ],
)
def test_sanitize_path(given: str, kept: str) -> None:
    assert sanitize_path(given) == kept


def test_pool_sizes_are_live_state() -> None:
    p = pool(
        "<pool type='dir'><name>p</name><capacity unit='G'>5</capacity><allocation>7</allocation>"
        "<target><path>/p/</path></target></pool>"
    )
    assert (p.capacity, p.allocation, p.available) == (0, 0, 0)
    assert "<available unit='bytes'>0</available>" in p.to_xml()
    assert p.target is not None and p.target.path == "/p"
    assert "  <source>\n  </source>\n" in p.to_xml()  # written even when empty, both tags as libvirt does


def test_pool_source_format_defaults_by_type() -> None:
    netfs = pool(
        "<pool type='netfs'><name>n</name><source><host name='h'/><dir path='/e/'/></source>"
        "<target><path>/mnt</path></target></pool>"
    )
    assert netfs.source is not None and netfs.source.format is not None and netfs.source.format.type == "auto"
    assert netfs.source.dir is not None and netfs.source.dir.path == "/e"
    iscsi = pool(
        "<pool type='iscsi'><name>i</name><source><host name='h'/><device path='t'/><format type='x'/>"
        "<dir path='/d'/></source><target><path>/dev/disk/by-path</path></target></pool>"
    )
    assert iscsi.source is not None and iscsi.source.format is None and iscsi.source.dir is None


def test_named_pools_name_their_source_and_target() -> None:
    p = pool("<pool type='logical'><name>vg</name><target><path>/somewhere</path></target></pool>")
    assert p.source is not None and p.source.name == "vg"
    assert p.source.format is not None and p.source.format.type == "lvm2"
    assert p.target is not None and p.target.path == "/dev/vg"
    z = pool("<pool type='zfs'><source><name>tank</name></source></pool>")
    assert z.name == "tank" and z.target is not None and z.target.path == "/dev/zvol/tank"


def test_network_pools_have_no_target_and_gluster_a_root_dir() -> None:
    p = pool(
        "<pool type='gluster'><name>g</name><source><host name='h'/><name>vol</name></source>"
        "<target><path>/x</path></target></pool>"
    )
    assert p.target is None
    assert p.source is not None and p.source.dir is not None and p.source.dir.path == "/"


def test_legacy_scsi_adapter_and_free_extents() -> None:
    p = pool(
        "<pool type='scsi'><name>s</name><source><adapter name='host0'/></source>"
        "<target><path>/dev/disk/by-path</path></target></pool>"
    )
    assert p.source is not None and p.source.adapter is not None and p.source.adapter.type == "scsi_host"
    d = pool(
        "<pool type='disk'><name>d</name><source><device path='/dev/sda' part_separator='no'>"
        "<freeExtent start='1' end='2'/></device></source><target><path>/dev</path></target></pool>"
    )
    assert d.source is not None and d.source.devices[0].free_extents == []
    assert d.source.devices[0].part_separator is False
    assert d.source.format is not None and d.source.format.type == "unknown"


def test_permissions_mode_is_octal_and_unset_ids_go() -> None:
    p = pool(
        "<pool type='dir'><name>p</name><target><path>/p</path><permissions><mode>755</mode>"
        "<owner>-1</owner><group>0107</group></permissions></target></pool>"
    )
    assert p.target is not None and p.target.permissions is not None
    perms = p.target.permissions
    assert (perms.mode, perms.owner, perms.group) == (0o755, None, 107)
    assert "<mode>0755</mode>" in p.to_xml() and "<owner>" not in p.to_xml()
    zero = volume(
        "<volume><name>v</name><capacity>1</capacity><target><permissions><mode>0</mode></permissions>"
        "</target></volume>"
    )
    assert "<mode>00</mode>" in zero.to_xml()


def test_fc_host_adapter_kept() -> None:
    p = pool(
        "<pool type='scsi'><name>s</name><source><adapter type='fc_host' parent_wwnn='2000000000000001' "
        "parent_wwpn='1000000000000001' parent_fabric_wwn='2000000000000002' managed='no' "
        "wwnn='20000000c9831b4b' wwpn='10000000c9831b4b'/></source><target><path>/dev</path></target></pool>"
    )
    assert p.source is not None and p.source.adapter is not None
    adapter = p.source.adapter
    assert (adapter.parent_wwnn, adapter.parent_wwpn, adapter.parent_fabric_wwn, adapter.managed) == (
        "2000000000000001",
        "1000000000000001",
        "2000000000000002",
        False,
    )
    assert "parent_fabric_wwn='2000000000000002'" in p.to_xml()


def test_volume_defaults() -> None:
    v = volume(
        "<volume><name>v</name><source/><capacity unit='KiB'>2</capacity><physical>9</physical>"
        "<target><path>/p/v</path><timestamps><atime>1</atime></timestamps><nocow/></target></volume>"
    )
    assert v.type == "file"
    assert (v.capacity, v.allocation, v.physical, v.source) == (2048, 2048, None, None)
    assert v.target is not None and v.target.format is not None and v.target.format.type == "raw"
    assert v.target.timestamps is None and v.target.nocow is False
    assert "<capacity unit='bytes'>2048</capacity>" in v.to_xml()


def test_volume_qcow2_features_need_compat() -> None:
    v = volume(
        "<volume><name>v</name><capacity>1</capacity><target><format type='qcow2'/>"
        "<clusterSize unit='KiB'>64</clusterSize><features><lazy_refcounts/></features></target></volume>"
    )
    assert v.target is not None and v.target.compat == "1.1" and v.target.cluster_size == 65536
    assert "<clusterSize unit='B'>65536</clusterSize>" in v.to_xml()


def test_volume_backing_store() -> None:
    v = volume(
        "<volume><name>v</name><capacity>1</capacity><backingStore><path>/b</path>"
        "<timestamps><atime>1</atime></timestamps></backingStore></volume>"
    )
    assert v.backing_store is not None and v.backing_store.timestamps is None
    assert v.backing_store.format is not None and v.backing_store.format.type == "raw"
    pathless = volume("<volume><name>v</name><capacity>1</capacity><backingStore/></volume>")
    assert pathless.backing_store is None


def test_volume_formats_follow_the_pool() -> None:
    text = "<volume type='block'><name>v</name><capacity>1</capacity><target><format type='qcow2'/></target></volume>"
    v = volume(text)
    assert v.target is not None and v.target.format is not None  # no pool known: kept
    v.in_pool("logical")
    assert v.target.format is None  # logical volumes have no format
    bare = volume("<volume type='block'><name>p</name><capacity>1</capacity></volume>")
    bare.in_pool("disk")
    assert bare.target is not None and bare.target.format is not None and bare.target.format.type == "none"


def test_refresh_state_is_written_when_set_in_code() -> None:
    # physical size, extents and timestamps come from a refresh: never read, but written when known
    v = volume("<volume><name>v</name><capacity>1</capacity><target><path>/p</path></target></volume>")
    v.physical = 4096
    v.source = etree.fromstring("<source><device path='/dev/sda'><extent start='0' end='1'/></device></source>")
    assert v.target is not None
    v.target.timestamps = etree.fromstring("<timestamps><mtime>5</mtime></timestamps>")
    out = v.to_xml()
    assert "<physical unit='bytes'>4096</physical>" in out and "<extent start='0' end='1'/>" in out
    assert "<mtime>5</mtime>" in out


def test_storagepool_xml2xml_suite_scores_at_least_90_percent() -> None:
    passed, total = xml2xml_score("storagepool-xml2xml")
    assert passed >= 0.9 * total, f"{passed}/{total}"


def test_storagevol_xml2xml_suite_scores_at_least_90_percent() -> None:
    # vol-qcow2-nocow fails: its expected file predates libvirt 9.0 (an empty <source> that 9.0
    # no longer writes) and libvirt 9.0's storagevolxml2xmltest does not run it.
    passed, total = xml2xml_score("storagevol-xml2xml")
    assert passed >= 0.9 * total, f"{passed}/{total}"

"""Storage pool and volume fields the conformance corpus does not reach.

The fc_host pools are libvirt 9.0's own output for them (``storagePoolDefineXML`` + ``XMLDesc``
on ``test:///default``); the rest is live XML (formatstorage calls these output-only elements):
what a refresh finds, which libvirt writes but never reads back.
"""

from __future__ import annotations

import virt.xml
from field_coverage import canon, roundtrip
from lxml import etree
from virt.xml import StoragePool, StorageVolume

VHBA_BY_PARENT_WWN = """\
<pool type='scsi'>
  <name>vhbapool_host3</name>
  <uuid>e9392370-2917-565e-692b-d057f46512d6</uuid>
  <capacity unit='bytes'>0</capacity>
  <allocation unit='bytes'>0</allocation>
  <available unit='bytes'>0</available>
  <source>
    <adapter type='fc_host' parent_wwnn='20000000c9831b4b' parent_wwpn='10000000c9831b4b' managed='yes' wwnn='20000000c9831b4b' wwpn='10000000c9831b4b'/>
  </source>
  <target>
    <path>/dev/disk/by-path</path>
  </target>
</pool>
"""

VHBA_BY_FABRIC = """\
<pool type='scsi'>
  <name>vhbapool_host4</name>
  <uuid>e9392370-2917-565e-692b-d057f46512d7</uuid>
  <capacity unit='bytes'>0</capacity>
  <allocation unit='bytes'>0</allocation>
  <available unit='bytes'>0</available>
  <source>
    <adapter type='fc_host' parent_fabric_wwn='2000000533f83d9c' wwnn='20000000c9831b4c' wwpn='10000000c9831b4c'/>
  </source>
  <target>
    <path>/dev/disk/by-path</path>
  </target>
</pool>
"""

DISK_POOL_LIVE = """\
<pool type='disk'>
  <name>sdb</name>
  <uuid>e9392370-2917-565e-692b-d057f46512d8</uuid>
  <capacity unit='bytes'>500107862016</capacity>
  <allocation unit='bytes'>0</allocation>
  <available unit='bytes'>500107829248</available>
  <source>
    <device path='/dev/sdb'>
      <freeExtent start='32256' end='500107862016'/>
    </device>
    <format type='dos'/>
  </source>
  <target>
    <path>/dev</path>
  </target>
</pool>
"""

LOGICAL_VOLUME_LIVE = """\
<volume type='block'>
  <name>lv1</name>
  <key>r4xkCv-MQhr-WKIT-R66x-Epn2-e8hG-1Z5gY0</key>
  <source>
    <device path='/dev/sdb1'>
      <extent start='0' end='1073741824'/>
    </device>
  </source>
  <capacity unit='bytes'>1073741824</capacity>
  <allocation unit='bytes'>1073741824</allocation>
  <physical unit='bytes'>1073741824</physical>
  <target>
    <path>/dev/vg0/lv1</path>
    <permissions>
      <mode>0600</mode>
      <owner>0</owner>
      <group>6</group>
    </permissions>
    <timestamps>
      <atime>1341933637.273190990</atime>
      <mtime>1341930622.047245868</mtime>
      <ctime>1341930622.047245868</ctime>
    </timestamps>
  </target>
  <backingStore>
    <path>/dev/vg0/base</path>
    <format type='raw'/>
    <permissions>
      <mode>0600</mode>
      <owner>0</owner>
      <group>6</group>
    </permissions>
    <timestamps>
      <atime>1341933637</atime>
      <mtime>1341930622</mtime>
      <ctime>1341930622</ctime>
    </timestamps>
  </backingStore>
</volume>
"""


def test_fc_host_adapter_parent_by_wwn() -> None:
    pool = roundtrip(VHBA_BY_PARENT_WWN)
    assert isinstance(pool, StoragePool) and pool.source is not None and pool.source.adapter is not None
    assert pool.source.adapter.managed is True


def test_fc_host_adapter_parent_by_fabric() -> None:
    roundtrip(VHBA_BY_FABRIC)


def test_free_extents_written_not_read() -> None:
    # libvirt ignores a pool's live state on input (sizes, free extents) and writes what a refresh found
    pool = virt.xml.parse(DISK_POOL_LIVE)
    assert isinstance(pool, StoragePool) and pool.source is not None
    assert "freeExtent" not in pool.to_xml()
    live = etree.fromstring(DISK_POOL_LIVE)
    pool.capacity, pool.allocation, pool.available = 500107862016, 0, 500107829248
    pool.source.devices[0].free_extents = live.findall("source/device/freeExtent")
    assert canon(pool.to_xml()) == canon(DISK_POOL_LIVE)


def test_volume_live_state_written_not_read() -> None:
    # likewise a volume's extents, physical size and file times
    vol = virt.xml.parse(LOGICAL_VOLUME_LIVE)
    assert isinstance(vol, StorageVolume) and vol.target is not None and vol.backing_store is not None
    assert vol.physical is None and vol.source is None
    live = etree.fromstring(LOGICAL_VOLUME_LIVE)
    vol.source = live.find("source")
    vol.physical = 1073741824
    vol.target.timestamps = live.find("target/timestamps")
    vol.backing_store.timestamps = live.find("backingStore/timestamps")
    assert canon(vol.to_xml()) == canon(LOGICAL_VOLUME_LIVE)


def test_nocow_written_when_set() -> None:
    # <nocow/> asks for a volume created without copy-on-write; libvirt 9.0 reads it for the
    # creation only and never writes it back, so only a definition built to be sent writes it
    vol = virt.xml.parse("<volume><name>n.img</name><capacity>1024</capacity><target><nocow/></target></volume>")
    assert isinstance(vol, StorageVolume) and vol.target is not None
    assert "nocow" not in vol.to_xml()
    vol.target.nocow = True
    assert "<nocow/>" in vol.to_xml()

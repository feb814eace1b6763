"""Checkpoint fields: the conformance corpus has no checkpoint documents that reach all of them.

The document is formatcheckpoint's kind, as libvirt 9.0's test driver gives it back (a parent, a
disk tracked into a bitmap with its size estimate, one left out, and the domain as it was).
"""

from __future__ import annotations

from field_coverage import roundtrip
from virt.xml import DomainCheckpoint

CHECKPOINT = """\
<domaincheckpoint>
  <name>second</name>
  <description>after the first backup</description>
  <parent>
    <name>first</name>
  </parent>
  <creationTime>1525889631</creationTime>
  <disks>
    <disk name='vda' checkpoint='bitmap' bitmap='second' size='1024'/>
    <disk name='vdb' checkpoint='no'/>
  </disks>
  <domain type='test'>
    <name>test</name>
    <uuid>6695eb01-f6a4-8304-79aa-97f2502e193f</uuid>
    <memory unit='KiB'>8388608</memory>
    <currentMemory unit='KiB'>2097152</currentMemory>
    <vcpu placement='static'>2</vcpu>
    <os>
      <type arch='i686'>hvm</type>
      <boot dev='hd'/>
    </os>
    <clock offset='utc'/>
    <on_poweroff>destroy</on_poweroff>
    <on_reboot>restart</on_reboot>
    <on_crash>destroy</on_crash>
    <devices>
      <disk type='file' device='disk'>
        <source file='/guest/diskimage1'/>
        <target dev='vda' bus='virtio'/>
      </disk>
      <disk type='file' device='disk'>
        <source file='/guest/diskimage2'/>
        <target dev='vdb' bus='virtio'/>
      </disk>
    </devices>
  </domain>
</domaincheckpoint>
"""


def test_checkpoint_fields() -> None:
    checkpoint = roundtrip(CHECKPOINT)
    assert isinstance(checkpoint, DomainCheckpoint) and checkpoint.disks is not None
    assert checkpoint.parent is not None and checkpoint.parent.name == "first"
    assert [(d.name, d.checkpoint, d.bitmap, d.size) for d in checkpoint.disks.disks] == [
        ("vda", "bitmap", "second", 1024),
        ("vdb", "no", None, None),
    ]
    assert checkpoint.domain is not None and checkpoint.domain.name == "test"


def test_a_disk_without_its_kind_tracks_into_a_bitmap() -> None:
    checkpoint = DomainCheckpoint.from_xml("<domaincheckpoint><disks><disk name='vda'/></disks></domaincheckpoint>")
    assert checkpoint.disks is not None and checkpoint.disks.disks[0].checkpoint == "bitmap"

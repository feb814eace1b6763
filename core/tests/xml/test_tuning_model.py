"""The tuning elements (virt.xml.tuning) as libvirt 9.0 writes them back after parsing: what
``virsh define`` then ``dumpxml`` printed for this very document on test:///default."""

from __future__ import annotations

import virt.xml
from virt.xml.tuning import BandwidthRate, MemTune

WRITTEN = """<domain type='test'>
  <name>norm</name>
  <memory>1048576</memory>
  <memtune><min_guarantee unit='M'>2</min_guarantee><soft_limit unit='M'>1</soft_limit><hard_limit>2048</hard_limit>
    <swap_hard_limit>9007199254740991</swap_hard_limit></memtune>
  <blkiotune><device><path>/dev/sda</path><read_iops_sec>5</read_iops_sec><weight>10</weight></device>
    <device><path>/dev/sdb</path><weight>0</weight></device><weight>300</weight></blkiotune>
  <vcpu>1</vcpu>
  <numatune><memory nodeset='3,1,2'/></numatune>
  <os><type>hvm</type></os>
  <perf><event name='cpu_cycles' enabled='no'/><event name='cmt' enabled='yes'/></perf>
  <devices>
    <disk type='file' device='disk'>
      <source file='/tmp/n.img'/>
      <target dev='vdb' bus='virtio'/>
      <iotune><group_name>x</group_name><total_bytes_sec>5</total_bytes_sec><total_bytes_sec_max>9</total_bytes_sec_max>
      </iotune>
    </disk>
    <interface type='network'>
      <mac address='52:54:00:11:22:44'/>
      <source network='default'/>
      <bandwidth><outbound burst='4' peak='3' average='2'/><inbound floor='7' average='1'/></bandwidth>
    </interface>
  </devices>
</domain>"""

LIBVIRTS = """  <blkiotune>
    <weight>300</weight>
    <device>
      <path>/dev/sda</path>
      <weight>10</weight>
      <read_iops_sec>5</read_iops_sec>
    </device>
  </blkiotune>
  <memtune>
    <hard_limit unit='KiB'>2048</hard_limit>
    <soft_limit unit='KiB'>1024</soft_limit>
    <min_guarantee unit='KiB'>2048</min_guarantee>
  </memtune>
  <vcpu placement='static'>1</vcpu>
  <numatune>
    <memory mode='strict' nodeset='1-3'/>
  </numatune>"""


def test_written_as_libvirt_writes_them() -> None:
    written = virt.xml.Domain.from_xml(WRITTEN).to_xml()
    assert LIBVIRTS in written
    assert (
        "  <perf>\n    <event name='cmt' enabled='yes'/>\n    <event name='cpu_cycles' enabled='no'/>\n  </perf>\n"
        in written
    )
    assert (
        "      <iotune>\n        <total_bytes_sec>5</total_bytes_sec>\n"
        "        <total_bytes_sec_max>9</total_bytes_sec_max>\n        <group_name>x</group_name>\n      </iotune>\n"
    ) in written
    assert (
        "      <bandwidth>\n        <inbound average='1' floor='7'/>\n"
        "        <outbound average='2' peak='3' burst='4'/>\n      </bandwidth>\n"
    ) in written


def test_models_read_their_values() -> None:
    domain = virt.xml.Domain.from_xml(WRITTEN)
    assert domain.memtune is not None
    assert MemTune.from_element(domain.memtune).min_guarantee == 2048
    interface = domain.devices.interfaces[0] if domain.devices is not None else None
    assert interface is not None and interface.bandwidth is not None
    outbound = interface.bandwidth.find("outbound")
    assert outbound is not None
    rate = BandwidthRate.from_element(outbound)
    assert (rate.average, rate.peak, rate.burst, rate.floor) == (2, 3, 4, None)


def _numatune(body: str) -> str:
    written = virt.xml.Domain.from_xml(
        f"<domain type='test'><name>n</name><memory>1024</memory>{body}</domain>"
    ).to_xml()
    start = written.find("  <numatune>")
    return "" if start < 0 else written[start : written.index("</numatune>") + len("</numatune>")]


def test_numatune_as_libvirt_writes_it() -> None:
    """What virsh dumpxml printed for each after defining it on test:///default."""
    auto = "  <numatune>\n    <memory mode='strict' placement='auto'/>\n  </numatune>"
    assert _numatune("<vcpu>1</vcpu><numatune><memory placement='auto'/></numatune>") == auto
    assert _numatune("<vcpu placement='auto'>1</vcpu>") == auto
    assert _numatune("<vcpu>1</vcpu>") == ""
    assert _numatune(
        "<vcpu>1</vcpu><numatune><memnode cellid='0' mode='preferred' nodeset='0'/>"
        "<memory nodeset='0' mode='interleave'/></numatune>"
    ) == (
        "  <numatune>\n    <memory mode='interleave' nodeset='0'/>\n"
        "    <memnode cellid='0' mode='preferred' nodeset='0'/>\n  </numatune>"
    )

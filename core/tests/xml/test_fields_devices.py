"""Device fields the conformance corpus does not reach, each in a small domain libvirt 9.0 formats unchanged.

The documents were checked against libvirt 9.0 itself (``defineXML`` + ``XMLDesc`` on
``test:///default`` gives them back as written) unless a comment says they are live-only XML.
User aliases (``ua-`` prefix) are the only aliases libvirt keeps in inactive XML, hence one on
each device kind.
"""

from __future__ import annotations

import pytest
from field_coverage import domain_with, roundtrip
from virt.xml import Domain

DEVICES: dict[str, str] = {
    "disk-geometry": """
    <disk type='block' device='disk'>
      <driver name='qemu' type='raw'/>
      <source dev='/dev/HostVG/QEMUGuest1'/>
      <geometry cyls='16383' heads='16' secs='63' trans='lba'/>
      <target dev='hda' bus='ide'/>
      <address type='drive' controller='0' bus='0' target='0' unit='0'/>
    </disk>
    <controller type='ide' index='0'>
      <address type='pci' domain='0x0000' bus='0x00' slot='0x01' function='0x1'/>
    </controller>
""",
    "lease": """
    <lease>
      <lockspace>somearea</lockspace>
      <key>somekey</key>
      <target path='/some/lease/path' offset='1024'/>
    </lease>
""",
    "interface-tuning": """
    <interface type='network'>
      <mac address='52:54:00:11:22:33'/>
      <source network='default'/>
      <target dev='tap-fields'/>
      <model type='virtio'/>
      <driver name='vhost' queues='5'/>
      <filterref filter='clean-traffic'>
        <parameter name='IP' value='10.0.0.1'/>
      </filterref>
      <tune>
        <sndbuf>1600</sndbuf>
      </tune>
      <teaming type='persistent'/>
      <mtu size='1500'/>
      <alias name='ua-net0'/>
      <rom bar='on' file='/etc/fake/boot.bin'/>
      <address type='pci' domain='0x0000' bus='0x00' slot='0x03' function='0x0'/>
    </interface>
""",
    "graphics-vnc-websocket-policy": """
    <graphics type='vnc' port='5900' autoport='no' websocket='5700' listen='127.0.0.1' keymap='de' sharePolicy='allow-exclusive' passwd='secret'>
      <listen type='address' address='127.0.0.1'/>
    </graphics>
    <video>
      <model type='vga' vram='16384' heads='1' primary='yes'/>
    </video>
""",
    "smartcard-alias": """
    <controller type='ccid' index='0'/>
    <smartcard mode='passthrough' type='spicevmc'>
      <alias name='ua-smartcard0'/>
      <address type='ccid' controller='0' slot='0'/>
    </smartcard>
""",
    "smartcard-tcp-protocol": """
    <controller type='ccid' index='0'/>
    <smartcard mode='passthrough' type='tcp'>
      <source mode='connect' host='127.0.0.1' service='2001'/>
      <protocol type='raw'/>
      <address type='ccid' controller='0' slot='0'/>
    </smartcard>
""",
    "serial-alias": """
    <serial type='pty'>
      <target type='isa-serial' port='0'>
        <model name='isa-serial'/>
      </target>
      <alias name='ua-serial0'/>
    </serial>
    <console type='pty'>
      <target type='serial' port='0'/>
      <alias name='ua-serial0'/>
    </console>
""",
    "input-model": """
    <input type='keyboard' bus='virtio' model='virtio-non-transitional'>
      <alias name='ua-input0'/>
      <address type='pci' domain='0x0000' bus='0x00' slot='0x04' function='0x0'/>
    </input>
    <input type='mouse' bus='ps2'/>
    <input type='keyboard' bus='ps2'/>
""",
    "tpm-alias": """
    <tpm model='tpm-tis'>
      <backend type='passthrough'>
        <device path='/dev/tpm0'/>
      </backend>
      <alias name='ua-tpm0'/>
    </tpm>
""",
    "sound-alias": """
    <sound model='ich6'>
      <alias name='ua-sound0'/>
      <address type='pci' domain='0x0000' bus='0x00' slot='0x05' function='0x0'/>
    </sound>
    <audio id='1' type='none'/>
""",
    "hub-alias": """
    <controller type='usb' index='0' model='piix3-uhci'/>
    <hub type='usb'>
      <alias name='ua-hub0'/>
      <address type='usb' bus='0' port='1'/>
    </hub>
""",
    "redirdev-boot": """
    <controller type='usb' index='0' model='piix3-uhci'/>
    <redirdev bus='usb' type='spicevmc'>
      <boot order='1'/>
      <alias name='ua-redir0'/>
      <address type='usb' bus='0' port='2'/>
    </redirdev>
""",
    "hostdev-rom": """
    <hostdev mode='subsystem' type='pci' managed='yes'>
      <source>
        <address domain='0x0000' bus='0x06' slot='0x12' function='0x5'/>
      </source>
      <rom bar='off'/>
      <address type='pci' domain='0x0000' bus='0x00' slot='0x06' function='0x0'/>
    </hostdev>
""",
    # live (status) XML only: the state to restore when the device goes back to the host
    "hostdev-origstates": """
    <hostdev mode='subsystem' type='pci' managed='yes'>
      <source>
        <address domain='0x0000' bus='0x06' slot='0x12' function='0x5'/>
      </source>
      <origstates>
        <unbind/>
        <removeslot/>
        <reprobe/>
      </origstates>
      <address type='pci' domain='0x0000' bus='0x00' slot='0x06' function='0x0'/>
    </hostdev>
""",
    "watchdog-address": """
    <watchdog model='i6300esb' action='reset'>
      <alias name='ua-watchdog0'/>
      <address type='pci' domain='0x0000' bus='0x00' slot='0x07' function='0x0'/>
    </watchdog>
""",
    "memballoon-autodeflate": """
    <memballoon model='virtio' autodeflate='on'>
      <alias name='ua-balloon0'/>
      <address type='pci' domain='0x0000' bus='0x00' slot='0x08' function='0x0'/>
    </memballoon>
""",
    "rng-alias": """
    <rng model='virtio'>
      <backend model='random'>/dev/random</backend>
      <alias name='ua-rng0'/>
      <address type='pci' domain='0x0000' bus='0x00' slot='0x09' function='0x0'/>
    </rng>
""",
    "nvram-alias": """
    <nvram>
      <alias name='ua-nvram0'/>
      <address type='spapr-vio' reg='0x00003000'/>
    </nvram>
""",
    "panic-alias": """
    <panic model='isa'>
      <alias name='ua-panic0'/>
      <address type='isa' iobase='0x505'/>
    </panic>
""",
    "shmem-alias": """
    <shmem name='shmem0'>
      <model type='ivshmem-plain'/>
      <size unit='M'>4</size>
      <alias name='ua-shmem0'/>
      <address type='pci' domain='0x0000' bus='0x00' slot='0x0a' function='0x0'/>
    </shmem>
""",
    "iommu-alias": """
    <iommu model='virtio'>
      <alias name='ua-iommu0'/>
      <address type='pci' domain='0x0000' bus='0x00' slot='0x0c' function='0x0'/>
    </iommu>
""",
    "vsock-alias": """
    <vsock model='virtio'>
      <cid auto='no' address='4'/>
      <alias name='ua-vsock0'/>
      <address type='pci' domain='0x0000' bus='0x00' slot='0x0d' function='0x0'/>
    </vsock>
""",
    # virtio-crypto came after libvirt 9.0 (which drops the element); the shape is libvirt 9.1's
    "crypto": """
    <crypto model='virtio' type='qemu'>
      <backend model='builtin' queues='1'/>
      <alias name='ua-crypto0'/>
      <address type='pci' domain='0x0000' bus='0x00' slot='0x0b' function='0x0'/>
    </crypto>
""",
}


@pytest.mark.parametrize("devices", DEVICES.values(), ids=DEVICES.keys())
def test_device_fields_roundtrip(devices: str) -> None:
    roundtrip(domain_with(devices))


def test_memory_device_alias() -> None:
    # a memory device needs the guest NUMA and <maxMemory> it plugs into
    doc = """<domain type='qemu'>
  <name>fields</name>
  <uuid>c7a5fdbd-edaf-9455-926a-d65c16db1809</uuid>
  <maxMemory slots='16' unit='KiB'>1099511627776</maxMemory>
  <memory unit='KiB'>742400</memory>
  <currentMemory unit='KiB'>742400</currentMemory>
  <vcpu placement='static'>2</vcpu>
  <os>
    <type arch='x86_64' machine='pc'>hvm</type>
    <boot dev='hd'/>
  </os>
  <cpu>
    <numa>
      <cell id='0' cpus='0-1' memory='219136' unit='KiB'/>
    </numa>
  </cpu>
  <clock offset='utc'/>
  <on_poweroff>destroy</on_poweroff>
  <on_reboot>restart</on_reboot>
  <on_crash>destroy</on_crash>
  <devices>
    <emulator>/usr/bin/qemu-system-x86_64</emulator>
    <memory model='dimm'>
      <target>
        <size unit='KiB'>523264</size>
        <node>0</node>
      </target>
      <alias name='ua-dimm0'/>
    </memory>
  </devices>
</domain>
"""
    roundtrip(doc)


def test_filesystem_fields() -> None:
    # LXC's quota limits, and (in a second filesystem, see test_filesystem_alias_before_limits) an alias
    devices = """
    <filesystem type='mount' accessmode='passthrough'>
      <source dir='/var/lib/container'/>
      <target dir='/'/>
      <space_hard_limit unit='bytes'>10485760</space_hard_limit>
      <space_soft_limit unit='bytes'>5242880</space_soft_limit>
    </filesystem>
    <filesystem type='mount' accessmode='passthrough'>
      <source dir='/var/lib/data'/>
      <target dir='/data'/>
      <alias name='ua-data'/>
    </filesystem>
"""
    roundtrip(domain_with(devices, type="lxc"))


def test_filesystem_idmap() -> None:
    # virtiofs's user namespace mapping: after libvirt 9.0 (10.0 added it), written after <binary>
    devices = """
    <filesystem type='mount' accessmode='passthrough'>
      <driver type='virtiofs'/>
      <binary path='/usr/libexec/virtiofsd' xattr='on'/>
      <idmap>
        <uid start='0' target='100000' count='65535'/>
        <gid start='0' target='100000' count='65535'/>
      </idmap>
      <source dir='/path'/>
      <target dir='mount_tag'/>
      <address type='pci' domain='0x0000' bus='0x00' slot='0x03' function='0x0'/>
    </filesystem>
"""
    roundtrip(domain_with(devices))


def test_console_tty() -> None:
    # live XML only: a running domain's pty console names the host side
    devices = """
    <serial type='pty'>
      <source path='/dev/pts/3'/>
      <target type='isa-serial' port='0'>
        <model name='isa-serial'/>
      </target>
      <alias name='serial0'/>
    </serial>
    <console type='pty' tty='/dev/pts/3'>
      <source path='/dev/pts/3'/>
      <target type='serial' port='0'/>
      <alias name='serial0'/>
    </console>
"""
    dom = roundtrip(domain_with(devices))
    assert isinstance(dom, Domain) and dom.devices is not None
    assert dom.devices.consoles[0].tty == "/dev/pts/3"


def test_filesystem_alias_before_limits() -> None:
    devices = """
    <filesystem type='mount' accessmode='passthrough'>
      <source dir='/var/lib/container'/>
      <target dir='/'/>
      <alias name='ua-rootfs'/>
      <space_hard_limit unit='bytes'>10485760</space_hard_limit>
      <space_soft_limit unit='bytes'>5242880</space_soft_limit>
    </filesystem>
"""
    roundtrip(domain_with(devices, type="lxc"))


def test_device_kinds_in_libvirt_order() -> None:
    # libvirt 9.0's own output for these devices, in its order (virDomainDefFormatInternal)
    devices = """
    <controller type='usb' index='0' model='piix3-uhci'/>
    <hostdev mode='subsystem' type='pci' managed='yes'>
      <source>
        <address domain='0x0000' bus='0x06' slot='0x12' function='0x5'/>
      </source>
    </hostdev>
    <redirdev bus='usb' type='spicevmc'>
    </redirdev>
    <hub type='usb'/>
    <panic model='isa'/>
    <shmem name='shmem0'>
      <model type='ivshmem-plain'/>
    </shmem>
    <iommu model='intel'/>
    <vsock model='virtio'>
      <cid auto='no' address='4'/>
    </vsock>
"""
    roundtrip(domain_with(devices))


@pytest.mark.parametrize(("written", "kept"), [("10", "10"), (" 7", "7"), ("0", None), ("-5", None)])
def test_memballoon_keeps_only_a_positive_stats_period(written: str, kept: str | None) -> None:
    # libvirt 9.0 (test:///default, defineXML + XMLDesc): a period of 0 or less leaves no <stats>
    doc = domain_with(f"""
    <memballoon model='virtio'>
      <stats period='{written}'/>
      <address type='pci' domain='0x0000' bus='0x00' slot='0x08' function='0x0'/>
    </memballoon>
""")
    balloon = Domain.from_xml(doc).devices.memballoon  # type: ignore[union-attr]
    assert balloon is not None
    assert balloon.period == int(kept or 0)
    assert ("<stats period='" + kept + "'/>" in balloon.to_xml()) if kept else "<stats" not in balloon.to_xml()


@pytest.mark.parametrize("written", ["abc", "", "2147483648"])
def test_memballoon_stats_period_must_be_an_int(written: str) -> None:
    from virt.errors import XMLError

    doc = domain_with(f"<memballoon model='virtio'><stats period='{written}'/></memballoon>")
    with pytest.raises(XMLError, match=r"/domain/devices/memballoon/stats/@period"):
        Domain.from_xml(doc)

"""Domain -> xl.cfg for the guests the Xen driver starts (a PV guest), and what the format refuses."""

from __future__ import annotations

import pytest
from virt.errors import VirtError
from virt.xml import Domain
from virt_xen.xlcfg import syntax, to_native

PV_GUEST = """<domain type='xen'>
  <name>tiny</name>
  <uuid>5c3bc6d8-3bb6-4a62-9e61-0f6b5d2c1a01</uuid>
  <memory unit='MiB'>128</memory>
  <currentMemory unit='KiB'>65537</currentMemory>
  <vcpu current='1'>2</vcpu>
  <os>
    <type arch='x86_64' machine='xenpv'>linux</type>
    <kernel>/var/lib/xen/tiny/vmlinuz</kernel>
    <initrd>/var/lib/xen/tiny/initrd.gz</initrd>
    <cmdline>console=hvc0 quiet</cmdline>
  </os>
  <on_poweroff>destroy</on_poweroff>
  <on_reboot>restart</on_reboot>
  <on_crash>preserve</on_crash>
  <devices>
    <disk type='file' device='disk'>
      <driver name='qemu' type='qcow2'/>
      <source file='/var/lib/xen/tiny/disk.qcow2'/>
      <target dev='xvda' bus='xen'/>
    </disk>
    <disk type='block' device='disk'>
      <driver name='phy'/>
      <source dev='/dev/vg/data'/>
      <target dev='xvdb' bus='xen'/>
      <readonly/>
    </disk>
    <interface type='bridge'>
      <mac address='00:16:3e:00:00:01'/>
      <source bridge='xenbr0'/>
    </interface>
    <interface type='ethernet'>
      <mac address='00:16:3e:00:00:02'/>
      <target dev='vif-tiny'/>
    </interface>
    <console type='pty'>
      <target type='xen' port='0'/>
    </console>
  </devices>
</domain>
"""


def settings(text: str) -> dict[str, object]:
    return {entry.key: entry.value for entry in syntax.parse(text)}


def test_pv_guest_gives_the_settings_xl_create_reads() -> None:
    text = to_native(Domain.from_xml(PV_GUEST))
    assert text.splitlines() == [
        'name = "tiny"',
        'uuid = "5c3bc6d8-3bb6-4a62-9e61-0f6b5d2c1a01"',
        "maxmem = 128",
        "memory = 65",  # KiB rounded up to whole MiB
        "maxvcpus = 2",
        "vcpus = 1",
        "localtime = 0",
        'on_poweroff = "destroy"',
        'on_reboot = "restart"',
        'on_crash = "preserve"',
        'vif = [ "mac=00:16:3e:00:00:01,bridge=xenbr0,script=vif-bridge", "mac=00:16:3e:00:00:02,vifname=vif-tiny" ]',
        'kernel = "/var/lib/xen/tiny/vmlinuz"',
        'ramdisk = "/var/lib/xen/tiny/initrd.gz"',
        'cmdline = "console=hvc0 quiet"',
        'disk = [ "format=qcow2,vdev=xvda,access=rw,backendtype=qdisk,target=/var/lib/xen/tiny/disk.qcow2", '
        '"format=raw,vdev=xvdb,access=ro,backendtype=phy,target=/dev/vg/data" ]',
    ]


def test_written_config_reads_back_as_written() -> None:
    text = to_native(Domain.from_xml(PV_GUEST))
    again = syntax.format_config((entry.key, entry.value) for entry in syntax.parse(text))
    assert again == text


def test_pvh_and_bootloader_guests() -> None:
    pvh = PV_GUEST.replace("machine='xenpv'>linux", "machine='xenpvh'>xenpvh")
    assert 'type = "pvh"' in to_native(Domain.from_xml(pvh)).splitlines()
    loader = PV_GUEST.replace(
        "<os>", "<bootloader>/usr/bin/pygrub</bootloader><bootloader_args>-q</bootloader_args><os>"
    )
    found = settings(to_native(Domain.from_xml(loader)))
    assert found["bootloader"] == "/usr/bin/pygrub"
    assert found["bootargs"] == "-q"


@pytest.mark.parametrize(
    ("change", "words"),
    [
        (("<interface type='bridge'>", "<interface type='network'>"), "network"),
        (("<interface type='bridge'>", "<interface type='user'>"), "Unsupported net type 'user'"),
        (("<driver name='phy'/>", "<driver name='vbox'/>"), "disk driver 'vbox'"),
        (("</os>", "</os><clock offset='timezone' timezone='Europe/Paris'/>"), "clock offset='timezone'"),
        (("<console type='pty'>", "<channel type='tcp'><target type='xen' name='c'/></channel><console type='pty'>"),
         "channel type 'tcp'"),
        (("<cmdline>console=hvc0 quiet</cmdline>", "<cmdline>a\"b'c\"</cmdline>"), "quoting"),
    ],
)  # fmt: skip
def test_what_xl_cannot_say_is_refused_by_name(change: tuple[str, str], words: str) -> None:
    with pytest.raises(VirtError) as raised:
        to_native(Domain.from_xml(PV_GUEST.replace(*change)))
    assert words in raised.value.message


def test_a_virtual_network_is_its_bridge_when_the_host_says_it() -> None:
    network = PV_GUEST.replace("<interface type='bridge'>", "<interface type='network'>").replace(
        "<source bridge='xenbr0'/>", "<source network='default'/>"
    )
    text = to_native(Domain.from_xml(network), network_bridge={"default": "virbr0"}.__getitem__)
    vifs = settings(text)["vif"]
    assert isinstance(vifs, list)
    assert vifs[0].value == "mac=00:16:3e:00:00:01,bridge=virbr0,script=vif-bridge"


def test_a_definition_without_uuid_gets_one_as_libvirts_parser_gives_it() -> None:
    from virt.native import to_native

    xml = "<domain type='xen'><name>nouuid</name><memory>98304</memory><os><type>linux</type></os></domain>"
    first, second = (to_native("xen-xl", xml) for _ in range(2))
    uuids = [line for text in (first, second) for line in text.splitlines() if line.startswith("uuid = ")]
    assert len(uuids) == 2 and uuids[0] != uuids[1]

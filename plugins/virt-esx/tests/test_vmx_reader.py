"""VMX -> domain: what the corpus does not show, and libvirt's refusals (each error names the entry)."""

from __future__ import annotations

import uuid

import pytest
from virt.errors import ErrorNumber, VirtError
from virt_esx.vmx import Context, from_native

HEAD = 'config.version = "8"\nvirtualHW.version = "4"\n'


def vmx(*entries: str) -> str:
    return HEAD + "".join(f"{entry}\n" for entry in entries)


def refused(text: str | bytes, context: Context | None = None) -> str:
    with pytest.raises(VirtError) as caught:
        from_native(text, context=context or Context())
    return caught.value.message


def test_minimal_vm_gets_libvirts_defaults() -> None:
    dom = from_native(vmx())
    assert dom.type == "vmware" and dom.name is None
    assert dom.uuid == uuid.UUID(int=0)
    assert dom.memory == dom.current_memory == 32 * 1024
    assert dom.vcpu is not None and dom.vcpu.count == 1 and dom.vcpu.placement == "static"
    assert dom.os is not None and dom.os.type is not None and dom.os.type.arch == "i686" and not dom.os.boot
    assert dom.devices is not None and [v.model.vram for v in dom.devices.videos if v.model] == [4096]


def test_memory_limits_and_reservation() -> None:
    dom = from_native(vmx('memsize = "1024"', 'sched.mem.max = "512"', 'sched.mem.minsize = "256"'))
    assert dom.memory == 1024 * 1024 and dom.current_memory == 512 * 1024
    assert dom.memtune is not None
    minimum = dom.memtune.find("min_guarantee")
    assert minimum is not None and minimum.text == str(256 * 1024) and minimum.get("unit") == "KiB"
    # unlimited, or more than the VM has, is the VM's size
    dom = from_native(vmx('memsize = "64"', 'sched.mem.max = "unlimited"', 'sched.mem.minsize = "128"'))
    assert dom.current_memory == 64 * 1024
    assert dom.memtune is not None and dom.memtune.findtext("min_guarantee") == str(64 * 1024)


def test_name_and_annotation_escapes() -> None:
    dom = from_native(vmx('displayName = "a%2fb|7cc|22"', 'annotation = "line one|0Aline two |7c"'))
    assert dom.name == 'a/b|c"'
    assert dom.description == "line one\nline two |"


def test_genid_from_two_signed_halves() -> None:
    dom = from_native(vmx('vm.genid = "1"', 'vm.genidX = "-1"'))
    assert dom.genid == "00000000-0000-0001-ffff-ffffffffffff"


def test_vnc_with_an_address_and_without_a_port() -> None:
    dom = from_native(vmx('RemoteDisplay.vnc.enabled = "TRUE"', 'RemoteDisplay.vnc.ip = "10.0.0.1"'))
    assert dom.devices is not None
    (graphics,) = dom.devices.graphics
    assert (graphics.type, graphics.port, graphics.autoport, graphics.listen) == ("vnc", -1, True, "10.0.0.1")
    assert [(listen.type, listen.address) for listen in graphics.listens] == [("address", "10.0.0.1")]


def test_write_through_disk_and_a_second_scsi_controller() -> None:
    dom = from_native(
        vmx(
            'scsi1.present = "true"',
            'scsi1.virtualDev = "pvscsi"',
            'scsi1:8.present = "true"',
            'scsi1:8.fileName = "/vmfs/volumes/ds1/vm/disk.vmdk"',
            'scsi1:8.writeThrough = "true"',
        )
    )
    assert dom.devices is not None
    (disk,) = dom.devices.disks
    assert disk.target is not None and disk.target.dev == "sdw"  # 1 * 15 + 8 - 1 (unit 7 is the controller's)
    assert disk.source is not None and disk.source.file == "[ds1] vm/disk.vmdk"
    assert disk.driver is not None and disk.driver.cache == "writethrough"
    assert disk.address is not None and (disk.address.controller, disk.address.unit) == ("1", "8")
    assert [(c.type, c.index, c.model) for c in dom.devices.controllers] == [("scsi", 0, None), ("scsi", 1, "vmpvscsi")]


def test_network_serial_port_uris() -> None:
    dom = from_native(
        vmx(
            'serial0.present = "true"',
            'serial0.fileType = "network"',
            'serial0.fileName = "telnet://[::1]:23"',
            'serial1.present = "true"',
            'serial1.fileType = "network"',
            'serial1.fileName = "Host.Example:4000"',
            'serial1.network.endPoint = "client"',
        )
    )
    assert dom.devices is not None
    first, second = dom.devices.serials
    assert [(s.mode, s.host, s.service) for s in first.sources] == [("bind", "::1", "23")]
    assert first.protocol is not None and first.protocol.get("type") == "telnet"
    assert [(s.mode, s.host, s.service) for s in second.sources] == [("connect", "Host.Example", "4000")]
    assert second.protocol is not None and second.protocol.get("type") == "raw"
    (console,) = dom.devices.consoles
    assert console.target is not None and (console.target.type, console.target.port) == ("serial", 0)


def test_bytes_in_the_declared_encoding() -> None:
    text = vmx('.encoding = "windows-1252"', 'displayName = "caf\xe9"').encode("windows-1252")
    assert from_native(text).name == "café"
    assert from_native(vmx('displayName = "café"').encode()).name == "café"


def test_vcenter_context_goes_into_the_vmware_namespace() -> None:
    dom = from_native(vmx(), context=Context(datacenter_path="dc1", moref="vm-7"))
    assert dom.vmware_datacenterpath is not None and dom.vmware_datacenterpath.text == "dc1"
    assert dom.vmware_moref is not None and dom.vmware_moref.text == "vm-7"
    assert (
        "<vmware:moref xmlns:vmware='http://libvirt.org/schemas/domain/vmware/1.0'>vm-7</vmware:moref>" in dom.to_xml()
    )


def test_missing_cdrom_image_is_an_empty_drive_and_a_missing_disk_an_error() -> None:
    def lookup(file_name: str, allow_missing: bool) -> str | None:
        if allow_missing:
            return None
        raise VirtError(f"Referenced missing file '{file_name}'")

    dom = from_native(vmx('ide0:0.present = "true"', 'ide0:0.fileName = "/x/cd.iso"'), context=Context(lookup))
    assert dom.devices is not None and dom.devices.disks[0].source is None
    message = refused(vmx('ide0:0.present = "true"', 'ide0:0.fileName = "/x/disk.vmdk"'), Context(lookup))
    assert message == "Referenced missing file '/x/disk.vmdk'"


@pytest.mark.parametrize(
    ("entries", "message"),
    [
        (('memsize = "30"',), "Expecting VMX entry 'memsize' to be an unsigned integer (multiple of 4) but found 30"),
        (('memsize = "lots"',), "Config entry 'memsize' must represent an integer value"),
        (('numvcpus = "0"',), "Expecting VMX entry 'numvcpus' to be an unsigned integer greater than 0 but found 0"),
        (('numvcpus = "2"', 'cpuid.coresPerSocket = "4"'), "VMX entry 'cpuid.coresPerSocket' smaller than 'numvcpus'"),
        (('uuid.bios = "56 4d 9b"',), "Could not parse UUID from string '56 4d 9b'"),
        (('displayName = "bad%zz"',), "VMX entry 'name' contains invalid escape sequence"),
        (('annotation = "bad|7"',), "VMX entry 'annotation' contains invalid escape sequence"),
        (
            ('smbios.reflecthost = "yes"',),
            "Config entry 'smbios.reflecthost' must represent a boolean value (true|false)",
        ),
        (('firmware = "bios"',), "VMX entry 'firmware' has unknown value 'bios'"),
        (
            ('numvcpus = "2"', 'sched.cpu.affinity = "1"'),
            "Expecting VMX entry 'sched.cpu.affinity' to contain at least as many values as 'numvcpus' (2) "
            "but found only 1 value(s)",
        ),
        (
            ('sched.cpu.affinity = "0,x"',),
            "Expecting VMX entry 'sched.cpu.affinity' to be a comma separated list of unsigned integers but found '0,x'",
        ),
        (('sched.cpu.affinity = "1024"',), "VMX entry 'sched.cpu.affinity' contains a 1024, this value is too large"),
        (
            ('sched.cpu.shares = "lots"',),
            "Expecting VMX entry 'sched.cpu.shares' to be an unsigned integer or 'low', 'normal' or 'high' "
            "but found 'lots'",
        ),
        (
            ('scsi0.present = "true"', 'scsi0.virtualDev = "Mylex"'),
            "Expecting VMX entry 'scsi0.virtualDev' to be 'buslogic' or 'lsilogic' or 'lsisas1068' or 'pvscsi' "
            "but found 'mylex'",
        ),
        (
            (
                'scsi0.present = "true"',
                'scsi0:0.present = "true"',
                'scsi0:0.fileName = "d.vmdk"',
                'scsi0:0.deviceType = "ata-hardDisk"',
            ),
            "Expecting VMX entry 'scsi0:0.deviceType' to be 'scsi-hardDisk' or 'disk' but found 'ata-hardDisk'",
        ),
        (
            ('ide0:0.present = "true"', 'ide0:0.fileName = "disk.img"'),
            "Invalid or not yet handled value 'disk.img' for VMX entry 'ide0:0.fileName' for device type 'unknown'",
        ),
        (
            ('ide0:0.present = "true"', 'ide0:0.fileName = "cd.iso"', 'ide0:0.deviceType = "atapi-cdrom"'),
            "Expecting VMX entry 'ide0:0.deviceType' to be 'cdrom-image' but found 'atapi-cdrom'",
        ),
        (
            ('floppy0.present = "true"', 'floppy0.fileType = "pipe"', 'floppy0.fileName = "x"'),
            "Invalid or not yet handled value 'x' for VMX entry 'floppy0.fileName' for device type 'unknown'",
        ),
        (('ide0:0.present = "true"', 'ide0:0.fileName = "a/b.vmdk"'), "is a relative path, which is not supported"),
        (
            (
                'isolation.tools.hgfs.disable = "false"',
                'sharedFolder.maxNum = "1"',
                'sharedFolder0.present = "true"',
                'sharedFolder0.enabled = "true"',
            ),
            "Missing essential config entry 'sharedFolder0.hostPath'",
        ),
        (('ethernetX.present = "true"',), "failed to parse the index of the VMX key 'ethernetX.present'"),
        (
            ('ethernet0.present = "true"', 'ethernet0.addressType = "dhcp"'),
            "Expecting VMX entry 'ethernet0.addressType' to be 'generated' or 'static' or 'vpx' but found 'dhcp'",
        ),
        (
            ('ethernet0.present = "true"', 'ethernet0.generatedAddress = "00:50:56"'),
            "Expecting VMX entry 'ethernet0.generatedAddress' to be MAC address but found '00:50:56'",
        ),
        (
            ('ethernet0.present = "true"', 'ethernet0.virtualDev = "virtio"'),
            "Expecting VMX entry 'ethernet0.virtualDev' to be 'vlance' or 'vmxnet' or 'vmxnet3' or 'e1000' or "
            "'e1000e' but found 'virtio'",
        ),
        (
            ('ethernet0.present = "true"', 'ethernet0.connectionType = "bridged"'),
            "Missing essential config entry 'ethernet0.networkName'",
        ),
        (
            ('ethernet0.present = "true"', 'ethernet0.connectionType = "custom"', 'ethernet0.networkName = "n"'),
            "Missing essential config entry 'ethernet0.vnet'",
        ),
        (
            ('ethernet0.present = "true"', 'ethernet0.connectionType = "hostonly"'),
            "No yet handled value 'hostonly' for VMX entry 'ethernet0.connectionType'",
        ),
        (
            ('ethernet0.present = "true"', 'ethernet0.connectionType = "wifi"'),
            "Invalid value 'wifi' for VMX entry 'ethernet0.connectionType'",
        ),
        (
            ('ethernet0.present = "true"', 'ethernet0.dvs.switchId = "00 11"'),
            "Could not parse UUID from string '00 11'",
        ),
        (
            ('serial0.present = "true"', 'serial0.fileType = "thin-print"'),
            "Expecting VMX entry 'serial0.fileType' to be 'device', 'file' or 'pipe' or 'network' but found "
            "'thin-print'",
        ),
        (
            ('serial0.present = "true"', 'serial0.fileType = "network"', 'serial0.fileName = "tcp://host"'),
            "VMX entry 'serial0.fileName' doesn't contain a port part",
        ),
        (
            ('serial0.present = "true"', 'serial0.fileType = "network"', 'serial0.fileName = "udp://host:9"'),
            "VMX entry 'serial0.fileName' contains unsupported scheme 'udp'",
        ),
        (
            (
                'serial0.present = "true"',
                'serial0.fileType = "network"',
                'serial0.fileName = "tcp://h:9"',
                'serial0.network.endPoint = "both"',
            ),
            "Expecting VMX entry 'serial0.network.endPoint' to be 'server' or 'client' but found 'both'",
        ),
        (('parallel0.present = "true"',), "Missing essential config entry 'parallel0.fileType'"),
        (
            ('parallel0.present = "true"', 'parallel0.fileType = "pipe"', 'parallel0.fileName = "p"'),
            "Expecting VMX entry 'parallel0.fileType' to be 'device' or 'file' but found 'pipe'",
        ),
    ],
)
def test_refusals_name_the_entry(entries: tuple[str, ...], message: str) -> None:
    got = refused(vmx(*entries))
    assert got.startswith("internal error: ")
    assert message in got


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('virtualHW.version = "4"\n', "Missing essential config entry 'config.version'"),
        ('config.version = "7"\nvirtualHW.version = "4"\n', "Expecting VMX entry 'config.version' to be 8 but found 7"),
        ('config.version = "8"\n', "Missing essential config entry 'virtualHW.version'"),
        (
            'config.version = "8"\nvirtualHW.version = "3"\n',
            "Expecting VMX entry 'virtualHW.version' to be 4 or higher but found 3",
        ),
        (HEAD + '.encoding = "no-such-charset"\n', "VMX entry '.encoding' names an unknown encoding 'no-such-charset'"),
    ],
)
def test_header_refusals(text: str, message: str) -> None:
    assert message in refused(text)


def test_errors_are_internal_errors_like_libvirts() -> None:
    with pytest.raises(VirtError) as caught:
        from_native(vmx('memsize = "30"'))
    assert caught.value.code == ErrorNumber.INTERNAL_ERROR


def test_undecodable_bytes() -> None:
    assert refused(b'config.version = "8"\nvirtualHW.version = "4"\ndisplayName = "\xff"\n') == (
        "internal error: Could not convert from utf-8 to UTF-8 encoding"
    )

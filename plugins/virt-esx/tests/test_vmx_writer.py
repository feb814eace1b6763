"""Domain -> VMX: what the corpus does not show, and libvirt's refusals (each error names the element)."""

from __future__ import annotations

import pytest
from virt.errors import ErrorNumber, VirtError
from virt.xml import Domain
from virt_esx.vmx import Context, from_native, to_native
from virt_esx.vmx import syntax as vmx_syntax


def domain(devices: str = "", *, head: str = "", domain_type: str = "vmware", arch: str = "i686") -> Domain:
    return Domain.from_xml(
        f"""<domain type='{domain_type}'>
  <name>vm</name>
  <uuid>564d9bef-acd9-b4e0-c8f0-aea8b9103515</uuid>
  <memory unit='KiB'>65536</memory>
  {head}
  <os><type arch='{arch}'>hvm</type></os>
  <devices>{devices}</devices>
</domain>"""
    )


def entries(dom: Domain, **options: object) -> dict[str, str]:
    text = to_native(dom, **options)  # type: ignore[arg-type]
    return {e.key: e.value for e in vmx_syntax.parse(text)}


def refused(dom: Domain, **options: object) -> VirtError:
    with pytest.raises(VirtError) as caught:
        to_native(dom, **options)  # type: ignore[arg-type]
    return caught.value


def test_minimal() -> None:
    got = entries(domain())
    assert got == {
        ".encoding": "UTF-8",
        "config.version": "8",
        "virtualHW.version": "4",
        "guestOS": "other",
        "uuid.bios": "56 4d 9b ef ac d9 b4 e0-c8 f0 ae a8 b9 10 35 15",
        "displayName": "vm",
        "memsize": "64",
        "numvcpus": "1",
        "floppy0.present": "false",
        "floppy1.present": "false",
    }


def test_newer_virtual_hardware_adds_vmci_and_more_nics() -> None:
    nics = "".join(f"<interface type='user'><mac address='00:0c:29:00:00:0{n}'/></interface>" for n in range(6))
    got = entries(domain(nics), virtual_hw_version=7)
    assert got["virtualHW.version"] == "7" and got["vmci0.present"] == "true"
    assert got["ethernet5.connectionType"] == "nat" and "pciBridge0.present" not in got  # no SCSI controller
    assert "Ethernet controller index 4 out of [0..3] range" in refused(domain(nics)).message


def test_name_annotation_memory_cpus() -> None:
    dom = domain(
        head="""<title>t</title><description>say "hi" | bye
second line</description>
  <currentMemory unit='KiB'>40000</currentMemory>
  <memtune><min_guarantee unit='MiB'>16</min_guarantee></memtune>
  <vcpu cpuset='0-1,4'>2</vcpu>
  <cputune><shares>2000</shares></cputune>
  <cpu><topology sockets='1' cores='2' threads='1'/></cpu>"""
    )
    dom.name = 'a/b%c|d"'
    got = entries(dom)
    assert got["displayName"] == "a%2fb%25c|7cd|22"
    assert got["annotation"] == "say |22hi|22 |7c bye|0asecond line"
    assert (got["memsize"], got["sched.mem.max"], got["sched.mem.minsize"]) == ("64", "40", "16")
    assert (got["numvcpus"], got["cpuid.coresPerSocket"]) == ("2", "2")
    assert got["sched.cpu.affinity"] == "0,1,4"
    assert got["sched.cpu.shares"] == "normal"
    back = from_native(to_native(dom))
    assert back.name == dom.name and back.description == dom.description


def test_no_uuid_asks_vmware_for_one() -> None:
    dom = domain()
    dom.uuid = None
    assert entries(dom)["uuid.action"] == "create"


def test_vnc_display_brings_a_video_card() -> None:
    got = entries(domain("<graphics type='vnc' autoport='yes' listen='127.0.0.1'/>"))
    assert got["RemoteDisplay.vnc.enabled"] == "true" and "RemoteDisplay.vnc.port" not in got
    assert got["RemoteDisplay.vnc.ip"] == "127.0.0.1"
    assert got["svga.vramSize"] == str(4096 * 1024)


def test_video_memory_rounds_up_to_64_kib() -> None:
    got = entries(domain("<video><model type='vmvga' vram='1000'/></video>"))
    assert got["svga.vramSize"] == str(1024 * 1024)


def test_disks_on_buses_and_controllers() -> None:
    got = entries(
        domain(
            """
    <disk type='file' device='disk'>
      <driver cache='writethrough'/><source file='[ds] vm/a.vmdk'/><target dev='sdh' bus='scsi'/><transient/>
    </disk>
    <disk type='block' device='cdrom'><source dev='/dev/scd0'/><target dev='hdd' bus='ide'/></disk>
    <disk type='block' device='cdrom'><target dev='hdb' bus='ide'/></disk>
    <disk type='block' device='lun'><source startupPolicy='optional'/><target dev='hda'/></disk>
    <disk type='file' device='floppy'><source file='/floppies/boot.flp'/><target dev='fdb'/></disk>
    <controller type='scsi' index='0' model='lsisas1068'/>"""
        )
    )
    assert got["scsi0.virtualDev"] == "lsisas1068"
    assert got["scsi0:8.fileName"] == "/vmfs/volumes/ds/vm/a.vmdk"  # sdh: unit 7 is the controller's
    assert (got["scsi0:8.writeThrough"], got["scsi0:8.mode"]) == ("true", "independent-nonpersistent")
    assert (got["ide1:1.deviceType"], got["ide1:1.fileName"]) == ("atapi-cdrom", "/dev/scd0")
    # a drive without <source> is read as a file drive, as libvirt's parser reads it: an empty image
    assert (got["ide0:1.deviceType"], got["ide0:1.fileName"]) == ("cdrom-image", "emptyBackingString")
    assert (got["ide0:0.deviceType"], got["ide0:0.fileName"], got["ide0:0.autodetect"]) == (
        "cdrom-raw",
        "auto detect",
        "true",
    )
    assert (got["floppy0.present"], got["floppy1.present"], got["floppy1.fileName"]) == (
        "false",
        "true",
        "/floppies/boot.flp",
    )


def test_autodetected_scsi_model() -> None:
    dom = domain(
        "<disk type='file' device='disk'><source file='/a.vmdk'/><target dev='sda' bus='scsi'/></disk>"
        "<controller type='scsi' index='0' model='auto'/>"
    )
    got = entries(dom, context=Context(autodetect_scsi_model=lambda disk: "buslogic"))
    assert got["scsi0.virtualDev"] == "buslogic"
    assert "found 'auto'" in refused(dom).message


def test_vds_port_and_mac_ranges() -> None:
    got = entries(
        domain(
            """
    <interface type='vds'>
      <mac address='00:50:56:00:00:01'/>
      <source switchid='503426b2-94e9-3b16-1d68-87bfff4a5440' portid='5' portgroupid='pg-1' connectionid='9'/>
      <model type='vmxnet2'/>
    </interface>
    <interface type='bridge'><source bridge='VM Network'/><target dev='vmnet3'/></interface>"""
        )
    )
    assert got["ethernet0.dvs.switchId"] == "50 34 26 b2 94 e9 3b 16-1d 68 87 bf ff 4a 54 40"
    assert (got["ethernet0.dvs.portId"], got["ethernet0.dvs.portgroupId"], got["ethernet0.dvs.connectionId"]) == (
        "5",
        "pg-1",
        "9",
    )
    assert (got["ethernet0.virtualDev"], got["ethernet0.features"]) == ("vmxnet", "15")
    assert (got["ethernet0.addressType"], got["ethernet0.address"]) == ("static", "00:50:56:00:00:01")
    assert (got["ethernet1.connectionType"], got["ethernet1.vnet"]) == ("custom", "vmnet3")
    # an interface without an address gets one in VMware's generated range
    assert got["ethernet1.addressType"] == "generated" and got["ethernet1.generatedAddress"].startswith("00:0c:29:")


def test_serial_and_parallel_ports() -> None:
    got = entries(
        domain(
            """
    <serial type='tcp'><source mode='connect' host='h' service='9'/><protocol type='telnets'/></serial>
    <serial type='file'><source path='[ds] vm/serial.log'/><target port='2'/></serial>
    <parallel type='dev'><source path='/dev/parport0'/></parallel>"""
        )
    )
    # a port without a number follows the highest before it
    assert (got["serial0.fileName"], got["serial0.network.endPoint"]) == ("telnets://h:9", "client")
    assert got["serial2.fileName"] == "/vmfs/volumes/ds/vm/serial.log"
    assert got["parallel0.fileName"] == "/dev/parport0"


def test_smbios_and_firmware() -> None:
    dom = Domain.from_xml(
        "<domain type='vmware'><name>vm</name><memory>4096</memory>"
        "<os firmware='efi'><type arch='x86_64'>hvm</type><smbios mode='host'/></os></domain>"
    )
    got = entries(dom)
    assert (got["guestOS"], got["smbios.reflecthost"], got["firmware"]) == ("other-64", "true", "efi")


@pytest.mark.parametrize(
    ("dom", "message"),
    [
        (domain(domain_type="kvm"), "internal error: Expecting virt type to be 'vmware' but found 'kvm'"),
        (
            domain(arch="aarch64"),
            "Expecting domain XML attribute 'arch' of entry 'os/type' to be 'i686' or 'x86_64' but found 'aarch64'",
        ),
        (domain(head="<vcpu current='1'>2</vcpu>"), "No support for domain XML entry 'vcpu' attribute 'current'"),
        (
            domain(head="<vcpu>2</vcpu><cpu><topology sockets='1' cores='1' threads='2'/></cpu>"),
            "Only 1 thread per core is supported",
        ),
        (
            domain(head="<vcpu>4</vcpu><cpu><topology sockets='1' cores='2' threads='1'/></cpu>"),
            "Expecting domain XML CPU sockets per core as 4 but found 2",
        ),
        (domain(head="<cpu mode='host-passthrough'/>"), "Expecting domain XML CPU mode 'custom' but found"),
        (
            domain(head="<vcpu cpuset='3'>2</vcpu>"),
            "Expecting domain XML attribute 'cpuset' of entry 'vcpu' to contain at least 2 CPU(s)",
        ),
        (domain("<graphics type='spice'/>"), "unsupported configuration: Unsupported graphics type 'spice'"),
        (
            domain("<disk type='file' device='disk'><source file='/a.vmdk'/><target dev='sda' bus='sata'/></disk>"),
            "Unsupported bus type 'sata'",
        ),
        (
            domain("<disk type='file' device='disk'><source file='/a.vmdk'/><target dev='vda' bus='virtio'/></disk>"),
            "Unsupported disk address type 'none'",
        ),
        (
            domain(
                "<disk type='file' device='disk'><source file='/a.vmdk'/><target dev='sda' bus='scsi'/>"
                "<address type='drive' controller='0' bus='0' unit='3'/></disk>"
            ),
            "Disk address 0:0:3 doesn't match target device 'sda'",
        ),
        (
            domain("<disk type='file' device='disk'><source file='/a.vmdk'/><target dev='sdbi' bus='scsi'/></disk>"),
            "SCSI controller index 4 out of [0..3] range",
        ),
        (
            domain("<disk type='file' device='disk'><source file='/a.img'/><target dev='hda'/></disk>"),
            "Image file for ide disk 'hda' has unsupported suffix, expecting '.vmdk'",
        ),
        (
            domain("<disk type='file' device='disk'><source file='a.vmdk'/><target dev='hda'/></disk>"),
            "Path 'a.vmdk' is relative, which is not supported",
        ),
        (
            domain("<disk type='block' device='disk'><source dev='/dev/sdb'/><target dev='hda'/></disk>"),
            "ide disk 'hda' has an unsupported type 'block'",
        ),
        (
            domain("<disk type='network' device='disk'><source protocol='nbd' name='x'/><target dev='hda'/></disk>"),
            "ide disk 'hda' has unsupported type 'network', expecting 'file' or 'block'",
        ),
        (
            domain(
                "<disk type='file' device='disk'><driver cache='none'/><source file='/a.vmdk'/>"
                "<target dev='sda' bus='scsi'/></disk>"
            ),
            "scsi harddisk 'sda' has unsupported cache mode 'none'",
        ),
        (
            domain(
                "<disk type='file' device='disk'><driver name='buslogic'/><source file='/a.vmdk'/>"
                "<target dev='sda' bus='scsi'/></disk><controller type='scsi' index='0' model='lsilogic'/>"
            ),
            "Inconsistent SCSI controller model ('buslogic' is not 'lsilogic') for SCSI controller index 0",
        ),
        (
            domain(
                "<disk type='file' device='disk'><driver name='qemu'/><source file='/a.vmdk'/>"
                "<target dev='sda' bus='scsi'/></disk>"
            ),
            "Unknown driver name 'qemu'",
        ),
        (
            domain(
                "<disk type='file' device='disk'><source file='/a.vmdk'/><target dev='sda' bus='scsi'/></disk>"
                "<controller type='scsi' index='0' model='virtio-scsi'/>"
            ),
            "to be 'buslogic' or 'lsilogic' or 'lsisas1068' or 'vmpvscsi' but found 'virtio-scsi'",
        ),
        (
            domain("<disk type='file' device='floppy'><source file='/f.flp'/><target dev='fdc'/></disk>"),
            "FDC controller index 1 out of [0] range",
        ),
        (
            domain("<filesystem type='block'><source dev='/dev/x'/><target dir='x'/></filesystem>"),
            "Only 'mount' filesystem type is supported",
        ),
        (domain("<interface type='network'><source network='default'/></interface>"), "Unsupported net type 'network'"),
        (
            domain("<interface type='user'><model type='virtio'/></interface>"),
            "'devices/interface/model' to be 'vlance' or 'vmxnet' or 'vmxnet2' or 'vmxnet3' or 'e1000' or 'e1000e' "
            "but found 'virtio'",
        ),
        (domain("<video><model type='cirrus'/></video>"), "Unsupported video device type 'cirrus'"),
        (domain("<video><model type='vmvga' heads='2'/></video>"), "Multi-head video devices are unsupported"),
        (domain("<video/><video/>"), "No support for multiple video devices"),
        (domain("<serial type='pty'/>"), "Unsupported character device type 'pty'"),
        (domain("<serial type='dev'><target port='4'/></serial>"), "Serial port index 4 out of [0..3] range"),
        (
            domain("<serial type='tcp'><source host='h' service='1'/><protocol type='raw-ish'/></serial>"),
            "Unsupported character device TCP protocol 'raw-ish'",
        ),
        (
            domain("<serial type='dev'/>"),
            "Expecting domain XML entry 'devices/serial/source' to have a 'path' attribute",
        ),
        (domain("<parallel type='pipe'><source path='p'/></parallel>"), "Unsupported character device type 'pipe'"),
        (
            domain("<serial type='file'><source path='/a\"b'/></serial>"),
            "VMX entry 'serial0.fileName' cannot hold a double quote or a line break",
        ),
    ],
)
def test_refusals_name_the_element(dom: Domain, message: str) -> None:
    assert message in refused(dom).message


def test_unsupported_configurations_say_so() -> None:
    error = refused(domain("<graphics type='spice'/>"))
    assert error.code == ErrorNumber.CONFIG_UNSUPPORTED
    dom = Domain.from_xml(
        "<domain type='vmware'><name>vm</name><os><type>hvm</type><smbios mode='sysinfo'/></os></domain>"
    )
    assert refused(dom).message == "unsupported configuration: Unsupported SMBIOS mode 'sysinfo'"

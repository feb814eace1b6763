"""The VM configuration <-> .vmx entries mapping for devices the simulator's VMs do not have: a VM's
configuration goes to the converter as VMX and comes back from it as a creation spec."""

from __future__ import annotations

from typing import Any

import pytest
from pyVmomi import vim
from virt.errors import VirtError
from virt_esx import vmx, vmxconfig, vmxspec
from virt_esx.vmx import syntax

D = vim.vm.device
UUID = "50115e16-9bdc-49d7-f171-53c4d7f91710"


def connect(start: bool = True) -> Any:
    return D.VirtualDevice.ConnectInfo(startConnected=start, allowGuestControl=True, connected=False)


def full_config(*, sata: bool = True) -> Any:
    """A VM with one of (almost) everything (``sata``: a second disk on a SATA controller)."""
    devices = [
        D.VirtualIDEController(key=200, busNumber=0),
        D.VirtualIDEController(key=201, busNumber=1),
        D.VirtualSIOController(key=400, busNumber=0),
        D.VirtualLsiLogicSASController(key=1000, busNumber=0),
        D.VirtualAHCIController(key=15000, busNumber=0),
        D.VirtualDisk(key=2000, controllerKey=1000, unitNumber=0, capacityInKB=1024,
                      backing=D.VirtualDisk.FlatVer2BackingInfo(fileName="[ds1] web/web.vmdk", diskMode="persistent")),
        D.VirtualCdrom(key=3000, controllerKey=201, unitNumber=0, connectable=connect(False),
                       backing=D.VirtualCdrom.IsoBackingInfo(fileName="[iso] debian.iso")),
        D.VirtualFloppy(key=8000, controllerKey=400, unitNumber=0, connectable=connect(),
                        backing=D.VirtualFloppy.ImageBackingInfo(fileName="[ds1] web/boot.flp")),
        D.VirtualVmxnet2(key=4000, addressType="manual", macAddress="00:50:56:01:02:03", connectable=connect(),
                         backing=D.VirtualEthernetCard.NetworkBackingInfo(deviceName="VM Network")),
        D.VirtualVmxnet3(key=4001, addressType="generated", macAddress="00:0c:29:aa:bb:cc", connectable=connect(),
                         backing=D.VirtualEthernetCard.DistributedVirtualPortBackingInfo(
                             port=vim.dvs.PortConnection(switchUuid="sw-1", portgroupKey="dvportgroup-13"))),
        D.VirtualSerialPort(key=9000, connectable=connect(), yieldOnPoll=True,
                            backing=D.VirtualSerialPort.URIBackingInfo(serviceURI="telnet://0.0.0.0:4444",
                                                                        direction="server")),
        D.VirtualSerialPort(key=9001, connectable=connect(), yieldOnPoll=True,
                            backing=D.VirtualSerialPort.FileBackingInfo(fileName="[ds1] web/serial.log")),
        *([sata_disk()] if sata else []),
        D.VirtualParallelPort(key=10000, connectable=connect(),
                              backing=D.VirtualParallelPort.DeviceBackingInfo(deviceName="/dev/parport0")),
        D.VirtualVideoCard(key=500, videoRamSizeInKB=8192),
    ]  # fmt: skip
    return vim.vm.ConfigInfo(
        name='web "one"',
        uuid=UUID,
        version="vmx-13",
        guestId="rhel7_64Guest",
        annotation="line one\nline two",
        firmware="efi",
        hardware=vim.vm.VirtualHardware(numCPU=4, numCoresPerSocket=2, memoryMB=2048, device=devices),
        memoryAllocation=vim.ResourceAllocationInfo(limit=1024, reservation=512),
        cpuAllocation=vim.ResourceAllocationInfo(shares=vim.SharesInfo(level="custom", shares=3000)),
        extraConfig=[vim.option.OptionValue(key="RemoteDisplay.vnc.enabled", value="TRUE"),
                     vim.option.OptionValue(key="RemoteDisplay.vnc.port", value="5901")],
    )  # fmt: skip


def sata_disk() -> Any:
    backing = D.VirtualDisk.FlatVer2BackingInfo(
        fileName="[ds1] web/data.vmdk", diskMode="independent_nonpersistent", writeThrough=True
    )
    return D.VirtualDisk(key=2001, controllerKey=15000, unitNumber=1, capacityInKB=1024, backing=backing)


def entries(*, sata: bool = True) -> list[tuple[str, str]]:
    return vmxconfig.config_entries(full_config(sata=sata), {"dvportgroup-13": "DC0_DVPG0"}.get)


@pytest.mark.parametrize(
    ("guest_id", "vmx_name"),
    [("otherGuest", "other"), ("otherGuest64", "other-64"), ("rhel7_64Guest", "rhel7-64"),
     ("ubuntu64Guest", "ubuntu-64"), ("windows9Guest", "windows9"), (None, "other")],
)  # fmt: skip
def test_guest_os_names(guest_id: str | None, vmx_name: str) -> None:
    assert vmxconfig.guest_os(guest_id) == vmx_name
    if guest_id:
        assert vmxspec.guest_id(vmx_name) == guest_id


def test_configuration_as_vmx_entries() -> None:
    found = dict(entries())
    assert found["displayName"] == "web |22one|22"
    assert found["annotation"] == "line one|0aline two"
    assert found["uuid.bios"] == "50 11 5e 16 9b dc 49 d7-f1 71 53 c4 d7 f9 17 10"
    assert (found["memsize"], found["sched.mem.max"], found["sched.mem.minsize"]) == ("2048", "1024", "512")
    assert (found["numvcpus"], found["cpuid.coresPerSocket"], found["sched.cpu.shares"]) == ("4", "2", "3000")
    assert found["firmware"] == "efi" and found["guestOS"] == "rhel7-64" and found["virtualHW.version"] == "13"
    assert found["scsi0.virtualDev"] == "lsisas1068" and found["sata0.present"] == "true"
    assert found["scsi0:0.fileName"] == "/vmfs/volumes/ds1/web/web.vmdk"
    assert found["sata0:1.mode"] == "independent-nonpersistent" and found["sata0:1.writeThrough"] == "true"
    assert found["ide1:0.deviceType"] == "cdrom-image" and found["ide1:0.startConnected"] == "false"
    assert (found["floppy0.fileType"], found["floppy0.fileName"]) == ("file", "/vmfs/volumes/ds1/web/boot.flp")
    assert (found["ethernet0.virtualDev"], found["ethernet0.features"]) == ("vmxnet", "15")
    assert (found["ethernet0.addressType"], found["ethernet0.address"]) == ("static", "00:50:56:01:02:03")
    assert (found["ethernet1.networkName"], found["ethernet1.generatedAddress"]) == ("DC0_DVPG0", "00:0c:29:aa:bb:cc")
    assert (found["serial0.fileType"], found["serial0.network.endPoint"]) == ("network", "server")
    assert found["serial1.fileName"] == "/vmfs/volumes/ds1/web/serial.log"
    assert (found["parallel0.fileType"], found["parallel0.fileName"]) == ("device", "/dev/parport0")
    assert found["svga.vramSize"] == str(8192 * 1024) and found["RemoteDisplay.vnc.port"] == "5901"


def test_the_converter_reads_the_entries() -> None:
    domain = vmx.from_native(syntax.format_entries(entries()))
    assert domain.name == 'web "one"' and str(domain.uuid) == UUID and domain.description == "line one\nline two"
    assert domain.os is not None and domain.os.type is not None and domain.os.type.arch == "x86_64"
    assert domain.devices is not None
    sources = [d.source.file for d in domain.devices.disks if d.source is not None and d.source.file]
    assert sources == ["[ds1] web/web.vmdk", "[ds1] web/data.vmdk", "[iso] debian.iso", "[ds1] web/boot.flp"]
    assert [i.source.bridge for i in domain.devices.interfaces if i.source] == ["VM Network", "DC0_DVPG0"]
    assert len(domain.devices.serials) == 2 and len(domain.devices.parallels) == 1
    assert domain.devices.graphics and domain.devices.graphics[0].port == 5901


def test_round_trip_to_a_creation_spec() -> None:
    """config -> VMX -> domain -> VMX -> spec gives the VM back (SATA aside: libvirt 9.0 writes no SATA disk)."""
    domain = vmx.from_native(syntax.format_entries(entries(sata=False)))
    back = syntax.parse(vmx.to_native(domain, virtual_hw_version=13))
    plugged: list[str] = []

    def network(name: str) -> Any:
        plugged.append(name)
        return D.VirtualEthernetCard.NetworkBackingInfo(deviceName=name)

    spec = vmxspec.create_spec(back, "[ds1] web/web.vmx", network)
    # domain XML keeps the architecture, not the guest OS: rhel7_64Guest comes back as a 64-bit "other"
    assert (spec.name, spec.uuid, spec.guestId, spec.version) == ('web "one"', UUID, "otherGuest64", "vmx-13")
    assert (spec.memoryMB, spec.numCPUs, spec.numCoresPerSocket, spec.firmware) == (2048, 4, 2, "efi")
    assert spec.annotation == "line one\nline two" and spec.files.vmPathName == "[ds1] web/web.vmx"
    added = [change.device for change in spec.deviceChange]
    kinds = [type(d).__name__.rpartition(".")[2] for d in added]
    for kind in (
        "VirtualLsiLogicSASController",
        "VirtualDisk",
        "VirtualCdrom",
        "VirtualFloppy",
        "VirtualVmxnet2",
        "VirtualVmxnet3",
        "VirtualSerialPort",
        "VirtualParallelPort",
    ):
        assert kind in kinds, kind  # fmt: skip
    disks = [d for d in added if isinstance(d, D.VirtualDisk)]
    assert [(d.backing.fileName, d.backing.diskMode) for d in disks] == [("[ds1] web/web.vmdk", "persistent")]
    cdrom = next(d for d in added if isinstance(d, D.VirtualCdrom))
    # (whether the drive starts connected has no place in domain XML: it comes back connected)
    assert (cdrom.backing.fileName, cdrom.controllerKey) == ("[iso] debian.iso", 201)
    assert plugged == ["VM Network", "DC0_DVPG0"]
    nic = next(d for d in added if isinstance(d, D.VirtualVmxnet2))
    assert (nic.addressType, nic.macAddress) == ("manual", "00:50:56:01:02:03")
    assert {o.key: o.value for o in spec.extraConfig}["RemoteDisplay.vnc.port"] == "5901"


def test_a_domain_on_a_missing_controller_or_unknown_model_is_refused() -> None:
    with pytest.raises(VirtError, match="'scsi1:0' sits on controller 'scsi1'"):
        vmxspec.create_spec(
            syntax.parse('displayName = "x"\nscsi1:0.present = "true"\nscsi1:0.fileName = "/vmfs/volumes/d/x.vmdk"\n'),
            "[d]",
            lambda name: None,
        )
    with pytest.raises(VirtError, match="network card model 'tulip'"):
        vmxspec.create_spec(
            syntax.parse('displayName = "x"\nethernet0.present = "true"\nethernet0.virtualDev = "tulip"\n'),
            "[d]",
            lambda name: None,
        )


def test_files_go_beside_the_first_disk() -> None:
    found = syntax.parse(
        'displayName = "x"\nide0:0.present = "true"\nide0:0.fileName = "/vmfs/volumes/iso/a.iso"\n'
        'scsi0:1.present = "true"\nscsi0:1.fileName = "/vmfs/volumes/ds2/vm/x.vmdk"\n'
    )
    assert vmxspec.first_disk_path(found) == "[ds2] vm/x.vmdk"
    assert vmxspec.first_disk_path(syntax.parse('displayName = "x"\n')) is None

"""sPAPR VIO addresses (qemuDomainAssignSpaprVIOAddresses), which libvirt gives whatever the
machine: an ibmvscsi SCSI controller and a spapr-vlan interface sit on the VIO bus, at the first
free register from 0x2000 (SCSI) or 0x1000 (network) in steps of 0x1000. (QEMU has that bus on
pSeries only: such a guest is defined as libvirt defines it, and refused at start.)
"""

from __future__ import annotations

from virt.xml.devices import Address, Char, Controller, Devices, Interface

from virt_qemu.postparse.xmlutil import get_attr, make, number, set_attr

_SCSI_REG = 0x2000
_NET_REG = 0x1000
_STEP = 0x1000


def assign(devices: Devices) -> None:
    on_vio: list[tuple[Controller | Interface, int]] = [
        (c, _SCSI_REG) for c in devices.controllers if c.type == "scsi" and c.model == "ibmvscsi"
    ]
    on_vio += [(n, _NET_REG) for n in devices.interfaces if n.model is not None and n.model.type == "spapr-vlan"]
    addressed: list[Controller | Interface | Char] = [*devices.controllers, *devices.interfaces, *devices.serials]
    taken = {reg for reg in (_reg(d.address) for d in addressed) if reg is not None}
    for device, first in on_vio:
        address = device.address
        if address is not None and (address.type not in (None, "spapr-vio") or _reg(address) is not None):
            continue  # placed already (elsewhere than VIO: QEMU refuses it at start)
        reg = first
        while reg in taken:
            reg += _STEP
        taken.add(reg)
        address = make(Address, type="spapr-vio")
        set_attr(address, "reg", f"0x{reg:08x}")
        device.address = address


def _reg(address: Address | None) -> int | None:
    if address is None or address.type != "spapr-vio":
        return None
    text = get_attr(address, "reg")
    return None if text is None else number(text, "reg")

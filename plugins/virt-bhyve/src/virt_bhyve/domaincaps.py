"""``<domainCapabilities>`` as libvirt 9.0's bhyve driver reports it (virBhyveDomainCapsFill): disks
(disk and cdrom, on sata or virtio), the UEFI loader with the firmware files found, VNC graphics and
GOP video when bhyve has fbuf, and no host devices, iothreads, CPU modes or platform features."""

from __future__ import annotations

from typing import TYPE_CHECKING
from xml.sax.saxutils import escape

from virt.xml.domaincaps import DomainCapabilities

if TYPE_CHECKING:
    from virt_bhyve.driver import BhyveDriver

FIRMWARE_DIR = "/usr/local/share/uefi-firmware"
"""bhyve.conf's firmware_dir default, where the loader's choices are listed from."""


def _enum(name: str, *values: str) -> str:
    if not values:
        return f"<enum name='{name}'/>"
    return f"<enum name='{name}'>" + "".join(f"<value>{escape(v)}</value>" for v in values) + "</enum>"


def domain_capabilities(driver: BhyveDriver, binary: str, machine: str | None) -> DomainCapabilities:
    caps = driver.caps()
    listed = driver.door.run(["ls", "-1", FIRMWARE_DIR])
    firmwares = [f"{FIRMWARE_DIR}/{name}" for name in listed.stdout.decode().split()] if listed.status == 0 else []
    if caps.lpc_bootrom:
        loader = (
            "<loader supported='yes'>"
            + "".join(f"<value>{escape(path)}</value>" for path in firmwares)
            + _enum("type", "pflash")
            + _enum("readonly", "yes")
            + "</loader>"
        )
    else:
        loader = "<loader supported='no'/>"
    if caps.fbuf:
        graphics = f"<graphics supported='yes'>{_enum('type', 'vnc')}</graphics>"
        video = f"<video supported='yes'>{_enum('modelType', 'gop')}</video>"
    else:
        graphics, video = "<graphics supported='no'/>", "<video supported='no'/>"
    modes = "".join(
        f"<mode name='{mode}' supported='no'/>" for mode in ("host-passthrough", "maximum", "host-model", "custom")
    )
    machine_line = f"<machine>{escape(machine)}</machine>" if machine else ""
    return DomainCapabilities.from_xml(
        "<domainCapabilities>"
        f"<path>{escape(binary)}</path><domain>bhyve</domain>{machine_line}<arch>x86_64</arch>"
        "<iothreads supported='no'/>"
        f"<os supported='yes'>{loader}</os>"
        f"<cpu>{modes}</cpu>"
        "<devices><disk supported='yes'>"
        f"{_enum('diskDevice', 'disk', 'cdrom')}{_enum('bus', 'virtio', 'sata')}{_enum('model')}"
        f"</disk>{graphics}{video}<hostdev supported='no'/></devices>"
        "<features><gic supported='no'/><vmcoreinfo supported='no'/><genid supported='no'/>"
        "<sev supported='no'/><sgx supported='no'/></features>"
        "</domainCapabilities>"
    )

"""What the test driver reads from and fills into virt.xml models, in one place.

libvirt completes every definition it stores (its post-parse defaults); these helpers add the
values its test driver shows, so ``dumpxml`` of a newly defined domain or volume looks the same.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from virt.xml import Domain
    from virt.xml.base import XmlModel
    from virt.xml.storage import StoragePool, StorageVolume

DEFAULT_ARCH = "i686"
"""The test driver's only architecture (its defArch)."""
MAX_INTERFACES = 1024


def complete_domain(domain: Domain) -> None:
    """Fill in what libvirt's test driver adds to a stored domain definition, in libvirt's order; the
    parser's document-level defaults (vcpu, clock, on_*, boot device...) are already there from
    virt.xml's post-parse, the device defaults and implicit devices come from virt.xml.implicit."""
    from virt.xml import implicit, inactive
    from virt.xml.devices import Devices, InterfaceTarget
    from virt.xml.domain import OS, OSType

    if domain.os is None:
        domain.os = OS()
    if domain.os.type is None:
        domain.os.type = OSType()
    if domain.os.type.arch is None or not domain.os.type.arch_given:
        domain.os.type.arch = DEFAULT_ARCH
    if domain.devices is None:
        domain.devices = Devices()
    devices = domain.devices
    drop_driver_namespaces(domain)
    inactive.strip_status(domain)
    implicit.apply_device_defaults(domain)
    implicit.add_implicit_devices(domain)
    implicit.add_video_for_graphics(devices, implicit.default_video_type(domain))
    implicit.generate_macs(devices)
    # Each interface gets a host-side name, testnet0, testnet1... (libvirt's testDomainGenerateIfnames)
    taken = {i.target.dev for i in domain.devices.interfaces if i.target is not None and i.target.dev}
    counter = 0
    for interface in domain.devices.interfaces:
        if interface.target is not None and interface.target.dev:
            continue
        while f"testnet{counter}" in taken and counter < MAX_INTERFACES:
            counter += 1
        name = f"testnet{counter}"
        taken.add(name)
        if interface.target is None:
            interface.target = InterfaceTarget()
        interface.target.dev = name


def pool_target_path(pool: StoragePool) -> str | None:
    return pool.target.path if pool.target is not None else None


def volume_path(volume: StorageVolume) -> str:
    return (volume.target.path if volume.target is not None else None) or ""


def place_volume(volume: StorageVolume, path: str, *, replace: bool) -> None:
    """Give ``volume`` its path (``replace``: even when it names one) and a raw format if it has none."""
    from virt.xml.storage import Format, VolumeTarget

    if volume.target is None:
        volume.target = VolumeTarget()
    if replace or not volume.target.path:
        volume.target.path = path
    if volume.type == "file" and volume.target.format is None:
        volume.target.format = Format()
        volume.target.format.type = "raw"


def drop_driver_namespaces(model: XmlModel) -> None:
    """Leave out the elements of a driver's XML namespace (<qemu:commandline>, <rbd:config_opts>...):
    libvirt keeps them only through the namespace handler of the driver that owns them, and its test
    driver has none."""
    fields = _NAMESPACED.get(type(model))
    if fields is None:
        fields = _NAMESPACED[type(model)] = _namespaced_fields(type(model))
    for name, is_list in fields:
        setattr(model, name, [] if is_list else None)
    unknown = model._unknown
    if unknown is not None:
        unknown.drop_elements(lambda el: isinstance(el.tag, str) and el.tag.startswith("{"))
        unknown.nsmap.clear()


_NAMESPACED: dict[type, tuple[tuple[str, bool], ...]] = {}


def _namespaced_fields(cls: type[XmlModel]) -> tuple[tuple[str, bool], ...]:
    """(field name, holds a list) of the fields of ``cls`` that are elements of another namespace."""
    import attrs

    from virt.xml.base import CHILDREN, RAWS, SPEC_KEY, TEXTS

    found = []
    for field in attrs.fields(cls):
        spec = field.metadata.get(SPEC_KEY)
        if spec is not None and spec.tag is not None and spec.tag.startswith("{"):
            found.append((field.name, spec.kind in (CHILDREN, RAWS, TEXTS)))
    return tuple(found)

"""What kind of x86 machine a domain has, from its (canonical) machine type name."""

from __future__ import annotations

from virt.xml import Domain


def machine_name(domain: Domain) -> str:
    os_type = domain.os.type if domain.os is not None else None
    return (os_type.machine if os_type is not None else None) or ""


def arch(domain: Domain) -> str:
    os_type = domain.os.type if domain.os is not None else None
    return (os_type.arch if os_type is not None else None) or "x86_64"


def is_x86(domain: Domain) -> bool:
    return arch(domain) in ("x86_64", "i686")


def is_q35(domain: Domain) -> bool:
    name = machine_name(domain)
    return is_x86(domain) and (name == "q35" or name.startswith("pc-q35"))


def is_i440fx(domain: Domain) -> bool:
    """libvirt's qemuDomainIsI440FX: pc, pc-0.x/pc-1.x and pc-i440fx-*."""
    name = machine_name(domain)
    return is_x86(domain) and (name == "pc" or name.startswith(("pc-0.", "pc-1.", "pc-i440fx-")))


def has_pci(domain: Domain) -> bool:
    return is_q35(domain) or is_i440fx(domain)

"""The LXC driver's ``<capabilities>`` as libvirt's LXC driver presents them: the host's facts (no
processor details), the ``none`` security model, and one ``exe`` guest of type ``lxc`` per
architecture a container can run as here, the controller as its emulator."""

from __future__ import annotations

import sys

from virt.localstate.hostcaps import local_host
from virt.xml import Capabilities
from virt.xml.capabilities import Guest, GuestArch, GuestDomain
from virt.xml.domain import host_arch

from virt_lxc.parse import host_arches

_WORDSIZE = {"x86_64": 64, "i686": 32, "aarch64": 64, "armv7l": 32, "ppc64le": 64, "s390x": 64}


def capabilities() -> Capabilities:
    doc = Capabilities()
    doc.host = local_host(host_arch(), processor_details=False)
    doc.guests = [_guest(arch) for arch in host_arches()]
    return doc


def _guest(arch: str) -> Guest:
    domain = GuestDomain()
    domain.type = "lxc"
    machine = GuestArch()
    machine.name = arch
    machine.wordsize = _WORDSIZE.get(arch)
    # what runs a container's controller (libvirt's is its libvirt_lxc program): ``python -m virt_lxc.controller``
    machine.emulator = sys.executable
    machine.domains = [domain]
    guest = Guest()
    guest.os_type = "exe"
    guest.arch = machine
    return guest

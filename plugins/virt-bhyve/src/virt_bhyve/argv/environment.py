"""What a conversion to bhyve command lines needs from outside the domain XML.

libvirt's writer (bhyve_command.c) takes these from its driver: the probed capabilities, the
paths of the tools, the firmware folder, and -- when the guest really starts -- the tap device
made for each interface and a VNC port for ``autoport``. ``virsh domxml-to-native bhyve-argv``
is a dry run: no tap is made (libvirt prints ``tap0`` for every interface) and an automatic VNC
port stays as parsed (0). :data:`DRY_RUN` is that environment; the driver builds its own with
the taps it created and a port allocator.
"""

from __future__ import annotations

import random
from collections.abc import Callable

import attrs
from virt.xml.devices import Interface

from virt_bhyve.caps import FULL, BhyveCaps

# libvirt's defaults: the tools' paths its configure step finds, bhyve.conf's firmware_dir
BHYVE = "/usr/sbin/bhyve"
BHYVELOAD = "/usr/sbin/bhyveload"
FIRMWARE_DIR = "/usr/local/share/uefi-firmware"
# the name libvirt's dry run gives the grub device map file (the real one lies in the state dir)
DRY_RUN_DEVICE_MAP = "<device.map>"


def dry_run_tap(interface: Interface, index: int) -> str:
    """libvirt's dry run makes no tap device and writes ``tap0`` for every interface."""
    return "tap0"


def random_mac() -> str:
    """A MAC address in libvirt's 52:54:00 range (virDomainNetGenerateMAC)."""
    draw = random.SystemRandom()
    return "52:54:00:" + ":".join(f"{draw.randrange(256):02x}" for _ in range(3))


@attrs.frozen
class Environment:
    """The facts outside the document: see the module's docstring.

    ``tap(interface, index)`` names the host tap device of the index-th interface; ``vnc_port()``
    gives the port for a VNC display with ``autoport`` (None: keep the parsed one, as a dry run);
    ``new_mac()`` gives an interface without a MAC its address (libvirt does it while parsing).
    ``network_bridge(network)``: the bridge of a virtual network, when the driver can ask for it;
    then an ``<interface type='network'>`` is accepted (its tap goes on that bridge), else refused
    as libvirt's dry run refuses it.
    ``start``: the commands are for starting the guest (libvirt's bhyveProcessPrepareDomain runs
    first: ``<os firmware='efi'>`` becomes the firmware file); False for the dry run, which
    leaves such a guest to bhyveload, as ``virsh domxml-to-native`` does.
    """

    caps: BhyveCaps = FULL
    bhyve: str = BHYVE
    bhyveload: str = BHYVELOAD
    firmware_dir: str = FIRMWARE_DIR
    firmware_files: Callable[[str], list[str]] | None = None
    device_map: str = DRY_RUN_DEVICE_MAP
    tap: Callable[[Interface, int], str] = dry_run_tap
    vnc_port: Callable[[], int] | None = None
    new_mac: Callable[[], str] = random_mac
    network_bridge: Callable[[str], str] | None = None
    start: bool = False


DRY_RUN = Environment()

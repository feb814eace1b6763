"""From a definition to the command lines a start runs: the driver's checks, then the ``bhyve-argv``
writer (``virt_bhyve.argv``) in an environment of this host: its probed capabilities, its tools,
its firmware folder, the taps made for the guest, the device map's place."""

from __future__ import annotations

from collections.abc import Collection
from typing import TYPE_CHECKING

import attrs
from virt.errors import ErrorNumber

from virt_bhyve import errors

if TYPE_CHECKING:
    from virt.xml import Domain
    from virt.xml.devices import Graphics, Interface

    from virt_bhyve.argv import Environment
    from virt_bhyve.driver import BhyveDriver


@attrs.frozen
class Built:
    """What a start runs: the loader (None for UEFI firmware) with grub's device map, then bhyve."""

    loader: list[str] | None
    device_map: str | None
    bhyve: list[str]
    domain: Domain
    """The definition as the writer completed it (addresses, nmdm paths): the live one."""


def _tap_of(interface: Interface, index: int) -> str:
    """The tap the driver made for the interface (its ``<target dev>``), as bhyve's ``tap=`` names it."""
    name = interface.target.dev if interface.target is not None else None
    if not name:
        raise errors.internal(f"interface {index} has no tap device")
    return name


def environment(driver: BhyveDriver, device_map: str) -> Environment:
    from virt_bhyve.argv import Environment
    from virt_bhyve.argv.environment import FIRMWARE_DIR

    def firmware_files(folder: str) -> list[str]:
        listed = driver.door.run(["ls", "-1", folder])
        return [f"{folder}/{name}" for name in listed.stdout.decode().split()] if listed.status == 0 else []

    return Environment(
        caps=driver.caps(),
        bhyve=driver.need_tool("bhyve"),
        bhyveload=driver.tool("bhyveload") or "bhyveload",
        firmware_dir=FIRMWARE_DIR,
        firmware_files=firmware_files,
        device_map=device_map,
        tap=_tap_of,
        start=True,  # bhyveProcessPrepareDomain first: firmware='efi' becomes the firmware file
    )


def commands_for(definition: Domain, driver: BhyveDriver, *, device_map: str, taken_ports: Collection[int]) -> Built:
    """The command lines of ``definition`` (its taps already made and named in it); an automatic
    VNC port is the first free one that is not in ``taken_ports`` (the running guests')."""
    from virt_bhyve.argv import build_commands
    from virt_bhyve.argv.prepare import prepared

    env = environment(driver, device_map)
    live = prepared(definition, env)  # completed once: what the guest runs with is what it reports
    displays = automatic_vnc(live)
    ports = vnc_ports(displays, taken_ports, local=not driver.paths.remote)
    made = build_commands(live, attrs.evolve(env, vnc_port=iter(ports).__next__))
    for graphics, port in zip(displays, ports, strict=True):
        graphics.port = port  # the live definition shows the port taken, as libvirt's does
    return Built(made.loader, made.device_map, made.bhyve, live)


def automatic_vnc(definition: Domain) -> list[Graphics]:
    """The VNC displays of ``definition`` whose port is for the driver to pick."""
    found = definition.devices.graphics if definition.devices is not None else []
    return [g for g in found if g.type == "vnc" and (g.autoport or g.port in (None, -1))]


def vnc_ports(displays: list[Graphics], taken: Collection[int], *, local: bool) -> list[int]:
    """libvirt's port allocator for bhyve's displays: from 5900 up, skipping ``taken`` and, on this
    host, ports something listens on (a remote host's other listeners are not seen)."""
    from virt.errors import ErrorDomain
    from virt.localstate.ports import free_port

    ports: list[int] = []
    for graphics in displays:
        address = graphics.listens[0].address if graphics.listens else graphics.listen
        host = (address or "0.0.0.0") if local else None
        ports.append(free_port(host, taken={*taken, *ports}, error_domain=ErrorDomain.BHYVE))
    return ports


def check(definition: Domain, driver: BhyveDriver) -> None:
    """Fill in what define fills in (a UUID, MAC addresses in libvirt's range) and refuse, now, a
    definition no start could run: not a bhyve domain, or one the writer refuses."""
    from virt.localstate.domains import fill_in

    from virt_bhyve.argv import Environment
    from virt_bhyve.argv.environment import random_mac

    if definition.type != "bhyve":
        raise errors.error(
            ErrorNumber.INVALID_ARG, f"could not find capabilities for domaintype={definition.type or '(none)'}"
        )
    fill_in(definition, random_mac)
    from virt_bhyve.argv import build_commands

    build_commands(definition, Environment(caps=driver.caps()))

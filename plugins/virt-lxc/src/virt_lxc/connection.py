"""LxcConnection: one open ``lxc:///`` connection.

A thin door onto the process's shared driver instance (``driver.acquire``), which owns the state
folder and talks to the containers' controllers; closing the last connection lets go of the
instance, never of the containers.
"""

from __future__ import annotations

import socket
from typing import TYPE_CHECKING

import attrs
from virt.errors import ErrorDomain, ErrorNumber, InvalidArgument, VirtError
from virt.localstate.connection import LocalConnection
from virt.localstate.networks import LocalNetworkOperations

from virt_lxc import errors, hostinfo
from virt_lxc.driver import LxcDriver, acquire, release
from virt_lxc.nativecalls import LxcNativeCalls
from virt_lxc.paths import DriverPaths

if TYPE_CHECKING:
    from virt.driver import DomainRef
    from virt.info import NodeInfo
    from virt.uri import URI
    from virt.xml import Capabilities


@attrs.frozen
class Namespaces:
    """What entering a running container needs (``virt lxc-enter-namespace``)."""

    init_pid: int
    cgroups: str
    """``ContainerCgroup.to_text()``: the cgroups to join."""
    user_namespace: bool


class LxcConnection(LxcNativeCalls, LocalNetworkOperations, LocalConnection[LxcDriver]):
    """The lookups, definitions, lifecycle and properties of domains are ``LocalConnection``'s."""

    driver_name = "LXC"
    error_domain = ErrorDomain.LXC
    os_type = "exe"

    def __init__(self, uri: URI, *, readonly: bool = False) -> None:
        super().__init__(uri, readonly=readonly)
        self._driver = acquire(DriverPaths.for_uri(uri))

    @property
    def lxc(self) -> LxcDriver:
        return self.local

    def _release(self, driver: LxcDriver) -> None:
        release(driver)

    # -- host -------------------------------------------------------------------------------------
    def get_version(self) -> int:
        return hostinfo.kernel_version()

    def get_capabilities(self) -> Capabilities:
        from virt_lxc.capsxml import capabilities

        return capabilities()

    def get_node_info(self) -> NodeInfo:
        # the LXC driver's own reading of the host (see hostinfo), not libvirt's NUMA-aware one
        return hostinfo.node_info()

    # -- console and namespaces -------------------------------------------------------------------
    def open_console(self, ref: DomainRef, device: str | None = None, *, force: bool = False) -> socket.socket:
        from virt_lxc import protocol

        index = _console_index(device)
        with self.lxc.locked(ref) as obj:
            running = obj.running
            if running is None:
                raise errors.not_running()
            path = running.socket_path
        # not under the domain's lock: a controller still starting may take a moment to answer
        try:
            sock, _, rest = protocol.request(path, {"op": "console", "dev": index, "force": force}, exact=True)
        except protocol.ProtocolError as exc:
            raise errors.operation_failed(str(exc)) from None
        assert not rest
        return sock

    def namespaces(self, ref: DomainRef) -> Namespaces:
        """Where a running container's namespaces and cgroups are (libvirt's virDomainLxcOpenNamespace)."""
        with self.lxc.locked(ref) as obj:
            running = obj.running
            if running is None:
                raise errors.not_running()
            return Namespaces(running.init_pid, running.cgroup.to_text(), bool(obj.current.idmap is not None))

    # -- signals --------------------------------------------------------------------------------------
    def send_domain_process_signal(self, ref: DomainRef, pid: int, signum: int, flags: int) -> None:
        """As libvirt's LXC driver: only the container's init, with Linux's own signal numbers."""
        import os

        from virt.domaincalls import SIGNAL_LAST

        if flags:
            raise InvalidArgument(
                f"unsupported flags (0x{flags:x}) in function lxcDomainSendProcessSignal",
                ErrorNumber.INVALID_ARG,
                ErrorDomain.LXC,
            )
        if signum >= SIGNAL_LAST:
            raise errors.error(ErrorNumber.INVALID_ARG, f"signum value {signum} is out of range")
        with self.lxc.locked(ref) as obj:
            running = obj.running
            if running is None:
                raise errors.not_running()
            if pid != 1:
                raise errors.error(ErrorNumber.OPERATION_UNSUPPORTED, "Only the init process may be signalled")
            try:
                os.kill(running.init_pid, signum)
            except OSError as exc:
                raise VirtError(
                    f"Unable to send {signum} signal to process {running.init_pid}: {exc.strerror}",
                    ErrorNumber.SYSTEM_ERROR,
                    ErrorDomain.LXC,
                ) from None


def _console_index(device: str | None) -> int:
    """``console1`` -> 1 (libvirt LXC names its consoles so); None -> the first."""
    if device is None:
        return 0
    number = device.removeprefix("console")
    if device.startswith("console") and number.isdigit():
        return int(number)
    raise errors.error(ErrorNumber.INVALID_ARG, f"cannot find console device '{device}'")

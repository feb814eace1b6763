"""BhyveConnection: one open ``bhyve:///system`` or ``bhyve+ssh://[user@]host[:port]/system`` connection.

A thin door onto the process's driver instance for that host (``driver.acquire``), which owns the
definitions and status files and runs the tools there; closing the last connection lets go of the
instance, never of the guests.
"""

from __future__ import annotations

import os
import threading
from pathlib import PurePosixPath
from typing import TYPE_CHECKING

from virt.errors import ErrorDomain, ErrorNumber
from virt.localstate.connection import LocalConnection
from virt.localstate.consoles import ConsoleSessions
from virt.localstate.metadata import LocalMetadata

from virt_bhyve import errors
from virt_bhyve.driver import BhyveDriver, acquire, release
from virt_bhyve.paths import BhyvePaths

if TYPE_CHECKING:
    import socket

    from virt.domainsave import StartFlags
    from virt.driver import DomainRef
    from virt.info import DomainFilter, DomainInfo, NodeInfo
    from virt.states import DomainState
    from virt.uri import URI
    from virt.xml import Capabilities, Domain
    from virt.xml.domaincaps import DomainCapabilities

NATIVE_FORMAT = "bhyve-argv"
MAX_VCPUS = 16

_consoles = ConsoleSessions(ErrorDomain.BHYVE)
"""The open console sessions of this process, by (host, domain UUID)."""

_CONSOLE = 'stty raw -echo <"$1" && exec cat "$1" & exec cat >"$1"'
"""A console over ssh: the nmdm end raw, copied both ways (``cat``s: on any host)."""


class BhyveConnection(LocalMetadata, LocalConnection[BhyveDriver]):
    """The lookups, definitions and properties of domains are ``LocalConnection``'s; the host's
    facts come from the bhyve host (``uname``)."""

    driver_name = "BHYVE"
    error_domain = ErrorDomain.BHYVE
    os_type = "hvm"

    def __init__(self, uri: URI, *, readonly: bool = False) -> None:
        super().__init__(uri, readonly=readonly)
        self._driver = acquire(BhyvePaths.for_uri(uri), uri)
        self._uname: dict[str, str] = {}
        self._uname_lock = threading.Lock()

    @property
    def bhyve(self) -> BhyveDriver:
        return self.local

    def _release(self, driver: BhyveDriver) -> None:
        release(driver)

    # -- host -------------------------------------------------------------------------------------
    def _host_uname(self, flag: str) -> str:
        with self._uname_lock:
            if flag not in self._uname:
                result = self.bhyve.door.run(["uname", flag])
                if result.status != 0:
                    raise errors.internal(f"uname {flag} failed on the bhyve host: {result.error_text}")
                self._uname[flag] = result.stdout.decode().strip()
            return self._uname[flag]

    def get_version(self) -> int:
        """bhyveConnectGetVersion: the host's kernel release (FreeBSD ``14.0-RELEASE`` is 14.0.0)."""
        release = self._host_uname("-r")
        numbers = [int(part) for part in _leading_numbers(release)]
        if not numbers:
            raise errors.error(ErrorNumber.INTERNAL_ERROR, f"Unknown release: {release}")
        major, minor, micro = [*numbers, 0, 0, 0][:3]
        return major * 1_000_000 + minor * 1_000 + micro

    def get_hostname(self) -> str:
        if not self.bhyve.paths.remote:
            return super().get_hostname()
        return self._host_uname("-n")

    def _host_arch(self) -> str:
        """The host's architecture in libvirt's words (FreeBSD's ``amd64`` is ``x86_64``)."""
        machine = self._host_uname("-m")
        return {"amd64": "x86_64", "arm64": "aarch64"}.get(machine, machine)

    def _sysctl(self, *names: str) -> list[str] | None:
        """The values of ``names`` on the host (``sysctl -n``), or None when one is not there."""
        result = self.bhyve.door.run(["sysctl", "-n", *names])
        values = result.stdout.decode(errors="replace").splitlines()
        return values if result.status == 0 and len(values) == len(names) else None

    def get_node_info(self) -> NodeInfo:
        """nodeGetInfo on FreeBSD (virHostCPUGetInfo, virHostMemGetInfo), asked of the bhyve host:
        ``hw.ncpu`` CPUs as one node, one socket, one thread per core; the MHz of
        ``dev.cpu.0.freq`` (cpufreq(4)), else the boot-time ``hw.clockrate``; ``hw.physmem``."""
        from virt.info import NodeInfo

        counted = self._sysctl("hw.ncpu", "hw.physmem")
        if counted is None or not all(v.isdigit() for v in counted):
            raise errors.error(ErrorNumber.SYSTEM_ERROR, "Cannot obtain CPU count")
        mhz = self._sysctl("dev.cpu.0.freq") or self._sysctl("hw.clockrate")
        if mhz is None or not mhz[0].isdigit():
            raise errors.error(ErrorNumber.SYSTEM_ERROR, "cannot obtain CPU freq")
        cpus = int(counted[0])
        return NodeInfo(
            model=self._host_arch(),
            memory_kib=int(counted[1]) // 1024,
            cpus=cpus,
            mhz=int(mhz[0]),
            nodes=1,
            sockets=1,
            cores=cpus,
            threads=1,
        )

    def get_capabilities(self) -> Capabilities:
        """virBhyveCapsBuild: the host's architecture, one guest: hvm x86_64 with domain type bhyve."""
        from virt.xml import Capabilities

        arch = self._host_arch()
        return Capabilities.from_xml(
            "<capabilities><host>"
            f"<cpu><arch>{arch}</arch></cpu><power_management/>"
            "<iommu support='no'/><migration_features><live/></migration_features>"
            "</host><guest><os_type>hvm</os_type><arch name='x86_64'><wordsize>64</wordsize>"
            "<domain type='bhyve'/></arch></guest></capabilities>"
        )

    def get_domain_capabilities(
        self,
        *,
        emulator: str | None = None,
        arch: str | None = None,
        machine: str | None = None,
        virt_type: str | None = None,
    ) -> DomainCapabilities:
        """bhyveConnectGetDomainCapabilities: what the probed bhyve offers (virBhyveDomainCapsFill)."""
        from virt_bhyve.domaincaps import domain_capabilities

        if virt_type not in (None, "bhyve"):
            raise errors.invalid_arg(f"unknown virttype: {virt_type}")
        if arch not in (None, "x86_64"):
            raise errors.invalid_arg(f"Unsupported architecture: {arch}")
        binary = emulator or self.bhyve.need_tool("bhyve")
        if emulator is not None and PurePosixPath(emulator).name != "bhyve":
            raise errors.invalid_arg(f"unknown emulator binary: {emulator}")
        return domain_capabilities(self.bhyve, binary, machine)

    def get_max_vcpus(self, virt_type: str | None) -> int:
        """bhyveConnectGetMaxVcpus: 16, which libvirt hard-codes (bhyve offers no way to ask)."""
        if virt_type is not None and virt_type.lower() != "bhyve":
            raise errors.invalid_arg(f"unknown type '{virt_type}'")
        return MAX_VCPUS

    # -- states are the host's: current before each answer -------------------------------------------
    def list_domains(self, filter: DomainFilter) -> list[DomainRef]:
        self.bhyve.fresh()
        return super().list_domains(filter)

    def get_domain_state(self, ref: DomainRef) -> tuple[DomainState, int]:
        self.bhyve.fresh()
        return super().get_domain_state(ref)

    def is_domain_active(self, ref: DomainRef) -> bool:
        self.bhyve.fresh()
        return super().is_domain_active(ref)

    def get_domain_info(self, ref: DomainRef) -> DomainInfo:
        return self.bhyve.info(ref)

    def get_domain_definition(self, ref: DomainRef, *, inactive: bool = False, secure: bool = False) -> Domain:
        self.bhyve.fresh()  # a guest that ended meanwhile shows its persistent definition, no id
        return super().get_domain_definition(ref, inactive=inactive, secure=secure)

    def lookup_domain_by_name(self, name: str) -> DomainRef:
        self.bhyve.fresh()  # the handle carries the id: the current one
        return super().lookup_domain_by_name(name)

    def start_domain_flags(self, ref: DomainRef, flags: StartFlags) -> None:
        if flags:
            raise errors.unsupported_flags(int(flags), "bhyveDomainCreateWithFlags")
        self.bhyve.start(ref)

    # -- native format (virt_bhyve.argv through virt.native) -------------------------------------------
    def domain_xml_from_native(self, native_format: str, native_config: str, flags: int) -> str:
        from virt.native import from_native

        if flags:
            raise errors.unsupported_flags(flags, "bhyveConnectDomainXMLFromNative")
        if native_format != NATIVE_FORMAT:
            raise errors.invalid_arg(f"unsupported config type {native_format}")
        return from_native(native_format, native_config)

    def domain_xml_to_native(self, native_format: str, domain_xml: str, flags: int) -> str:
        """bhyveConnectDomainXMLToNative: the dry run with this host's probed capabilities."""
        import attrs
        from virt.xml import Domain

        from virt_bhyve.argv import DRY_RUN, to_native

        if flags:
            raise errors.unsupported_flags(flags, "bhyveConnectDomainXMLToNative")
        if native_format != NATIVE_FORMAT:
            raise errors.invalid_arg(f"Unsupported config type {native_format}")
        return to_native(Domain.from_xml(domain_xml), env=attrs.evolve(DRY_RUN, caps=self.bhyve.caps()))

    # -- console ------------------------------------------------------------------------------------
    def open_console(self, ref: DomainRef, device: str | None = None, *, force: bool = False) -> socket.socket:
        """bhyveDomainOpenConsole: the slave end of the first serial port's nmdm pair, as a stream."""
        obj, slave = self.bhyve.console_slave(ref)
        key = (self.bhyve.paths.host, obj.uuid)
        _consoles.check(key, force=force)
        if self.bhyve.paths.remote:
            spawned = self.bhyve.door.spawn(["sh", "-c", _CONSOLE, "sh", slave])
            return _consoles.open(key, spawned.read_fd, spawned.write_fd, spawned.stop)
        fd = _open_tty(slave)
        return _consoles.open(key, fd, fd, lambda: os.close(fd))


def _open_tty(path: str) -> int:
    """The nmdm end, raw (virFDStreamOpenPTY)."""
    import termios
    import tty

    try:
        fd = os.open(path, os.O_RDWR | os.O_NOCTTY)
    except OSError as exc:
        raise errors.error(
            ErrorNumber.SYSTEM_ERROR,
            f"Unable to open pty {path}: {exc.strerror}",
        ) from None
    if os.isatty(fd):
        tty.setraw(fd, termios.TCSANOW)
    return fd


def _leading_numbers(release: str) -> list[str]:
    import re

    match = re.match(r"(\d+)(?:\.(\d+))?(?:\.(\d+))?", release)
    return [part for part in match.groups() if part is not None] if match else []

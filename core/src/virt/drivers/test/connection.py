"""TestConnection: one open ``test:///`` connection, over a shared or a private mock host."""

from __future__ import annotations

from collections.abc import Callable

from virt.domainevents import OtherDomainEvent
from virt.driver import AuthCallback, Credential, CredentialType, DriverConnection
from virt.drivers.test import errors, node
from virt.drivers.test.changes import ChangeOperations
from virt.drivers.test.checkpoints import CheckpointOperations
from virt.drivers.test.control import ControlOperations
from virt.drivers.test.cpubaseline import CPUBaselineOperations
from virt.drivers.test.display import DisplayOperations
from virt.drivers.test.domaincalls import DomainCallOperations
from virt.drivers.test.domains import DomainOperations
from virt.drivers.test.guestops import GuestOperations
from virt.drivers.test.host import Host, SharedHost
from virt.drivers.test.hostfacts import HostFactsOperations
from virt.drivers.test.hostinfo import HostOperations
from virt.drivers.test.interfaces import InterfaceOperations
from virt.drivers.test.iothreads import IOThreadOperations
from virt.drivers.test.networks import NetworkOperations
from virt.drivers.test.nodedevices import NodeDeviceOperations
from virt.drivers.test.objectevents import ObjectEventOperations
from virt.drivers.test.poolsources import PoolSourceOperations
from virt.drivers.test.rename import RenameOperations
from virt.drivers.test.saving import SaveOperations
from virt.drivers.test.scheduler import SchedulerOperations
from virt.drivers.test.snapshots import SnapshotOperations
from virt.drivers.test.stats import StatsOperations
from virt.drivers.test.storage import StorageOperations
from virt.drivers.test.tunables import TunableOperations
from virt.errors import ErrorDomain, ErrorNumber, libvirt_error
from virt.events import DomainEvent
from virt.uri import URI

DEFAULT_PATH = "/default"

# Every test:///default connection of the process sees the same host, so that what one
# connection does another observes (libvirt relies on this to test events across connections).
_default_host = SharedHost(node.load_default)


class TestConnection(
    HostOperations,
    HostFactsOperations,
    ChangeOperations,
    SaveOperations,
    SchedulerOperations,
    TunableOperations,
    ControlOperations,
    GuestOperations,
    IOThreadOperations,
    RenameOperations,
    DomainCallOperations,
    SnapshotOperations,
    CheckpointOperations,
    DomainOperations,
    NetworkOperations,
    NodeDeviceOperations,
    ObjectEventOperations,
    CPUBaselineOperations,
    InterfaceOperations,
    StorageOperations,
    PoolSourceOperations,
    StatsOperations,
    DisplayOperations,
    DriverConnection,
):
    """``test:///default`` (the shared default host) or ``test:///abs/path/node.xml`` (a private one)."""

    __test__ = False  # not a pytest test class, whatever its name says
    driver_name = "TEST"
    error_domain = ErrorDomain.TEST
    # every host lives in memory and its lock is only ever held briefly (opening reads a node
    # file, but opening is not a call on an open connection)
    nonblocking = True

    def __init__(self, uri: URI, *, readonly: bool = False) -> None:
        super().__init__(uri, readonly=readonly)
        path = uri.path
        if path in ("", "/"):
            raise errors.error(ErrorNumber.INVALID_ARG, "testOpen: supply a path or use test:///default")
        self._shared = path == DEFAULT_PATH
        self.host: Host = _default_host.acquire() if self._shared else node.load_file(path)
        self._closed = False
        self._unsubscribes: list[Callable[[], None]] = []

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        # the host outlives this connection when others share it: stop its events reaching us
        for unsubscribe in self._unsubscribes:
            unsubscribe()
        self._unsubscribes.clear()
        if self._shared:
            _default_host.release(self.host)

    # -- events -------------------------------------------------------------------------------------
    def subscribe_domain_events(self, callback: Callable[[DomainEvent], None]) -> Callable[[], None]:
        """Events of the host: with test:///default, those of every connection of the process."""
        unsubscribe = self.host.events.subscribe_lifecycle(callback)
        self._unsubscribes.append(unsubscribe)
        return unsubscribe

    def subscribe_domain_event_id(
        self, event_id: int, callback: Callable[[OtherDomainEvent], None]
    ) -> Callable[[], None]:
        """The host's events of ``event_id``, as ``subscribe_domain_events`` (libvirt's test driver
        emits metadata changes; the other ids never come)."""
        unsubscribe = self.host.events.subscribe_id(event_id, callback)
        self._unsubscribes.append(unsubscribe)
        return unsubscribe

    # -- <auth> of node files ---------------------------------------------------------------------
    def authenticate(self, auth: AuthCallback | None) -> None:
        """A node file with ``<auth>`` users asks for a user name and password, as libvirt's test driver does."""
        if not self.host.users:
            return
        if auth is None:
            # virAuthGetUsername's words when the caller gave no callback to ask with
            raise libvirt_error(ErrorNumber.INVALID_ARG, "Missing authentication credentials", ErrorDomain.AUTH)
        username = Credential(CredentialType.AUTHNAME, "Enter username for test")
        password = Credential(CredentialType.PASSPHRASE, "Enter password for test")
        auth([username, password])
        with self.host.lock:
            known = username.result in self.host.users
            expected = self.host.users.get(username.result or "")
        if not known or (expected is not None and expected != password.result):
            raise errors.error(
                ErrorNumber.AUTH_FAILED, "authentication failed, see test XML for the correct username/password"
            )

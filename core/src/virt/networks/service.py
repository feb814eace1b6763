"""``NetworkService``: the virtual networks of this host, one instance per process and folders.

The instance owns its folders (the owner lock), the table of networks and every change to them;
each change is written atomically before it is answered. Taking the folders over after an owner
stopped or died adopts the running networks as they are (bridge, dnsmasq and firewall table keep
serving the guests) and starts the autostart networks that are not running. On its first use the
service defines libvirt's ``default`` network and marks it autostart, as libvirt's packages do;
autostart networks start with the first owner after the host boots.
"""

from __future__ import annotations

import copy
import logging
import os
import threading
import uuid
from typing import TYPE_CHECKING

import attrs

from virt.driver import NetworkRef
from virt.errors import ErrorNumber
from virt.localstate import ownerlock
from virt.localstate.files import atomic_write, remove
from virt.networkevents import NetworkEvent, NetworkEventHub, NetworkEventType
from virt.networks import defaults, errors, leases, lifecycle, ports, store, update
from virt.networks.dnsmasq import DnsmasqFiles
from virt.networks.prepare import prepare

if TYPE_CHECKING:
    from virt.info import NetworkDHCPLease, ObjectFilter
    from virt.networks.paths import NetworkPaths
    from virt.xml import Network
    from virt.xml.networkport import NetworkPort

log = logging.getLogger(__name__)

UPDATE_LIVE, UPDATE_CONFIG = 1, 2  # virNetworkUpdateFlags (0: the current state)


@attrs.define(eq=False)
class NetworkObj:
    definition: Network
    """The persistent definition (a transient network's only one)."""
    persistent: bool = True
    autostart: bool = False
    live: Network | None = None
    """The running network's definition; None while inactive."""
    pending: Network | None = None
    """A persistent definition given while the network ran, taking effect when it stops."""

    @property
    def name(self) -> str:
        assert self.definition.name is not None
        return self.definition.name

    @property
    def uuid(self) -> uuid.UUID:
        assert self.definition.uuid is not None
        return self.definition.uuid

    @property
    def active(self) -> bool:
        return self.live is not None

    @property
    def config(self) -> Network:
        """The definition the network has once it stops."""
        return self.pending if self.pending is not None else self.definition


class NetworkService:
    def __init__(self, paths: NetworkPaths) -> None:
        self.paths = paths
        self.lock = threading.RLock()
        first_use = paths.make()
        self._owner = ownerlock.acquire(
            paths.lock_file,
            lambda holder: errors.error(
                ErrorNumber.OPERATION_FAILED, f"the network state in {paths.run_dir} is in use by process {holder}"
            ),
        )
        self.store = store.NetworkStore(paths)
        self.networks: dict[str, NetworkObj] = {}
        self.port_tables: dict[str, ports.PortTable] = {}
        """The ports of each running network, by network name."""
        # a thread delivers: events are emitted under the service's lock
        self.events = NetworkEventHub(threaded=True, name="virt network events")
        try:
            self._load()
            # an unprivileged user's service cannot make bridges: no 'default' network there (libvirt's
            # session daemons have none either)
            if first_use and "default" not in self.networks and os.geteuid() == 0:
                self._add_default()
            self._autostart()
        except BaseException:
            self.events.close()
            ownerlock.release(self._owner)
            raise

    def close(self) -> None:
        """Let go of the folders; the networks keep running for the next owner to adopt."""
        self.events.close()
        ownerlock.release(self._owner)

    def _emit(self, obj: NetworkObj, kind: NetworkEventType) -> None:
        self.events.emit(NetworkEvent(NetworkRef(name=obj.name, uuid=obj.uuid), kind))

    # -- loading ----------------------------------------------------------------------------------
    def _load(self) -> None:
        for definition in self.store.load_all():
            obj = NetworkObj(definition, autostart=self.store.autostart(definition.name or ""))
            self.networks[obj.name] = obj
        for path in sorted(self.paths.status_dir.glob("*.xml")):
            live = store.read(path)
            if live is None:
                continue
            known = self.networks.get(path.stem)
            obj = known if known is not None else NetworkObj(copy.deepcopy(live), persistent=False)
            if not lifecycle.adopt(live, self.files(obj.name)):
                log.warning("network %s was no longer running: marked inactive", obj.name)
                remove(path, durable=False)
                continue
            obj.live = live
            self._port_table(obj.name).load()
            if obj.persistent and obj.definition != _as_config(live):
                obj.pending = obj.definition
                obj.definition = _as_config(live)
            self.networks[obj.name] = obj

    def _add_default(self) -> None:
        definition = prepare(defaults.default_network(o.definition for o in self.networks.values()), [])
        self.store.save(definition)
        self.store.set_autostart("default", True)
        self.networks["default"] = NetworkObj(definition, autostart=True)

    def _autostart(self) -> None:
        """Start the autostart networks once per host boot (the marker lives in the run folder, a
        tmpfs), as libvirt: a network its user stopped stays stopped for later owners."""
        marker = self.paths.run_dir / "autostarted"
        if marker.exists():
            return
        marker.touch()
        for obj in list(self.networks.values()):
            if obj.autostart and not obj.active:
                try:
                    self._start(obj)
                except Exception as exc:  # noqa: BLE001 - one network failing does not stop the others
                    log.error("cannot autostart network %s: %s", obj.name, exc)

    # -- lookups ----------------------------------------------------------------------------------
    def files(self, name: str) -> DnsmasqFiles:
        return DnsmasqFiles(self.paths.dnsmasq_dir, name)

    def find(self, name: str) -> NetworkObj:
        obj = self.networks.get(name)
        if obj is None:
            raise errors.no_network_named(name)
        return obj

    def by_uuid(self, key: uuid.UUID) -> NetworkObj:
        for obj in self.networks.values():
            if obj.uuid == key:
                return obj
        raise errors.error(ErrorNumber.NO_NETWORK, f"no network with matching uuid '{key}'")

    def listing(self, filter: ObjectFilter) -> list[NetworkObj]:
        with self.lock:
            return [
                o
                for o in self.networks.values()
                if filter.matches(active=o.active, persistent=o.persistent, autostart=o.autostart)
            ]

    def definition(self, name: str, *, inactive: bool) -> Network:
        with self.lock:
            obj = self.find(name)
            if inactive or obj.live is None:
                return copy.deepcopy(obj.config)
            return copy.deepcopy(obj.live)

    # -- definitions ------------------------------------------------------------------------------
    def _others(self, name: str | None) -> list[Network]:
        found: list[Network] = []
        for obj in self.networks.values():
            if obj.name != name:
                found += [d for d in (obj.definition, obj.live, obj.pending) if d is not None]
        return found

    def _check_unique(self, definition: Network) -> NetworkObj | None:
        """The network ``definition`` replaces, if any; refuses a name or UUID of another network."""
        for obj in self.networks.values():
            if obj.uuid == definition.uuid and obj.name != definition.name:
                raise errors.error(
                    ErrorNumber.OPERATION_FAILED, f"network '{obj.name}' is already defined with uuid {obj.uuid}"
                )
            if obj.name == definition.name and obj.uuid != definition.uuid:
                raise errors.error(
                    ErrorNumber.OPERATION_FAILED, f"network '{obj.name}' already exists with uuid {obj.uuid}"
                )
        return self.networks.get(definition.name or "")

    def define(self, network: Network) -> NetworkObj:
        with self.lock:
            definition = prepare(network, self._others(network.name))
            existing = self._check_unique(definition)
            self.store.save(definition)
            if existing is None:
                obj = NetworkObj(definition)
                self.networks[obj.name] = obj
            else:
                obj = existing
                if obj.active:
                    obj.pending = definition
                else:
                    obj.definition = definition
                obj.persistent = True
            self._emit(obj, NetworkEventType.DEFINED)
            return obj

    def create(self, network: Network) -> NetworkObj:
        with self.lock:
            definition = prepare(network, self._others(network.name))
            existing = self._check_unique(definition)
            obj: NetworkObj
            if existing is not None:
                if existing.active:
                    raise errors.invalid(f"network is already active as '{existing.name}'")
                obj = existing
                obj.pending, obj.definition = obj.definition, definition
            else:
                obj = NetworkObj(definition, persistent=False)
            try:
                self._start(obj)
            except BaseException:
                if existing is not None and obj.pending is not None:
                    obj.definition, obj.pending = obj.pending, None
                raise
            self.networks[obj.name] = obj
            return obj

    def undefine(self, name: str) -> None:
        with self.lock:
            obj = self.find(name)
            if not obj.persistent:
                raise errors.invalid("cannot undefine transient network")
            self.store.delete(name)
            obj.autostart = False
            if obj.active:
                obj.persistent = False
                obj.pending = None
            else:
                del self.networks[name]
            self._emit(obj, NetworkEventType.UNDEFINED)

    def set_autostart(self, name: str, autostart: bool) -> None:
        with self.lock:
            obj = self.find(name)
            if not obj.persistent:
                raise errors.invalid("cannot set autostart for transient network")
            self.store.set_autostart(name, autostart)
            obj.autostart = autostart

    # -- lifecycle --------------------------------------------------------------------------------
    def _start(self, obj: NetworkObj) -> None:
        live = lifecycle.live_definition(obj.definition)
        lifecycle.start(live, self.files(obj.name))
        atomic_write(self.paths.status_file(obj.name), live.to_xml(), 0o644, durable=False)
        obj.live = live
        self._port_table(obj.name).clear()  # a new run starts without ports
        self._emit(obj, NetworkEventType.STARTED)

    def start(self, name: str) -> None:
        with self.lock:
            obj = self.find(name)
            if obj.active:
                raise errors.invalid("network is already active")
            self._start(obj)

    def destroy(self, name: str) -> None:
        with self.lock:
            obj = self.find(name)
            if obj.live is None:
                raise errors.invalid(f"network '{name}' is not active")
            lifecycle.stop(obj.live, self.files(name))
            remove(self.paths.status_file(name), durable=False)
            self._port_table(name).clear()
            del self.port_tables[name]
            obj.live = None
            if obj.pending is not None:
                obj.definition, obj.pending = obj.pending, None
            if not obj.persistent:
                del self.networks[name]
            self._emit(obj, NetworkEventType.STOPPED)

    # -- live changes and facts -------------------------------------------------------------------
    def update(self, name: str, command: int, section: int, parent_index: int, xml: str, flags: int) -> None:
        with self.lock:
            obj = self.find(name)
            live = bool(flags & UPDATE_LIVE) or (not flags & UPDATE_CONFIG and obj.active)
            config = bool(flags & UPDATE_CONFIG) or (not flags & UPDATE_LIVE and not obj.active)
            if live and obj.live is None:
                raise errors.invalid("network is not running")
            if config and not obj.persistent:
                raise errors.invalid("cannot change persistent config of a transient network")
            # change copies: a refused change (or a failing save) leaves everything as it was
            new_config = copy.deepcopy(obj.config) if config else None
            new_live = copy.deepcopy(obj.live) if live else None
            for changed in (new_config, new_live):
                if changed is not None:
                    update.apply(changed, command, section, parent_index, xml)
            if new_config is not None:
                self.store.save(new_config)
                if obj.active:
                    obj.pending = new_config
                else:
                    obj.definition = new_config
            if new_live is not None:
                self._apply_live(obj, new_live, section)

    def _apply_live(self, obj: NetworkObj, new_live: Network, section: int) -> None:
        from virt.networks import dnsmasq

        files = self.files(obj.name)
        atomic_write(self.paths.status_file(obj.name), new_live.to_xml(), 0o644, durable=False)
        obj.live = new_live
        if not dnsmasq.needed(new_live):
            return
        if section in update.HOST_FILE_SECTIONS:
            dnsmasq.write_host_files(new_live, files)
            if dnsmasq.reload(files):
                return
        dnsmasq.stop(files)
        dnsmasq.start(new_live, files)

    def bridge_of(self, name: str) -> str:
        """The bridge a guest interface on network ``name`` joins; refused when it does not run."""
        with self.lock:
            obj = self.find(name)
            if obj.live is None:
                raise errors.invalid(f"network '{name}' is not active")
            bridge = obj.live.bridge
            if bridge is None or not bridge.name:
                raise errors.unsupported(f"network '{name}' has no bridge: its guests' interfaces are not supported")
            return bridge.name

    def dhcp_leases(self, name: str, mac: str | None) -> list[NetworkDHCPLease]:
        with self.lock:
            obj = self.find(name)
            if obj.live is None or obj.live.bridge is None or not obj.live.bridge.name:
                return []
            return leases.read(self.files(name).leases, obj.live, mac=mac)

    # -- network ports (virNetworkPort*) ----------------------------------------------------------
    def _port_table(self, name: str) -> ports.PortTable:
        table = self.port_tables.get(name)
        if table is None:
            table = self.port_tables[name] = ports.PortTable(self.paths.run_dir / "ports" / name)
        return table

    def _running(self, name: str) -> tuple[Network, ports.PortTable]:
        obj = self.find(name)
        if obj.live is None:
            raise errors.invalid(f"network '{name}' is not active")
        return obj.live, self._port_table(name)

    def port_list(self, name: str) -> list[NetworkPort]:
        with self.lock:
            _, table = self._running(name)
            return [p.clone() for p in table.ports.values()]

    def port_lookup(self, name: str, key: uuid.UUID) -> NetworkPort:
        with self.lock:
            obj = self.find(name)
            table = self.port_tables.get(name) if obj.active else None
            if table is None:
                raise ports.no_port(key)
            return table.find(key).clone()

    def port_create(self, name: str, port: NetworkPort, flags: int = 0) -> NetworkPort:
        with self.lock:
            live, table = self._running(name)
            return table.add(live, port.clone(), flags).clone()

    def port_delete(self, name: str, key: uuid.UUID) -> None:
        with self.lock:
            obj = self.find(name)
            table = self.port_tables.get(name) if obj.active else None
            if table is None:
                raise ports.no_port(key)
            table.delete(key)

    def port_parameters(self, name: str, key: uuid.UUID) -> dict[str, int]:
        with self.lock:
            obj = self.find(name)
            table = self.port_tables.get(name) if obj.active else None
            if table is None:
                raise ports.no_port(key)
            return table.parameters(key)

    def port_set_parameters(self, name: str, key: uuid.UUID, params: dict[str, int]) -> None:
        with self.lock:
            obj = self.find(name)
            table = self.port_tables.get(name) if obj.active else None
            if table is None or obj.live is None:
                raise ports.no_port(key)
            table.set_parameters(obj.live, key, params)

    # -- end of network ports ---------------------------------------------------------------------


def _as_config(live: Network) -> Network:
    """A live definition without what starting added: what its config was."""
    config = copy.deepcopy(live)
    if config.forward is not None and config.forward.mode == "nat" and config.forward.nat is not None:
        port = config.forward.nat.find("port")
        if (
            len(config.forward.nat) == 1
            and port is not None
            and (port.get("start"), port.get("end")) == ("1024", "65535")
        ):
            config.forward.nat = None
    return config

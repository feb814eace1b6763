"""``EsxConnection``: the driver connection for ``esx://``, ``gsx://`` and ``vpx://`` URIs.

Opening parses the URI (bad parameters fail before any traffic), reaches the server, asks for the
credentials (the URI's user, libvirt's auth.conf, then the auth callback: service ``esx``, the host
name as challenge), logs in, and finds the URI's host in the inventory. Each operation is one of the
modules beside this one; this class only routes.
"""

from __future__ import annotations

import threading
import uuid as uuid_module
from typing import TYPE_CHECKING

from virt import auth as auth_module
from virt.driver import (
    AuthCallback,
    DomainRef,
    DriverConnection,
    NetworkRef,
    StoragePoolInfo,
    StoragePoolRef,
    StorageVolumeInfo,
    StorageVolumeRef,
)
from virt.errors import ConnectionError, ErrorDomain, ErrorNumber, InvalidArgument

from virt_esx.nativecalls import EsxNativeCalls
from virt_esx.params import EsxParams

if TYPE_CHECKING:
    from virt.info import DomainFilter, DomainInfo, NodeInfo, ObjectFilter
    from virt.states import DomainState, ShutdownMode
    from virt.uri import URI
    from virt.xml import Capabilities, Domain, Network, StoragePool, StorageVolume

    from virt_esx.server import Server

_DEFAULT_USERS = {"esx": "root", "gsx": "root", "vpx": "administrator"}


class EsxConnection(EsxNativeCalls, DriverConnection):
    driver_name = "ESX"
    error_domain = ErrorDomain.ESX

    def __init__(self, uri: URI, *, readonly: bool = False) -> None:
        super().__init__(uri, readonly=readonly)
        self.params = EsxParams.from_uri(uri)
        self._server: Server | None = None
        self._lock = threading.Lock()

    # -- opening and closing -----------------------------------------------------------------------
    def authenticate(self, auth: AuthCallback | None) -> None:
        from virt_esx import faults, inventory, session
        from virt_esx.server import Server

        params = self.params
        opened = session.connect(params)
        try:
            username = auth_module.ask_username(
                self.uri, auth, service="esx", hostname=params.host, default=_DEFAULT_USERS[params.scheme]
            )
            session.login(
                opened,
                username,
                lambda: auth_module.ask_password(
                    self.uri, auth, service="esx", username=username, hostname=params.host
                ),
            )
            with faults.calling("cannot find the URI's host in the inventory", params.url):
                scope = inventory.locate(opened.content, params.scheme, params.path)
        except BaseException:
            opened.stub.DropConnections()
            raise
        self._server = Server(
            params, opened, scope, lambda words, percent, done: self.report_progress(words, percent, done=done)
        )

    @property
    def server(self) -> Server:
        if self._server is None:
            raise ConnectionError("the connection is not open", ErrorNumber.INVALID_CONN, ErrorDomain.ESX)
        return self._server

    def close(self) -> None:
        with self._lock:
            server, self._server = self._server, None
        if server is not None:
            server.session.close()

    # -- host --------------------------------------------------------------------------------------
    def get_version(self) -> int:
        from virt_esx import host

        return host.version(self.server)

    def get_hostname(self) -> str:
        from virt_esx import host

        return host.hostname(self.server)

    def get_node_info(self) -> NodeInfo:
        from virt_esx import host

        return host.node_info(self.server)

    def get_capabilities(self) -> Capabilities:
        from virt_esx import host

        return host.capabilities(self.server)

    # -- domains -----------------------------------------------------------------------------------
    def list_domains(self, filter: DomainFilter) -> list[DomainRef]:
        from virt_esx import domains

        return domains.filtered(self.server, filter)

    def lookup_domain_by_name(self, name: str) -> DomainRef:
        from virt_esx import domains

        return domains.by_name(self.server, name)

    def lookup_domain_by_uuid(self, uuid: uuid_module.UUID) -> DomainRef:
        from virt_esx import domains

        return domains.ref_of(domains.read(self.server, uuid))

    def lookup_domain_by_id(self, id: int) -> DomainRef:
        from virt_esx import domains

        return domains.by_id(self.server, id)

    def get_domain_state(self, ref: DomainRef) -> tuple[DomainState, int]:
        from virt_esx import domains

        return domains.state(self.server, ref)

    def get_domain_info(self, ref: DomainRef) -> DomainInfo:
        from virt_esx import domains

        return domains.info(self.server, ref)

    def is_domain_active(self, ref: DomainRef) -> bool:
        from virt_esx import domains

        return domains.read_ref(self.server, ref).active

    def is_domain_persistent(self, ref: DomainRef) -> bool:
        from virt_esx import domains

        domains.read_ref(self.server, ref)  # NotFound for a VM that is gone
        return True  # every VM the server knows is defined: ESX has no transient VMs

    def has_managed_save(self, ref: DomainRef) -> bool:
        return False  # a suspended VM keeps its state itself: it is paused, not saved

    def get_domain_os_type(self, ref: DomainRef) -> str:
        return "hvm"

    def get_domain_definition(self, ref: DomainRef, *, inactive: bool = False, secure: bool = False) -> Domain:
        from virt_esx import definitions

        return definitions.definition(self.server, ref, inactive=inactive)

    def define_domain(self, domain: Domain) -> DomainRef:
        from virt_esx import definitions

        return definitions.define(self.server, domain)

    def undefine_domain(self, ref: DomainRef) -> None:
        from virt_esx import domains

        domains.undefine(self.server, ref)

    def start_domain(self, ref: DomainRef) -> None:
        from virt_esx import domains

        domains.start(self.server, ref)

    def shutdown_domain(self, ref: DomainRef, mode: ShutdownMode) -> None:
        from virt_esx import domains

        domains.shutdown(self.server, ref, mode)

    def reboot_domain(self, ref: DomainRef, mode: ShutdownMode) -> None:
        from virt_esx import domains

        domains.reboot(self.server, ref, mode)

    def reset_domain(self, ref: DomainRef) -> None:
        from virt_esx import domains

        domains.reset(self.server, ref)

    def destroy_domain(self, ref: DomainRef) -> None:
        from virt_esx import domains

        domains.destroy(self.server, ref)

    def suspend_domain(self, ref: DomainRef) -> None:
        from virt_esx import domains

        domains.suspend(self.server, ref)

    def resume_domain(self, ref: DomainRef) -> None:
        from virt_esx import domains

        domains.resume(self.server, ref)

    def get_domain_autostart(self, ref: DomainRef) -> bool:
        from virt_esx import domains

        return domains.autostart_of(self.server, ref)

    def set_domain_autostart(self, ref: DomainRef, autostart: bool) -> None:
        from virt_esx import domains

        domains.set_autostart(self.server, ref, autostart)

    # -- networks (port groups, read-only) ------------------------------------------------------------
    def list_networks(self, filter: ObjectFilter) -> list[NetworkRef]:
        from virt_esx import networks

        return networks.list_networks(self.server, filter)

    def lookup_network_by_name(self, name: str) -> NetworkRef:
        from virt_esx import networks

        return networks.by_name(self.server, name).ref

    def lookup_network_by_uuid(self, uuid: uuid_module.UUID) -> NetworkRef:
        from virt_esx import networks

        return networks.by_uuid(self.server, uuid).ref

    def get_network_definition(self, ref: NetworkRef, *, inactive: bool = False) -> Network:
        from virt_esx import networks

        return networks.definition(self.server, ref)

    def is_network_active(self, ref: NetworkRef) -> bool:
        from virt_esx import networks

        return networks.is_active(self.server, ref)

    def is_network_persistent(self, ref: NetworkRef) -> bool:
        return True

    def get_network_autostart(self, ref: NetworkRef) -> bool:
        return True  # a port group is up whenever its host is

    # -- storage pools (datastores) and volumes (their images) --------------------------------------
    def list_storage_pools(self, filter: ObjectFilter) -> list[StoragePoolRef]:
        from virt_esx import storage

        return storage.list_pools(self.server, filter)

    def lookup_storage_pool_by_name(self, name: str) -> StoragePoolRef:
        from virt_esx import storage

        return storage.by_name(self.server, name).ref

    def lookup_storage_pool_by_uuid(self, uuid: uuid_module.UUID) -> StoragePoolRef:
        from virt_esx import storage

        return storage.by_uuid(self.server, uuid).ref

    def get_storage_pool_definition(self, ref: StoragePoolRef, *, inactive: bool = False) -> StoragePool:
        from virt_esx import storage

        return storage.pool_definition(self.server, ref)

    def get_storage_pool_info(self, ref: StoragePoolRef) -> StoragePoolInfo:
        from virt_esx import storage

        return storage.pool_info(self.server, ref)

    def is_storage_pool_persistent(self, ref: StoragePoolRef) -> bool:
        return True

    def get_storage_pool_autostart(self, ref: StoragePoolRef) -> bool:
        return True  # a datastore is mounted whenever its host is up

    def list_storage_volumes(self, pool: StoragePoolRef) -> list[StorageVolumeRef]:
        from virt_esx import storage

        return storage.list_volumes(self.server, pool)

    def lookup_storage_volume_by_name(self, pool: StoragePoolRef, name: str) -> StorageVolumeRef:
        from virt_esx import storage

        return storage.volume(self.server, pool.name, name).ref

    def lookup_storage_volume_by_key(self, key: str) -> StorageVolumeRef:
        from virt_esx import storage

        return storage.volume_by_path(self.server, key)

    def lookup_storage_volume_by_path(self, path: str) -> StorageVolumeRef:
        from virt_esx import storage

        return storage.volume_by_path(self.server, path)

    def get_storage_volume_definition(self, ref: StorageVolumeRef) -> StorageVolume:
        from virt_esx import storage

        return storage.volume_definition(self.server, ref)

    def get_storage_volume_info(self, ref: StorageVolumeRef) -> StorageVolumeInfo:
        from virt_esx import storage

        return storage.volume_info(self.server, ref)

    def create_storage_volume(
        self, pool: StoragePoolRef, volume: StorageVolume, *, prealloc_metadata: bool = False
    ) -> StorageVolumeRef:
        from virt_esx import storage

        if prealloc_metadata:  # libvirt's ESX driver takes no creation flag
            raise InvalidArgument("unsupported flags (0x1) in function esxStorageVolCreateXML", domain=ErrorDomain.ESX)

        return storage.create_volume(self.server, pool, volume)

    def delete_storage_volume(self, ref: StorageVolumeRef) -> None:
        from virt_esx import storage

        storage.delete_volume(self.server, ref)

    def get_storage_volume_path(self, ref: StorageVolumeRef) -> str:
        return ref.key  # the datastore path, which is also the volume's key

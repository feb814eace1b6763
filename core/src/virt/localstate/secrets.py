"""LocalSecretOperations: the secret calls of a local driver's connection (QEMU, LXC).

Secrets are the host's, not one hypervisor's: every local driver's connection reaches the one
``virt.secretstore`` service of its mode (``qemu:///system`` and ``lxc:///`` the system's
secrets, ``qemu:///session`` the user's), so a secret defined through one is seen through the
others. The service is made on the first secret call.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from virt.localstate.storage import storage_mode

if TYPE_CHECKING:
    import uuid

    from virt.driver import SecretRef
    from virt.secrets import SecretEvent
    from virt.secretstore.service import SecretService
    from virt.uri import URI


class LocalSecretOperations:
    """Mixed into ``LocalConnection``: every secret call goes to the host's secret service."""

    uri: URI
    _secrets: SecretService | None = None

    @property
    def secrets(self) -> SecretService:
        """The secret service of this connection's mode, made on first use."""
        if self._secrets is None:
            from virt.secretstore.service import service_for

            self._secrets = service_for(storage_mode(self.uri))
        return self._secrets

    def list_secrets(self, flags: int) -> list[SecretRef]:
        from virt.secretstore.service import ref_of

        return [ref_of(definition) for definition in self.secrets.listing(flags)]

    def lookup_secret_by_uuid(self, uuid: uuid.UUID) -> SecretRef:
        from virt.secretstore.service import ref_of

        return ref_of(self.secrets.by_uuid(uuid))

    def lookup_secret_by_usage(self, usage_type: int, usage_id: str) -> SecretRef:
        from virt.secretstore.service import ref_of

        return ref_of(self.secrets.by_usage(usage_type, usage_id))

    def define_secret(self, xml: str, flags: int) -> SecretRef:
        from virt.secretstore.service import ref_of

        return ref_of(self.secrets.define(xml, flags))

    def get_secret_xml(self, ref: SecretRef, flags: int) -> str:
        from virt.secretstore.service import check_flags

        check_flags(flags, 0, "secretGetXMLDesc")
        return self.secrets.by_uuid(ref.uuid).to_xml()

    def set_secret_value(self, ref: SecretRef, value: bytes, flags: int) -> None:
        self.secrets.set_value(ref.uuid, value, flags)

    def get_secret_value(self, ref: SecretRef, flags: int) -> bytes:
        return self.secrets.value(ref.uuid, flags)

    def undefine_secret(self, ref: SecretRef) -> None:
        self.secrets.undefine(ref.uuid)

    def subscribe_secret_events(self, callback: Callable[[SecretEvent], None]) -> Callable[[], None]:
        return self.secrets.events.subscribe(callback)

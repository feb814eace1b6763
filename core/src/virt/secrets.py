"""Secrets (virSecret*): passphrases and keys the hypervisors use (disk encryption, Ceph, iSCSI,
TLS, vTPM), by UUID or by usage, with their values; and the secret events (lifecycle, value changed).

``Connection.define_secret`` / ``lookup_secret_by_uuid`` / ``lookup_secret_by_usage`` /
``list_secrets`` hand out ``Secret`` handles; a private secret's value never comes back.
"""

from __future__ import annotations

import enum
import itertools
import logging
import threading
import uuid as uuid_module
from collections.abc import Callable
from typing import TYPE_CHECKING

import attrs

from virt.events import EventHub
from virt.xml.secret import UsageType

if TYPE_CHECKING:
    from virt.connection import Connection
    from virt.driver import SecretRef

__all__ = [
    "SECRET_EVENT_ID_LIFECYCLE",
    "SECRET_EVENT_ID_VALUE_CHANGED",
    "DefineFlags",
    "ListFlags",
    "Secret",
    "SecretEvent",
    "SecretEventType",
    "UsageType",
]

SECRET_EVENT_ID_LIFECYCLE = 0  # VIR_SECRET_EVENT_ID_LIFECYCLE
SECRET_EVENT_ID_VALUE_CHANGED = 1  # VIR_SECRET_EVENT_ID_VALUE_CHANGED
EVENT_NAMES = {SECRET_EVENT_ID_LIFECYCLE: "lifecycle", SECRET_EVENT_ID_VALUE_CHANGED: "value-changed"}
"""virsh's names of the event ids (``secret-event --event``)."""


class ListFlags(enum.IntFlag):
    """virConnectListAllSecretsFlags."""

    NONE = 0
    EPHEMERAL = 1
    NO_EPHEMERAL = 2
    PRIVATE = 4
    NO_PRIVATE = 8
    ALL = 15


class DefineFlags(enum.IntFlag):
    """virSecretDefineFlags."""

    NONE = 0
    VALIDATE = 1


class SecretEventType(enum.IntEnum):
    """virSecretEventLifecycleType."""

    DEFINED = 0
    UNDEFINED = 1

    @property
    def label(self) -> str:
        """virsh's word (``secret-event``)."""
        return self.name.capitalize()


@attrs.frozen
class SecretEvent:
    """One secret event: ``event_id`` is SECRET_EVENT_ID_LIFECYCLE (with ``type`` and ``detail``) or
    SECRET_EVENT_ID_VALUE_CHANGED."""

    secret: SecretRef
    event_id: int
    type: SecretEventType | None = None
    detail: int = 0


class SecretEventHub(EventHub[SecretEvent]):
    """The hub of a secret service's events."""


class Secret:
    """A handle on one secret, as virSecretPtr carries it: UUID, usage type and usage id."""

    def __init__(self, connection: Connection, ref: SecretRef) -> None:
        self.connection = connection
        self.ref = ref

    @property
    def uuid(self) -> uuid_module.UUID:
        """virSecretGetUUID."""
        return self.ref.uuid

    @property
    def usage_type(self) -> int:
        """virSecretGetUsageType (a ``UsageType`` number)."""
        return self.ref.usage_type

    @property
    def usage_id(self) -> str:
        """virSecretGetUsageID: the volume path, Ceph/TLS/vTPM name or iSCSI target ("" for none)."""
        return self.ref.usage_id

    def __repr__(self) -> str:
        return f"<Secret {self.uuid}>"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other.connection is self.connection and other.uuid == self.uuid

    def __hash__(self) -> int:
        return hash(self.uuid)

    def xml(self, flags: int = 0) -> str:
        """virSecretGetXMLDesc."""
        return self.connection.driver.get_secret_xml(self.ref, flags)

    def value(self, flags: int = 0) -> bytes:
        """virSecretGetValue (refused on read-only connections and for private secrets)."""
        return self.connection._writable("virSecretGetValue").get_secret_value(self.ref, flags)

    def set_value(self, value: bytes, flags: int = 0) -> None:
        """virSecretSetValue."""
        self.connection._writable("virSecretSetValue").set_secret_value(self.ref, bytes(value), flags)

    def undefine(self) -> None:
        """virSecretUndefine."""
        self.connection._writable("virSecretUndefine").undefine_secret(self.ref)


SecretEventCallback = Callable[[Secret, SecretEvent], None]
"""What ``Connection.add_secret_event_callback`` calls: the secret's handle and the event."""


class SecretCallbacks:
    """A connection's secret event callbacks by handle (each for one event id and one secret's
    UUID, or all), subscribed to the driver while there is at least one."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.callbacks: dict[int, tuple[Callable[[SecretEvent], None], int, uuid_module.UUID | None]] = {}
        self._handles = itertools.count(1)
        self._unsubscribe: Callable[[], None] | None = None

    def add(
        self,
        callback: Callable[[SecretEvent], None],
        event_id: int,
        key: uuid_module.UUID | None,
        subscribe: Callable[[Callable[[SecretEvent], None]], Callable[[], None]],
    ) -> int:
        with self.lock:
            if self._unsubscribe is None:
                self._unsubscribe = subscribe(self.deliver)
            handle = next(self._handles)
            self.callbacks[handle] = (callback, event_id, key)
            return handle

    def remove(self, handle: int) -> None:
        from virt.errors import InvalidArgument

        with self.lock:
            if self.callbacks.pop(handle, None) is None:
                raise InvalidArgument(f"could not find event callback {handle} for deletion")
            unsubscribe = None
            if not self.callbacks:
                unsubscribe, self._unsubscribe = self._unsubscribe, None
        if unsubscribe is not None:
            unsubscribe()

    def clear(self) -> None:
        with self.lock:
            self.callbacks.clear()
            unsubscribe, self._unsubscribe = self._unsubscribe, None
        if unsubscribe is not None:
            unsubscribe()

    def deliver(self, event: SecretEvent) -> None:
        with self.lock:
            wanted = [
                cb
                for cb, event_id, key in self.callbacks.values()
                if event_id == event.event_id and (key is None or key == event.secret.uuid)
            ]
        for callback in wanted:
            try:
                callback(event)
            except Exception:
                logging.getLogger(__name__).exception("secret event callback %r failed on %s", callback, event)

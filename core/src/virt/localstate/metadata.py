"""virDomainGetMetadata / virDomainSetMetadata of a local driver whose instance keeps the running
definition in a status file (``save_status(obj)``) and the persistent one in ``definitions``: the
description, title or an element of a namespace, in the definitions the impact names, one
METADATA_CHANGE event per successful change (what libvirt's libxl and bhyve drivers do)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from virt.domainchanges import Impact, MetadataType
    from virt.driver import DomainRef


class _Connection(Protocol):
    @property
    def local(self) -> Any: ...
    def _metadata_refused(self, obj: Any) -> None: ...


class LocalMetadata:
    """A mixin of a ``LocalConnection`` (``self.local`` is the driver instance)."""

    def _metadata_refused(self, obj: Any) -> None:
        """Raise for a domain whose metadata the driver does not change (Xen's Domain-0); none here."""

    def get_domain_metadata(
        self: _Connection, ref: DomainRef, kind: MetadataType, uri: str | None, impact: Impact
    ) -> str:
        from virt import domainchanges as rules

        with self.local.locked(ref) as obj:
            live = rules.one_definition(impact, active=obj.active, persistent=obj.persistent)
            definition = obj.live if live else obj.config
            assert definition is not None
            text: str = rules.get_metadata(definition, kind, uri)
            return text

    def set_domain_metadata(
        self: _Connection,
        ref: DomainRef,
        kind: MetadataType,
        value: str | None,
        key: str | None,
        uri: str | None,
        impact: Impact,
    ) -> None:
        from virt import domainchanges as rules
        from virt.domainevents import MetadataChangeEvent
        from virt.localstate.connection import ref_of

        with self.local.locked(ref) as obj:
            self._metadata_refused(obj)
            live, config = rules.resolve_impact(impact, active=obj.active, persistent=obj.persistent)
            if live and obj.live is not None:
                rules.set_metadata(obj.live, kind, value, key, uri)
                self.local.save_status(obj)
            if config and obj.config is not None:
                rules.set_metadata(obj.config, kind, value, key, uri)
                self.local.definitions.save(obj.config)
            self.local.events.queue(MetadataChangeEvent(ref_of(obj), int(kind), uri))

"""A read-only hypervisor with a single running domain called ``hello``."""

from __future__ import annotations

import uuid

from virt.driver import DomainRef, DriverConnection
from virt.errors import NotFound
from virt.info import DomainFilter, DomainRecord
from virt.states import DomainState

HELLO = DomainRef(name="hello", uuid=uuid.UUID("12345678-1234-5678-1234-567812345678"), id=7)
RECORD = DomainRecord(active=True, persistent=True, state=DomainState.RUNNING, autostart=False)


class ExampleConnection(DriverConnection):
    driver_name = "Example"

    def get_hostname(self) -> str:
        return "example-host"

    def get_version(self) -> int:
        return 1_002_003

    def list_domains(self, filter: DomainFilter) -> list[DomainRef]:
        return [HELLO] if filter.matches(RECORD) else []

    def lookup_domain_by_name(self, name: str) -> DomainRef:
        if name != HELLO.name:
            raise NotFound(f"Domain not found: no domain with matching name '{name}'")
        return HELLO

    def lookup_domain_by_uuid(self, uuid: uuid.UUID) -> DomainRef:
        if uuid != HELLO.uuid:
            raise NotFound(f"Domain not found: no domain with matching uuid '{uuid}'")
        return HELLO

    def get_domain_state(self, ref: DomainRef) -> tuple[DomainState, int]:
        return DomainState.RUNNING, 1

"""The values of the calls a guest agent answers beside the lifecycle ones: the guest's own view of
its vCPUs (virDomainGetGuestVcpus / SetGuestVcpus), a user's authorized SSH keys
(virDomainAuthorizedSSHKeysGet / Set) and how long a driver waits for the agent
(virDomainAgentSetResponseTimeout), with the checks libvirt's public API makes before a driver
sees them (libvirt-domain.c; its errors carry the domain's error domain)."""

from __future__ import annotations

import enum
from collections.abc import Sequence

from virt.errors import ErrorDomain, ErrorNumber, InvalidArgument

__all__ = ["AgentResponseTimeout", "SSHKeysFlags", "check_ssh_keys_set"]


class SSHKeysFlags(enum.IntFlag):
    """virDomainAuthorizedSSHKeysSetFlags: without APPEND the keys replace the file's."""

    NONE = 0
    APPEND = 1
    REMOVE = 2


class AgentResponseTimeout(enum.IntEnum):
    """virDomainAgentResponseTimeoutValues: the special timeouts (any other is seconds)."""

    BLOCK = -2
    DEFAULT = -1
    NOWAIT = 0


def _not_null(name: str, api: str) -> InvalidArgument:
    return InvalidArgument(f"{name} in {api} must not be NULL", ErrorNumber.INVALID_ARG, ErrorDomain.DOMAIN)


def check_ssh_keys_set(user: str | None, keys: Sequence[str] | None, flags: int) -> None:
    """virDomainAuthorizedSSHKeysSet's checks: a user; keys unless the file is just emptied (no
    APPEND, no REMOVE); REMOVE with keys to remove."""
    api = "virDomainAuthorizedSSHKeysSet"
    if user is None:
        raise _not_null("user", api)
    if (flags & SSHKeysFlags.REMOVE or flags & SSHKeysFlags.APPEND) and not keys:
        raise _not_null("keys", api)


def check_not_null(value: object, name: str, api: str) -> None:
    """libvirt's virCheckNonNullArg for the string arguments of these calls."""
    if value is None:
        raise _not_null(name, api)

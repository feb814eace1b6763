"""Who may call what on which domains: an access list of rules, each naming peers and granting them
operations on domains.

An ACL file (``acl_file`` in ``virtd.toml``, or the same rules inline under ``[acl]`` as
``[[acl.rule]]``)::

    [[rule]]
    users = ["alice", "1001"]            # unix peers: user-name globs or uids
    groups = ["virt-operators"]          # unix peers: any of their groups (globs)
    dnames = ["C=GB,O=Example,CN=ops-*"] # TLS peers: certificate distinguished-name globs
    allow = ["virDomainGetInfo", "virConnect*", "DOMAIN_LOOKUP_*", "*"]
    domains = ["web-*"]                  # domain-name globs; every domain when absent

A peer matches a rule when its user, one of its groups or its certificate name matches. An operation
is named by libvirt's API name (``virDomainDestroy``) or by its procedure name (``DOMAIN_DESTROY``);
the two spellings are equivalent, so ``virDomainGet*`` and ``DOMAIN_GET_*`` grant the same calls. A
call is allowed when some rule matching the peer allows the operation and, for a call about a
domain, covers that domain. Everything else is denied, including every call of a plain-TCP peer,
which has no identity to match. Without an ACL there are no such checks (read-only sockets still
refuse changes).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any

import attrs

from virt.daemon.auth import Identity
from virt.daemon.config import DaemonConfig, config_error
from virt.errors import ErrorDomain, ErrorNumber, VirtError

_RULE_KEYS = frozenset({"users", "groups", "dnames", "allow", "domains"})


def operation_key(name: str) -> str:
    """One spelling for both names of an operation (``virDomainGetXMLDesc``, ``DOMAIN_GET_XML_DESC``
    -> ``domaingetxmldesc``); wildcards pass through."""
    key = name.replace("_", "").lower()
    return key[3:] if key.startswith("vir") else key


@attrs.frozen
class Rule:
    users: tuple[str, ...] = ()
    groups: tuple[str, ...] = ()
    dnames: tuple[str, ...] = ()
    allow: tuple[str, ...] = ()
    domains: tuple[str, ...] = ("*",)

    def matches(self, identity: Identity) -> bool:
        if identity.transport == "unix":
            if identity.user is not None and any(fnmatchcase(identity.user, p) for p in self.users):
                return True
            if identity.uid is not None and str(identity.uid) in self.users:
                return True
            return any(fnmatchcase(group, p) for group in identity.groups for p in self.groups)
        if identity.x509_dname is not None:
            return any(fnmatchcase(identity.x509_dname, p) for p in self.dnames)
        return False

    def grants(self, operation: str) -> bool:
        return any(fnmatchcase(operation, pattern) for pattern in self.allow)

    def covers(self, domain_name: str) -> bool:
        return any(fnmatchcase(domain_name, pattern) for pattern in self.domains)


@attrs.frozen
class ACL:
    rules: tuple[Rule, ...]
    source: str = "ACL"

    def allows(self, identity: Identity, api_name: str, domain_name: str | None = None) -> bool:
        """Whether ``identity`` may call ``api_name`` (API or procedure name), on ``domain_name`` if given."""
        operation = operation_key(api_name)
        return any(
            rule.matches(identity) and rule.grants(operation) and (domain_name is None or rule.covers(domain_name))
            for rule in self.rules
        )

    def sees_domain(self, identity: Identity, domain_name: str) -> bool:
        """Whether some rule gives ``identity`` anything at all on ``domain_name`` (listings show only those)."""
        return any(rule.matches(identity) and rule.covers(domain_name) for rule in self.rules)

    def check(self, identity: Identity, api_name: str, domain_name: str | None = None) -> None:
        """Raise libvirt's ACCESS_DENIED unless :meth:`allows`."""
        if not self.allows(identity, api_name, domain_name):
            raise access_denied(identity, api_name, domain_name)

    @classmethod
    def parse(cls, table: Mapping[str, Any], source: Path | str | None = None) -> ACL:
        """Rules from a parsed ACL table (``{"rule": [...]}``); a bad entry names its key and position."""
        unknown = sorted(set(table) - {"rule"})
        if unknown:
            raise config_error(source, f"unknown ACL key {unknown[0]!r} (rules go in [[rule]] tables)")
        entries = table.get("rule", [])
        if not isinstance(entries, list) or not all(isinstance(entry, dict) for entry in entries):
            raise config_error(source, "ACL rules must be [[rule]] tables")
        return cls(tuple(_rule(source, index, entry) for index, entry in enumerate(entries, 1)), str(source or "ACL"))

    @classmethod
    def load(cls, path: Path) -> ACL:
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise config_error(path, f"cannot read ACL file: {exc.strerror}") from exc
        import tomllib

        try:
            table = tomllib.loads(data.decode())
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise config_error(path, str(exc)) from exc
        return cls.parse(table, path)


def load_acl(config: DaemonConfig) -> ACL | None:
    """The ACL ``config`` names (inline ``[acl]`` or ``acl_file``); None when it names none."""
    if config.acl is not None:
        return ACL.parse(config.acl, config.source)
    if config.acl_file is not None:
        return ACL.load(config.acl_file)
    return None


def access_denied(identity: Identity, api_name: str, domain_name: str | None = None) -> VirtError:
    target = f" on domain '{domain_name}'" if domain_name is not None else ""
    return VirtError(
        f"access denied: {identity.describe()} may not call {api_name}{target}",
        ErrorNumber.ACCESS_DENIED,
        ErrorDomain.ACCESS,
    )


def _rule(source: Path | str | None, index: int, entry: Mapping[str, Any]) -> Rule:
    where = f"ACL rule {index}"
    unknown = sorted(set(entry) - _RULE_KEYS)
    if unknown:
        raise config_error(source, f"{where}: unknown key {unknown[0]!r}")
    values = {key: _patterns(source, f"{where}: {key}", entry[key]) for key in _RULE_KEYS if key in entry}
    if not (values.get("users") or values.get("groups") or values.get("dnames")):
        raise config_error(source, f"{where}: names nobody (give users, groups or dnames)")
    if not values.get("allow"):
        raise config_error(source, f"{where}: allow must list at least one operation")
    values["allow"] = tuple(operation_key(pattern) for pattern in values["allow"])
    return Rule(**values)


def _patterns(source: Path | str | None, key: str, value: object) -> tuple[str, ...]:
    items: Sequence[object] = value if isinstance(value, list) else [value]
    converted = []
    for item in items:
        if isinstance(item, int) and not isinstance(item, bool) and key.endswith("users"):
            item = str(item)
        if not isinstance(item, str) or not item:
            raise config_error(source, f"{key} must be a list of non-empty strings, not {value!r}")
        converted.append(item)
    return tuple(converted)

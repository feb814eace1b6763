"""SecretService: the secrets of one host mode (system or session), shared by every local driver.

A persistent secret (``ephemeral='no'``) is its definition file ``secrets/UUID.xml`` and, once it
has one, its value sealed with the master key in ``secrets/UUID.aesgcm``: the files are the truth,
so every process serving the mode (virtd, an in-process ``qemu:///system``, ``lxc:///``) sees the
same persistent secrets. An ephemeral secret lives in this process's memory only, never on disk,
as libvirt keeps it. Every change holds the service's lock file (``flock``) and writes atomically.
A private secret's value never leaves through the API (``value`` with ``internal=True`` is for the
drivers that hand it to a hypervisor). Errors are libvirt's secret driver's.
"""

from __future__ import annotations

import contextlib
import os
import threading
import uuid as uuid_module
from collections.abc import Iterator

import attrs

from virt.driver import SecretRef
from virt.errors import ErrorDomain, ErrorNumber, InvalidArgument, NotFound, VirtError, XMLError, libvirt_error
from virt.localstate.files import atomic_write, holding, remove
from virt.secrets import (
    SECRET_EVENT_ID_LIFECYCLE,
    SECRET_EVENT_ID_VALUE_CHANGED,
    ListFlags,
    SecretEvent,
    SecretEventHub,
    SecretEventType,
)
from virt.secretstore import masterkey
from virt.secretstore.layout import SecretDirs
from virt.xml.secret import Secret, UsageType

VALUE_MAX = 65536
"""REMOTE_SECRET_VALUE_MAX: the largest value the wire carries."""
DEFINE_VALIDATE = 1  # VIR_SECRET_DEFINE_VALIDATE


def no_secret(detail: str) -> VirtError:
    return NotFound(f"Secret not found: {detail}", ErrorNumber.NO_SECRET, ErrorDomain.SECRET)


def check_flags(flags: int, allowed: int, function: str) -> None:
    """libvirt's virCheckFlags in the secret driver's words."""
    unknown = int(flags) & ~allowed
    if unknown:
        raise InvalidArgument(
            f"unsupported flags (0x{unknown:x}) in function {function}", ErrorNumber.INVALID_ARG, ErrorDomain.SECRET
        )


def ref_of(definition: Secret) -> SecretRef:
    assert definition.uuid is not None
    return SecretRef(uuid=definition.uuid, usage_type=int(definition.usage_type), usage_id=definition.usage_id or "")


@attrs.define
class _Ephemeral:
    definition: Secret
    value: bytes | None = None


class SecretService:
    """The secrets of one folder layout: persistent ones in files, ephemeral ones in memory."""

    def __init__(self, dirs: SecretDirs) -> None:
        self.dirs = dirs
        self.events = SecretEventHub()
        self._lock = threading.RLock()
        self._ephemeral: dict[uuid_module.UUID, _Ephemeral] = {}
        self._parsed: dict[str, tuple[tuple[int, int], Secret]] = {}
        self._key: bytes | None = None
        dirs.make()

    # -- files and locks ------------------------------------------------------------------------
    @contextlib.contextmanager
    def changing(self) -> Iterator[None]:
        """Hold the service: this process's threads and other processes change secrets in turn."""
        with holding(self._lock, self.dirs.lock_file):
            yield

    def _master_key(self) -> bytes:
        if self._key is None:
            self._key = masterkey.load_or_make(self.dirs.key_file)
        return self._key

    def _read(self, path: str) -> Secret | None:
        try:
            info = os.stat(path)  # noqa: PTH116 - listings stat every definition: no Path objects
        except FileNotFoundError:
            return None
        version = (info.st_mtime_ns, info.st_size)
        cached = self._parsed.get(path)
        if cached is None or cached[0] != version:
            try:
                with open(path, "rb") as stream:
                    definition = Secret.from_xml(stream.read())
            except (OSError, XMLError) as exc:
                raise libvirt_error(
                    ErrorNumber.INTERNAL_ERROR, f"cannot read secret file '{path}': {exc}", ErrorDomain.SECRET
                ) from exc
            self._parsed[path] = cached = (version, definition)
        return cached[1]

    def _persistent(self) -> dict[uuid_module.UUID, Secret]:
        found: dict[uuid_module.UUID, Secret] = {}
        folder = str(self.dirs.definitions_dir)
        for name in os.listdir(folder):  # noqa: PTH208 - names only, no Path object per file
            if not name.endswith(".xml") or name.startswith("."):
                continue
            definition = self._read(f"{folder}/{name}")
            if definition is not None and definition.uuid is not None:
                found[definition.uuid] = definition
        return found

    def definitions(self) -> list[Secret]:
        """Every secret, persistent and ephemeral, by UUID (copies: the caller's to change)."""
        with self._lock:
            merged = self._persistent()
            merged.update({key: entry.definition for key, entry in self._ephemeral.items()})
        return [merged[key].clone() for key in sorted(merged, key=str)]

    # -- lookups ----------------------------------------------------------------------------------
    def _find(self, key: uuid_module.UUID) -> Secret | None:
        entry = self._ephemeral.get(key)
        if entry is not None:
            return entry.definition
        return self._read(str(self.dirs.definition_file(key)))

    def by_uuid(self, key: uuid_module.UUID) -> Secret:
        with self._lock:
            found = self._find(key)
        if found is None:
            raise no_secret(f"no secret with matching uuid '{key}'")
        return found.clone()

    def by_usage(self, usage_type: int, usage_id: str) -> Secret:
        for definition in self.definitions():
            if int(definition.usage_type) == usage_type and definition.usage_id == usage_id:
                return definition
        raise no_secret(f"no secret with matching usage '{usage_id}'")

    def listing(self, flags: int) -> list[Secret]:
        """virConnectListAllSecrets: the secrets passing ``flags``' filters."""
        check_flags(flags, int(ListFlags.ALL), "secretConnectListAllSecrets")
        wanted = ListFlags(flags)
        found = []
        for definition in self.definitions():
            if _either(wanted, ListFlags.EPHEMERAL, ListFlags.NO_EPHEMERAL, definition.ephemeral) and _either(
                wanted, ListFlags.PRIVATE, ListFlags.NO_PRIVATE, definition.private
            ):
                found.append(definition)
        return found

    # -- definitions ------------------------------------------------------------------------------
    def define(self, xml: str, flags: int) -> Secret:
        """virSecretDefineXML: a new secret, or a new definition of the secret with that UUID."""
        check_flags(flags, DEFINE_VALIDATE, "secretDefineXML")
        if flags & DEFINE_VALIDATE:
            from virt.xml.schema import refuse_invalid

            refuse_invalid(xml, located=False)
        new = Secret.from_xml(xml)
        assert new.uuid is not None
        with self.changing():
            old = self._find(new.uuid)
            if old is not None and old.usage_id != new.usage_id:
                used_for = "(null)" if old.usage_id is None else old.usage_id  # libvirt prints C's NULL so
                detail = f"a secret with UUID {new.uuid} is already defined for use with {used_for}"
                raise libvirt_error(ErrorNumber.INTERNAL_ERROR, detail, ErrorDomain.SECRET)
            if old is None and new.usage_id is not None:
                for other in self.definitions():
                    if other.usage_id == new.usage_id and other.usage_type == new.usage_type:
                        detail = f"a secret with UUID {other.uuid} already defined for use with {new.usage_id}"
                        raise libvirt_error(ErrorNumber.INTERNAL_ERROR, detail, ErrorDomain.SECRET)
            if old is not None and old.private and not new.private:
                detail = "cannot change private flag on existing secret"
                raise libvirt_error(ErrorNumber.INTERNAL_ERROR, detail, ErrorDomain.SECRET)
            value = self._value(old) if old is not None else None
            if new.ephemeral:
                self._ephemeral[new.uuid] = _Ephemeral(new.clone(), value)
                # what was persistent leaves the disk, its value too: it lives on in memory only
                remove(self.dirs.value_file(new.uuid))
                remove(self.dirs.definition_file(new.uuid))
            else:
                if value is not None and (old is None or old.ephemeral):
                    self._write_value(new.uuid, value)
                atomic_write(self.dirs.definition_file(new.uuid), new.to_xml(), sync_folder=False)
                self._ephemeral.pop(new.uuid, None)
            self.events.queue(SecretEvent(ref_of(new), SECRET_EVENT_ID_LIFECYCLE, SecretEventType.DEFINED))
        self.events.flush()
        return new.clone()

    def undefine(self, key: uuid_module.UUID) -> None:
        with self.changing():
            found = self._find(key)
            if found is None:
                raise no_secret(f"no secret with matching uuid '{key}'")
            if self._ephemeral.pop(key, None) is None:
                remove(self.dirs.value_file(key))
                remove(self.dirs.definition_file(key))
            self.events.queue(SecretEvent(ref_of(found), SECRET_EVENT_ID_LIFECYCLE, SecretEventType.UNDEFINED))
        self.events.flush()

    # -- values -----------------------------------------------------------------------------------
    def _write_value(self, key: uuid_module.UUID, value: bytes) -> None:
        atomic_write(self.dirs.value_file(key), masterkey.seal(self._master_key(), key, value))

    def _value(self, definition: Secret) -> bytes | None:
        assert definition.uuid is not None
        entry = self._ephemeral.get(definition.uuid)
        if entry is not None:
            return entry.value
        try:
            text = self.dirs.value_file(definition.uuid).read_text()
        except FileNotFoundError:
            return None
        return masterkey.unseal(self._master_key(), definition.uuid, text)

    def set_value(self, key: uuid_module.UUID, value: bytes, flags: int) -> None:
        check_flags(flags, 0, "secretSetValue")
        with self.changing():
            found = self._find(key)
            if found is None:
                raise no_secret(f"no secret with matching uuid '{key}'")
            entry = self._ephemeral.get(key)
            if entry is not None:
                entry.value = bytes(value)
            else:
                self._write_value(key, bytes(value))
            self.events.queue(SecretEvent(ref_of(found), SECRET_EVENT_ID_VALUE_CHANGED))
        self.events.flush()

    def value(self, key: uuid_module.UUID, flags: int = 0, *, internal: bool = False) -> bytes:
        """virSecretGetValue; a private secret's only for ``internal`` callers (a driver's own use)."""
        check_flags(flags, 0, "secretGetValue")
        with self._lock:
            found = self._find(key)
            if found is None:
                raise no_secret(f"no secret with matching uuid '{key}'")
            if found.private and not internal:
                raise VirtError("Invalid secret: secret is private", ErrorNumber.INVALID_SECRET, ErrorDomain.SECRET)
            value = self._value(found)
        if value is None:
            raise no_secret(f"secret '{key}' does not have a value")
        return value


def _either(flags: ListFlags, yes: ListFlags, no: ListFlags, value: bool) -> bool:
    """A pair of filters: both or neither set lets everything through."""
    if bool(flags & yes) == bool(flags & no):
        return True
    return value if flags & yes else not value


_services: dict[SecretDirs, SecretService] = {}
_services_lock = threading.Lock()


def service_for(mode: str) -> SecretService:
    """The process's secret service of ``mode`` (``system`` or ``session``), made on first use."""
    dirs = SecretDirs.for_mode(mode)
    with _services_lock:
        found = _services.get(dirs)
        if found is None:
            found = _services[dirs] = SecretService(dirs)
        return found


__all__ = ["VALUE_MAX", "SecretService", "UsageType", "check_flags", "no_secret", "ref_of", "service_for"]

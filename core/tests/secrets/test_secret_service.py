"""The host's secret service: persistent and ephemeral secrets, private values, libvirt's rules and
words, events, and values sealed at rest (AES-256-GCM under a 0600 master key)."""

from __future__ import annotations

import base64
import stat
import uuid
from pathlib import Path

import pytest
from virt.errors import ErrorDomain, ErrorNumber, InvalidArgument, NotFound, VirtError
from virt.secrets import SECRET_EVENT_ID_LIFECYCLE, SECRET_EVENT_ID_VALUE_CHANGED, ListFlags, SecretEventType
from virt.secretstore.layout import SecretDirs
from virt.secretstore.service import SecretService

KEY = uuid.UUID("0a81f5b2-8403-7b23-c8d6-21ccc2f80d6f")
PLAINTEXT = b"the name of my first puppy: Rex-4711"


def secret_xml(*, ephemeral: bool = False, private: bool = False, key: uuid.UUID = KEY, usage: str = "rex") -> str:
    return (
        f"<secret ephemeral='{'yes' if ephemeral else 'no'}' private='{'yes' if private else 'no'}'>"
        f"<uuid>{key}</uuid><usage type='ceph'><name>{usage}</name></usage></secret>"
    )


@pytest.fixture
def dirs(tmp_path: Path) -> SecretDirs:
    return SecretDirs(tmp_path / "state", tmp_path / "run")


@pytest.fixture
def service(dirs: SecretDirs) -> SecretService:
    return SecretService(dirs)


def test_a_persistent_value_is_sealed_on_disk_and_read_back(service: SecretService, dirs: SecretDirs) -> None:
    service.define(secret_xml(), 0)
    service.set_value(KEY, PLAINTEXT, 0)
    assert service.value(KEY) == PLAINTEXT
    sealed = dirs.value_file(KEY).read_bytes()
    everything = b"".join(p.read_bytes() for p in dirs.state.rglob("*") if p.is_file())
    assert PLAINTEXT not in everything and base64.b64encode(PLAINTEXT) not in everything
    assert b"Rex" not in base64.b64decode(sealed)
    assert stat.S_IMODE(dirs.key_file.stat().st_mode) == 0o600
    assert stat.S_IMODE(dirs.value_file(KEY).stat().st_mode) == 0o600
    assert len(dirs.key_file.read_bytes()) == 32
    # a second process (another service over the same folders) reads the same value
    assert SecretService(dirs).value(KEY) == PLAINTEXT


def test_each_write_seals_afresh(service: SecretService, dirs: SecretDirs) -> None:
    service.define(secret_xml(), 0)
    service.set_value(KEY, PLAINTEXT, 0)
    first = dirs.value_file(KEY).read_text()
    service.set_value(KEY, PLAINTEXT, 0)
    assert dirs.value_file(KEY).read_text() != first  # a fresh nonce each time


def test_a_changed_or_moved_value_does_not_open(service: SecretService, dirs: SecretDirs) -> None:
    other = uuid.uuid4()
    service.define(secret_xml(), 0)
    service.define(secret_xml(key=other, usage="other"), 0)
    service.set_value(KEY, PLAINTEXT, 0)
    raw = bytearray(base64.b64decode(dirs.value_file(KEY).read_text()))
    raw[-1] ^= 1
    dirs.value_file(KEY).write_text(base64.b64encode(bytes(raw)).decode())
    with pytest.raises(VirtError, match="cannot decrypt the value of secret"):
        service.value(KEY)
    service.set_value(KEY, PLAINTEXT, 0)
    dirs.value_file(other).write_text(dirs.value_file(KEY).read_text())  # another secret's sealed value
    with pytest.raises(VirtError, match=f"cannot decrypt the value of secret '{other}'"):
        service.value(other)


def test_a_key_file_others_can_read_is_refused(service: SecretService, dirs: SecretDirs) -> None:
    service.define(secret_xml(), 0)
    service.set_value(KEY, PLAINTEXT, 0)
    dirs.key_file.chmod(0o644)
    with pytest.raises(VirtError, match="must be readable by its owner only"):
        SecretService(dirs).value(KEY)


def test_an_ephemeral_secret_never_reaches_the_disk(service: SecretService, dirs: SecretDirs) -> None:
    service.define(secret_xml(ephemeral=True), 0)
    service.set_value(KEY, PLAINTEXT, 0)
    assert service.value(KEY) == PLAINTEXT
    assert list(dirs.definitions_dir.iterdir()) == []
    with pytest.raises(NotFound):
        SecretService(dirs).by_uuid(KEY)  # another process does not see it


def test_persistent_and_ephemeral_trade_places_with_the_value(service: SecretService, dirs: SecretDirs) -> None:
    service.define(secret_xml(), 0)
    service.set_value(KEY, PLAINTEXT, 0)
    service.define(secret_xml(ephemeral=True), 0)
    assert not dirs.value_file(KEY).exists() and not dirs.definition_file(KEY).exists()
    assert service.value(KEY) == PLAINTEXT
    service.define(secret_xml(), 0)
    assert dirs.value_file(KEY).exists() and SecretService(dirs).value(KEY) == PLAINTEXT


def test_a_private_value_stays_inside(service: SecretService) -> None:
    service.define(secret_xml(private=True), 0)
    with pytest.raises(VirtError) as caught:
        service.value(KEY)  # refused before its missing value is even noticed, as libvirt does
    assert (caught.value.code, caught.value.domain) == (ErrorNumber.INVALID_SECRET, ErrorDomain.SECRET)
    assert caught.value.message == "Invalid secret: secret is private"
    service.set_value(KEY, PLAINTEXT, 0)
    assert service.value(KEY, internal=True) == PLAINTEXT
    with pytest.raises(VirtError, match="internal error: cannot change private flag on existing secret"):
        service.define(secret_xml(private=False), 0)


def test_libvirts_errors(service: SecretService) -> None:
    service.define(secret_xml(), 0)
    with pytest.raises(NotFound, match=f"Secret not found: secret '{KEY}' does not have a value"):
        service.value(KEY)
    missing = uuid.uuid4()
    with pytest.raises(NotFound, match=f"Secret not found: no secret with matching uuid '{missing}'"):
        service.by_uuid(missing)
    with pytest.raises(NotFound, match="Secret not found: no secret with matching usage 'nope'"):
        service.by_usage(2, "nope")
    with pytest.raises(VirtError, match=f"a secret with UUID {KEY} is already defined for use with rex"):
        service.define(secret_xml(usage="other"), 0)
    with pytest.raises(VirtError, match=f"a secret with UUID {KEY} already defined for use with rex"):
        service.define(secret_xml(key=uuid.uuid4()), 0)
    with pytest.raises(InvalidArgument, match=r"unsupported flags \(0x2\) in function secretDefineXML"):
        service.define(secret_xml(), 2)
    with pytest.raises(InvalidArgument, match=r"unsupported flags \(0x40\) in function secretConnectListAllSecrets"):
        service.listing(64)
    with pytest.raises(VirtError, match="Element secret has extra content: bogus"):
        service.define("<secret><bogus/></secret>", 1)


def test_a_secret_without_usage_keeps_it(service: SecretService) -> None:
    bare = uuid.uuid4()
    service.define(f"<secret><uuid>{bare}</uuid></secret>", 0)
    with pytest.raises(VirtError, match=rf"UUID {bare} is already defined for use with \(null\)$"):
        service.define(secret_xml(key=bare), 0)


def test_listing_filters(service: SecretService) -> None:
    kinds = {(e, p): uuid.uuid4() for e in (False, True) for p in (False, True)}
    for (ephemeral, private), key in kinds.items():
        service.define(secret_xml(ephemeral=ephemeral, private=private, key=key, usage=str(key)), 0)

    def listed(flags: int) -> set[uuid.UUID]:
        return {s.uuid for s in service.listing(flags) if s.uuid is not None}

    assert listed(0) == set(kinds.values())
    assert listed(ListFlags.EPHEMERAL) == {kinds[True, False], kinds[True, True]}
    assert listed(ListFlags.NO_EPHEMERAL | ListFlags.PRIVATE) == {kinds[False, True]}
    assert listed(ListFlags.PRIVATE | ListFlags.NO_PRIVATE) == set(kinds.values())


def test_changes_raise_events(service: SecretService) -> None:
    seen = []
    unsubscribe = service.events.subscribe(seen.append)
    service.define(secret_xml(), 0)
    service.set_value(KEY, PLAINTEXT, 0)
    service.undefine(KEY)
    unsubscribe()
    assert [(e.secret.uuid, e.event_id, e.type) for e in seen] == [
        (KEY, SECRET_EVENT_ID_LIFECYCLE, SecretEventType.DEFINED),
        (KEY, SECRET_EVENT_ID_VALUE_CHANGED, None),
        (KEY, SECRET_EVENT_ID_LIFECYCLE, SecretEventType.UNDEFINED),
    ]
    assert seen[0].secret.usage_id == "rex"


def test_undefine_forgets_the_value_too(service: SecretService, dirs: SecretDirs) -> None:
    service.define(secret_xml(), 0)
    service.set_value(KEY, PLAINTEXT, 0)
    service.undefine(KEY)
    assert list(dirs.definitions_dir.iterdir()) == []
    with pytest.raises(NotFound):
        service.undefine(KEY)

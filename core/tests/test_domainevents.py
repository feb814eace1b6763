"""The domain events beyond lifecycle (virt.domainevents): ids, virsh's names and words, the
Connection's registrations, and the messages that carry them (virt.remote.domainevents)."""

from __future__ import annotations

import uuid

import attrs
import pytest
import virt
from virt.domainchanges import MetadataType
from virt.domainevents import (
    EVENT_ID_LAST,
    AgentLifecycleEvent,
    BalloonChangeEvent,
    BlockJob2Event,
    BlockJobEvent,
    BlockThresholdEvent,
    ControlErrorEvent,
    DeviceAddedEvent,
    DeviceRemovalFailedEvent,
    DeviceRemovedEvent,
    DiskChangeEvent,
    DomainEventID,
    GraphicsAddress,
    GraphicsEvent,
    IOErrorEvent,
    IOErrorReasonEvent,
    JobCompletedEvent,
    MemoryDeviceSizeChangeEvent,
    MemoryFailureEvent,
    MetadataChangeEvent,
    MigrationIterationEvent,
    OtherDomainEvent,
    PMSuspendDiskEvent,
    PMSuspendEvent,
    PMWakeupEvent,
    RebootEvent,
    RTCChangeEvent,
    TrayChangeEvent,
    TunableEvent,
    WatchdogEvent,
)
from virt.domainstats import ParamType, TypedParameter
from virt.driver import DomainRef
from virt.errors import ErrorDomain, ErrorNumber, InvalidArgument
from virt.remote import domainevents as wire
from virt.remote.messages import REMOTE_PROCEDURES
from virt.remote.procedure_numbers import RemoteProcedure as P

D = DomainRef("vm", uuid.UUID("6695eb01-f6a4-8304-79aa-97f2502e193f"), 3)
_LOCAL = GraphicsAddress(0, "127.0.0.1", "5900")
_REMOTE = GraphicsAddress(1, "::1", "41234")
_PARAMS = (TypedParameter("cputune.vcpu0", ParamType.STRING, "0-1"), TypedParameter("x", ParamType.ULLONG, 7))

# one event of every id, and the words virsh 9.0 prints for it (tools/virsh-domain-event.c)
SAMPLES: list[tuple[OtherDomainEvent, str]] = [
    (RebootEvent(D), "event 'reboot' for domain 'vm'"),
    (RTCChangeEvent(D, -7200), "event 'rtc-change' for domain 'vm': -7200"),
    (WatchdogEvent(D, 6), "event 'watchdog' for domain 'vm': inject-nmi"),
    (IOErrorEvent(D, "/d.img", "virtio-disk0", 1), "event 'io-error' for domain 'vm': /d.img (virtio-disk0) pause"),
    (GraphicsEvent(D, 0, _LOCAL, _REMOTE, "vnc", (("x509dname", "CN=a"),)),
     "event 'graphics' for domain 'vm': connect local[IPv4 127.0.0.1 5900] remote[IPv6 ::1 41234] vnc\n\tx509dname=CN=a"),
    (IOErrorReasonEvent(D, "/d.img", "virtio-disk0", 2, "enospc"),
     "event 'io-error' for domain 'vm': /d.img (virtio-disk0) report due to enospc"),
    (ControlErrorEvent(D), "event 'control-error' for domain 'vm'"),
    (BlockJobEvent(D, "/d.img", 4, 3), "event 'block-job' for domain 'vm': Active Block Commit for /d.img ready"),
    (DiskChangeEvent(D, "/a.iso", None, "ide0-1-0", 1),
     "event 'disk-change' for domain 'vm' disk ide0-1-0: /a.iso -> <null>: dropped"),
    (TrayChangeEvent(D, "ide0-1-0", 1), "event 'tray-change' for domain 'vm' disk ide0-1-0: closed"),
    (PMWakeupEvent(D), "event 'pm-wakeup' for domain 'vm'"),
    (PMSuspendEvent(D), "event 'pm-suspend' for domain 'vm'"),
    (BalloonChangeEvent(D, 524288), "event 'balloon-change' for domain 'vm': 524288KiB"),
    (PMSuspendDiskEvent(D), "event 'pm-suspend-disk' for domain 'vm'"),
    (DeviceRemovedEvent(D, "net0"), "event 'device-removed' for domain 'vm': net0"),
    (BlockJob2Event(D, "vda", 1, 0), "event 'block-job-2' for domain 'vm': Block Pull for vda completed"),
    (TunableEvent(D, _PARAMS), "event 'tunable' for domain 'vm':\n\tcputune.vcpu0: 0-1\n\tx: 7"),
    (AgentLifecycleEvent(D, 2, 1),
     "event 'agent-lifecycle' for domain 'vm': state: 'disconnected' reason: 'domain started'"),
    (DeviceAddedEvent(D, "net1"), "event 'device-added' for domain 'vm': net1"),
    (MigrationIterationEvent(D, 2), "event 'migration-iteration' for domain 'vm': iteration: '2'"),
    (JobCompletedEvent(D, _PARAMS[1:]), "event 'job-completed' for domain 'vm':\n\tx: 7"),
    (DeviceRemovalFailedEvent(D, "net0"), "event 'device-removal-failed' for domain 'vm': net0"),
    (MetadataChangeEvent(D, 2, "http://e/"), "event 'metadata-change' for domain 'vm': type element, uri http://e/"),
    (BlockThresholdEvent(D, "vda", None, 1024, 10),
     "event 'block-threshold' for domain 'vm': dev: vda(<null>) 1024 10"),
    (MemoryFailureEvent(D, 1, 3, 1),
     "event 'memory-failure' for domain 'vm':\nrecipient: guest\naction: reset\n"
     "flags:\n\taction required: 1\n\trecursive: 0"),
    (MemoryDeviceSizeChangeEvent(D, "virtiomem0", 1048576),
     "event 'memory-device-size-change' for domain 'vm':\nalias: virtiomem0\nsize: 1048576"),
]  # fmt: skip


def test_every_id_has_a_sample() -> None:
    assert sorted(e.event_id for e, _ in SAMPLES) == list(DomainEventID)[1:]
    assert EVENT_ID_LAST == 27


@pytest.mark.parametrize(("event", "text"), SAMPLES, ids=lambda v: getattr(v, "event_id", None) and v.event_id.name)
def test_virsh_words(event: OtherDomainEvent, text: str) -> None:
    assert event.virsh_text("vm") == text


def test_numbers_virsh_does_not_know() -> None:
    assert WatchdogEvent(D, 9).virsh_text("vm") == "event 'watchdog' for domain 'vm': unknown"
    assert MetadataChangeEvent(D, 5).virsh_text("vm").endswith("type unsupported value, uri <null>")
    assert BlockJobEvent(D, "p", 9, 9).virsh_text("vm").endswith("Unknown job for p unknown")


def test_typed_parameters_as_virTypedParameterToString_writes_them() -> None:
    params = (TypedParameter("a", ParamType.BOOLEAN, True), TypedParameter("b", ParamType.DOUBLE, 0.25))
    assert JobCompletedEvent(D, params).virsh_text("vm") == "event 'job-completed' for domain 'vm':\n\ta: 1\n\tb: 0.25"


@pytest.mark.parametrize(("event", "text"), SAMPLES, ids=lambda v: getattr(v, "event_id", None) and v.event_id.name)
def test_the_callback_message_carries_the_event(event: OtherDomainEvent, text: str) -> None:
    number, payload = wire.encode(event, 5)
    assert wire.CALLBACK_MESSAGES[number] == event.event_id
    callback_id, back = wire.decode(number, payload)
    assert callback_id == 5
    assert type(back) is type(event)
    assert attrs.evolve(back, timestamp=event.timestamp) == event


def test_old_style_registrations_get_the_old_message_where_there_is_one() -> None:
    number, payload = wire.encode(PMSuspendEvent(D), 5, legacy=True)
    assert number == P.DOMAIN_EVENT_PMSUSPEND
    assert REMOTE_PROCEDURES[number].args.decode(payload) == {"dom": {"name": "vm", "uuid": D.uuid, "id": 3}}
    number, payload = wire.encode(RTCChangeEvent(D, 9), 5, legacy=True)
    assert (number, REMOTE_PROCEDURES[number].args.decode(payload)["offset"]) == (P.DOMAIN_EVENT_RTC_CHANGE, 9)
    # libvirtd sends the newer ids in the callback form, with the registration's id
    number, payload = wire.encode(MetadataChangeEvent(D, 0), 5, legacy=True)
    assert (number, wire.decode(number, payload)[0]) == (P.DOMAIN_EVENT_CALLBACK_METADATA_CHANGE, 5)


def test_registrations_of_a_connection() -> None:
    with virt.open("test:///default") as conn:
        dom = conn.lookup_domain_by_name("test")
        everything: list[str] = []
        only_metadata: list[str] = []
        lifecycle = conn.register_domain_event(DomainEventID.LIFECYCLE, lambda d, e: everything.append("lifecycle"))
        metadata = conn.register_domain_event(
            DomainEventID.METADATA_CHANGE, lambda d, e: only_metadata.append(e.virsh_text(d.name)), dom
        )
        reboot = conn.register_domain_event(DomainEventID.REBOOT, lambda d, e: everything.append("reboot"))
        assert len({lifecycle, metadata, reboot}) == 3  # one numbering for every id
        dom.set_metadata(MetadataType.TITLE, "T")
        dom.set_metadata(MetadataType.TITLE, None)
        conn.remove_domain_event_callback(metadata)
        dom.set_metadata(MetadataType.TITLE, "T")
        dom.set_metadata(MetadataType.TITLE, None)
        assert only_metadata == ["event 'metadata-change' for domain 'test': type title, uri <null>"] * 2
        assert everything == []
        with pytest.raises(InvalidArgument, match=f"could not find event callback {metadata} for deletion"):
            conn.remove_domain_event_callback(metadata)
        conn.remove_domain_event_callback(reboot)
        conn.remove_domain_event_callback(lifecycle)
        with pytest.raises(InvalidArgument) as refused:
            conn.register_domain_event(27, lambda d, e: None)
        assert (refused.value.code, refused.value.domain, str(refused.value)) == (
            ErrorNumber.INVALID_ARG,
            ErrorDomain.DOMAIN,
            "invalid argument: eventID in virConnectDomainEventRegisterAny must be less than 27",
        )

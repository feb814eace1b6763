"""Domain event registrations through the dispatcher: events of one client's changes reach another.

Callback ids, errors and message layouts are those libvirtd 9.0 uses on the wire.
"""

from __future__ import annotations

from typing import Any

from dispatch_helpers import FakeClient, Remote
from virt.errors import ErrorDomain, ErrorNumber
from virt.remote.procedure_numbers import RemoteProcedure as P

STARTED, SUSPENDED, RESUMED, STOPPED = 2, 3, 4, 5
DEFINED, UNDEFINED = 0, 1
BOOTED, PAUSED, UNPAUSED, DESTROYED = 0, 0, 0, 1
SECOND_XML = """<domain type='test'>
  <name>ev2</name>
  <memory>65536</memory>
  <os><type>hvm</type></os>
</domain>"""


def _dom(front: Remote, client: FakeClient, name: str = "test") -> dict[str, Any]:
    dom: dict[str, Any] = front.call(client, P.DOMAIN_LOOKUP_BY_NAME, {"name": name})["dom"]
    return dom


def _register(front: Remote, client: FakeClient, event_id: int = 0, dom: dict[str, Any] | None = None) -> int:
    reply = front.call(client, P.CONNECT_DOMAIN_EVENT_CALLBACK_REGISTER_ANY, {"eventID": event_id, "dom": dom})
    callback_id: int = reply["callbackID"]
    return callback_id


def test_lifecycle_events_of_another_clients_changes(front: Remote) -> None:
    watcher, actor = front.open(FakeClient()), front.open(FakeClient())
    assert _register(front, watcher) == 0
    dom = _dom(front, actor)
    front.call(actor, P.DOMAIN_SUSPEND, {"dom": dom})
    front.call(actor, P.DOMAIN_RESUME, {"dom": dom})
    front.call(actor, P.DOMAIN_DESTROY, {"dom": dom})
    events = watcher.wait_events(3)
    assert [procedure for procedure, _ in events] == [P.DOMAIN_EVENT_CALLBACK_LIFECYCLE] * 3
    assert [(e["callbackID"], e["msg"]["event"], e["msg"]["detail"]) for _, e in events] == [
        (0, SUSPENDED, PAUSED),
        (0, RESUMED, UNPAUSED),
        (0, STOPPED, DESTROYED),
    ]
    assert events[0][1]["msg"]["dom"] == dom
    assert events[2][1]["msg"]["dom"] == {**dom, "id": -1}  # named as the domain is after stopping
    assert actor.events == []


def test_a_registration_for_one_domain_sees_only_its_events(front: Remote) -> None:
    watcher, actor = front.open(FakeClient()), front.open(FakeClient())
    test_dom = _dom(front, watcher)
    assert _register(front, watcher, dom=test_dom) == 0
    other = front.call(actor, P.DOMAIN_CREATE_XML, {"xml_desc": SECOND_XML, "flags": 0})["dom"]
    front.call(actor, P.DOMAIN_DESTROY, {"dom": other})
    front.call(actor, P.DOMAIN_SUSPEND, {"dom": test_dom})
    events = watcher.wait_events(1)
    assert [(e["msg"]["dom"]["name"], e["msg"]["event"]) for _, e in events] == [("test", SUSPENDED)]


def test_event_ids_past_libvirt_9_0s_last_are_refused_as_unknown(front: Remote) -> None:
    client = front.open(FakeClient())
    for event_id in (27, -1):
        error = front.error(client, P.CONNECT_DOMAIN_EVENT_CALLBACK_REGISTER_ANY, {"eventID": event_id, "dom": None})
        assert (error["code"], error["domain"], error["message"]) == (
            ErrorNumber.INTERNAL_ERROR,
            ErrorDomain.RPC,
            f"internal error: unsupported event ID {event_id}",
        )
    # every id libvirt 9.0 has registers
    assert [_register(front, client, event_id) for event_id in range(1, 27)] == list(range(26))


def test_a_metadata_change_reaches_a_metadata_registration_only(front: Remote) -> None:
    watcher, actor = front.open(FakeClient()), front.open(FakeClient())
    metadata = _register(front, watcher, 23)  # VIR_DOMAIN_EVENT_ID_METADATA_CHANGE
    _register(front, watcher, 1)  # reboot: libvirt's test driver never sends one
    dom = _dom(front, actor)
    args = {"dom": dom, "type": 2, "metadata": "<a/>", "key": "k", "uri": "http://e/", "flags": 1}
    front.call(actor, P.DOMAIN_SET_METADATA, args)
    front.call(actor, P.DOMAIN_SET_METADATA, {**args, "metadata": None, "key": None})
    events = watcher.wait_events(2)
    assert [number for number, _ in events] == [P.DOMAIN_EVENT_CALLBACK_METADATA_CHANGE] * 2
    assert [(e["callbackID"], e["dom"]["name"], e["type"], e["nsuri"]) for _, e in events] == [
        (metadata, "test", 2, "http://e/")
    ] * 2


def test_an_old_style_registration_of_a_newer_id_gets_the_callback_message(front: Remote) -> None:
    """libvirtd relays the ids without an old message (metadata change...) in the callback form,
    tagged with the id it gave the old-style registration."""
    watcher, actor = front.open(FakeClient()), front.open(FakeClient())
    front.call(watcher, P.CONNECT_DOMAIN_EVENT_REGISTER_ANY, {"eventID": 23})
    dom = _dom(front, actor)
    args = {"dom": dom, "type": 1, "metadata": "T", "key": None, "uri": None, "flags": 0}
    front.call(actor, P.DOMAIN_SET_METADATA, args)
    front.call(actor, P.DOMAIN_SET_METADATA, {**args, "metadata": None})
    events = watcher.wait_events(2)
    assert [(number, e["callbackID"], e["type"], e["nsuri"]) for number, e in events] == [
        (P.DOMAIN_EVENT_CALLBACK_METADATA_CHANGE, 0, 1, None)
    ] * 2
    front.call(watcher, P.CONNECT_DOMAIN_EVENT_DEREGISTER_ANY, {"eventID": 23})


def test_a_second_identical_registration_is_refused(front: Remote) -> None:
    client = front.open(FakeClient())
    _register(front, client)
    error = front.error(client, P.CONNECT_DOMAIN_EVENT_CALLBACK_REGISTER_ANY, {"eventID": 0, "dom": None})
    assert (error["code"], error["domain"], error["message"]) == (
        ErrorNumber.INVALID_ARG,
        ErrorDomain.NONE,
        "invalid argument: event callback already tracked",
    )
    # the old registration is the same callback to libvirtd
    assert front.error(client, P.CONNECT_DOMAIN_EVENT_REGISTER)["message"].endswith("already tracked")
    # one for a single domain is another registration, given the next id
    assert _register(front, client, dom=_dom(front, client)) == 1


def test_deregistration(front: Remote) -> None:
    watcher, actor = front.open(FakeClient()), front.open(FakeClient())
    callback_id = _register(front, watcher)
    front.call(watcher, P.CONNECT_DOMAIN_EVENT_CALLBACK_DEREGISTER_ANY, {"callbackID": callback_id})
    dom = _dom(front, actor)
    front.call(actor, P.DOMAIN_SUSPEND, {"dom": dom})
    front.call(actor, P.DOMAIN_RESUME, {"dom": dom})
    assert watcher.events == []
    error = front.error(watcher, P.CONNECT_DOMAIN_EVENT_CALLBACK_DEREGISTER_ANY, {"callbackID": callback_id})
    assert (error["code"], error["domain"], error["message"]) == (
        ErrorNumber.INTERNAL_ERROR,
        ErrorDomain.RPC,
        f"internal error: domain event callback {callback_id} not registered",
    )
    assert _register(front, watcher) == 1  # ids are not reused


def test_old_style_registrations_get_the_old_message(front: Remote) -> None:
    watcher, actor = front.open(FakeClient()), front.open(FakeClient())
    assert front.call(watcher, P.CONNECT_DOMAIN_EVENT_REGISTER) == {"cb_registered": 0}
    dom = front.call(actor, P.DOMAIN_DEFINE_XML, {"xml": SECOND_XML})["dom"]
    front.call(actor, P.DOMAIN_UNDEFINE, {"dom": dom})
    events = watcher.wait_events(2)
    assert [(p, e["event"], e["detail"], e["dom"]["name"]) for p, e in events] == [
        (P.DOMAIN_EVENT_LIFECYCLE, DEFINED, 0, "ev2"),
        (P.DOMAIN_EVENT_LIFECYCLE, UNDEFINED, 0, "ev2"),
    ]
    assert front.call(watcher, P.CONNECT_DOMAIN_EVENT_DEREGISTER) == {"cb_registered": 0}
    error = front.error(watcher, P.CONNECT_DOMAIN_EVENT_DEREGISTER)
    assert error["message"] == "internal error: domain event 0 not registered"


def test_old_register_any(front: Remote) -> None:
    client = front.open(FakeClient())
    assert front.error(client, P.CONNECT_DOMAIN_EVENT_REGISTER_ANY, {"eventID": 99})["message"] == (
        "internal error: unsupported event ID 99"
    )
    front.call(client, P.CONNECT_DOMAIN_EVENT_REGISTER_ANY, {"eventID": 0})
    dom = _dom(front, client)
    front.call(client, P.DOMAIN_SUSPEND, {"dom": dom})
    assert client.wait_events(1)[0][0] == P.DOMAIN_EVENT_LIFECYCLE
    front.call(client, P.CONNECT_DOMAIN_EVENT_DEREGISTER_ANY, {"eventID": 0})
    assert front.error(client, P.CONNECT_DOMAIN_EVENT_DEREGISTER_ANY, {"eventID": 0})["message"] == (
        "internal error: domain event 0 not registered"
    )
    assert front.error(client, P.CONNECT_DOMAIN_EVENT_DEREGISTER_ANY, {"eventID": 99})["message"] == (
        "internal error: unsupported event ID 99"
    )


def test_a_departed_client_gets_no_more_events(front: Remote) -> None:
    watcher, actor = front.open(FakeClient()), front.open(FakeClient())
    _register(front, watcher)
    front.dispatcher.client_closed(watcher)
    dom = _dom(front, actor)
    front.call(actor, P.DOMAIN_SUSPEND, {"dom": dom})
    assert watcher.events == []

"""The dispatcher's connection set-up and host procedures, with a stand-in client.

Expected answers and errors are those Debian's libvirtd 9.0 gives on the wire for test:///default.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from dispatch_helpers import FakeClient, Remote, remote
from virt.daemon.procedures import handlers
from virt.errors import ErrorDomain, ErrorNumber
from virt.remote import protocol
from virt.remote.procedure_numbers import RemoteProcedure as P
from virt.remote.protocol import Feature, MessageType, Status


@pytest.fixture
def front(tmp_path: Path) -> Remote:
    with remote(tmp_path) as made:
        yield made


def test_auth_list_offers_no_authentication(front: Remote) -> None:
    assert front.call(FakeClient(), P.AUTH_LIST) == {"types": [0]}


@pytest.mark.parametrize("procedure", [P.AUTH_SASL_INIT, P.AUTH_POLKIT])
def test_authentication_methods_not_offered_fail(front: Remote, procedure: P) -> None:
    error = front.error(FakeClient(), procedure)
    assert (error["code"], error["domain"], error["message"]) == (
        ErrorNumber.AUTH_FAILED,
        ErrorDomain.RPC,
        "authentication failed: authentication failed",
    )


def test_calls_before_open_are_refused(front: Remote) -> None:
    client = FakeClient()
    for procedure in (P.CONNECT_GET_TYPE, P.CONNECT_GET_URI, P.CONNECT_LIST_ALL_DOMAINS):
        args = {"need_results": 1, "flags": 0} if procedure == P.CONNECT_LIST_ALL_DOMAINS else None
        error = front.error(client, procedure, args)
        assert (error["code"], error["domain"], error["message"]) == (
            ErrorNumber.INTERNAL_ERROR,
            ErrorDomain.RPC,
            "internal error: hypervisor connection not open",
        )


def test_keepalive_feature_answers_before_open_and_starts_pinging(front: Remote) -> None:
    client = FakeClient()
    assert front.call(client, P.CONNECT_SUPPORTS_FEATURE, {"feature": Feature.PROGRAM_KEEPALIVE}) == {"supported": 1}
    assert client.keepalive
    error = front.error(client, P.CONNECT_SUPPORTS_FEATURE, {"feature": Feature.REMOTE_EVENT_CALLBACK})
    assert error["message"] == "internal error: hypervisor connection not open"


def test_features_after_open(front: Remote) -> None:
    client = front.open(FakeClient())
    answers = {
        feature: front.call(client, P.CONNECT_SUPPORTS_FEATURE, {"feature": feature})["supported"]
        for feature in range(0, 20)
    }
    supported = {feature for feature, answer in answers.items() if answer}
    assert supported == {
        Feature.FD_PASSING,
        Feature.TYPED_PARAM_STRING,
        Feature.PROGRAM_KEEPALIVE,
        Feature.REMOTE_EVENT_CALLBACK,
        Feature.REMOTE_CLOSE_CALLBACK,
        Feature.NETWORK_UPDATE_HAS_CORRECT_ORDER,
    }


def test_unknown_procedure_is_the_error_clients_fall_back_on(front: Remote) -> None:
    client = front.open(FakeClient())
    # A procedure libvirt knows that virtd does not serve yet, whichever that is today.
    unserved = next(p for p in P if p not in handlers() and "_EVENT_" not in p.name)
    for number in (0, 9999, int(unserved)):
        reply = front.packet(client, number, b"")
        assert reply is not None
        header = protocol.parse_header(reply)
        assert (header.type, header.status, header.procedure) == (MessageType.REPLY, Status.ERROR, number)
        error = protocol.REMOTE_ERROR.decode(reply[28:])
        assert (error["code"], error["domain"], error["message"], error["level"]) == (
            ErrorNumber.RPC,
            ErrorDomain.RPC,
            f"unknown procedure: {number}",
            2,
        )


def test_undecodable_arguments_are_an_rpc_error(front: Remote) -> None:
    client = front.open(FakeClient())
    reply = front.packet(client, P.DOMAIN_LOOKUP_BY_NAME, b"\0\0\0\x09ab")
    assert reply is not None
    error = protocol.REMOTE_ERROR.decode(reply[28:])
    assert (error["code"], error["domain"]) == (ErrorNumber.RPC, ErrorDomain.RPC)
    assert error["message"].startswith("Unable to decode message payload")


def test_trailing_bytes_are_tolerated_as_libvirtd_does(front: Remote) -> None:
    client = front.open(FakeClient())
    reply = front.packet(client, P.CONNECT_GET_TYPE, b"\0\0\0\0")
    assert reply is not None and protocol.parse_header(reply).status == Status.OK


def test_messages_that_are_not_calls_get_no_reply(front: Remote) -> None:
    import asyncio

    header = protocol.Header(protocol.Program.REMOTE, 1, P.CONNECT_GET_TYPE, MessageType.MESSAGE, 1, Status.OK)
    assert asyncio.run(front.dispatcher.dispatch(FakeClient(), header, b"")) is None


def test_open_answers_the_host_facts(front: Remote) -> None:
    client = front.open(FakeClient())
    assert front.call(client, P.CONNECT_GET_TYPE) == {"type": "TEST"}
    assert front.call(client, P.CONNECT_GET_VERSION) == {"hv_ver": 2}
    assert front.call(client, P.CONNECT_GET_LIB_VERSION) == {"lib_ver": 9000000}
    assert front.call(client, P.CONNECT_GET_URI) == {"uri": "test:///default"}
    assert front.call(client, P.CONNECT_GET_HOSTNAME)["hostname"]
    assert front.call(client, P.CONNECT_IS_SECURE) == {"secure": 1}
    assert front.call(client, P.NODE_GET_INFO) == {
        "model": "i686",
        "memory": 3145728,
        "cpus": 16,
        "mhz": 1400,
        "nodes": 2,
        "sockets": 2,
        "cores": 2,
        "threads": 2,
    }
    assert front.call(client, P.NODE_GET_SECURITY_MODEL) == {"model": "testSecurity", "doi": ""}
    assert "<capabilities>" in front.call(client, P.CONNECT_GET_CAPABILITIES)["capabilities"]


def test_plain_tcp_is_not_secure(front: Remote) -> None:
    from virt.daemon.auth import Identity

    client = front.open(FakeClient(identity=Identity("tcp", address="127.0.0.1:4000")))
    assert front.call(client, P.CONNECT_IS_SECURE) == {"secure": 0}


def test_empty_uri_opens_the_default(front: Remote, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VIRT_DEFAULT_URI", "test:///default")
    client = front.open(FakeClient(), "")
    assert front.call(client, P.CONNECT_GET_URI) == {"uri": "test:///default"}


def test_open_failures_report_the_driver_error(front: Remote) -> None:
    error = front.error(FakeClient(), P.CONNECT_OPEN, {"name": "test:///", "flags": 0})
    assert (error["code"], error["domain"]) == (ErrorNumber.INVALID_ARG, ErrorDomain.TEST)
    assert "supply a path or use test:///default" in error["message"]
    error = front.error(FakeClient(), P.CONNECT_OPEN, {"name": None, "flags": 0})
    assert error["message"] == "internal error: connection not open"


def test_second_open_fails_and_drops_the_first_as_libvirtd_does(front: Remote) -> None:
    client = front.open(FakeClient())
    error = front.error(client, P.CONNECT_OPEN, {"name": "test:///default", "flags": 0})
    assert (error["code"], error["domain"], error["message"]) == (
        ErrorNumber.INTERNAL_ERROR,
        ErrorDomain.RPC,
        "internal error: connection already open",
    )
    assert front.error(client, P.CONNECT_GET_TYPE)["message"] == "internal error: hypervisor connection not open"


def test_close_ends_the_connection_after_the_reply(front: Remote) -> None:
    client = front.open(FakeClient())
    assert front.call(client, P.CONNECT_CLOSE) is None
    assert client.closed
    assert front.error(client, P.CONNECT_GET_TYPE)["message"] == "internal error: hypervisor connection not open"


def test_close_callback_registration(front: Remote) -> None:
    client = FakeClient()
    assert front.error(client, P.CONNECT_REGISTER_CLOSE_CALLBACK)["code"] == ErrorNumber.INTERNAL_ERROR
    front.open(client)
    for _ in range(2):  # registering twice and unregistering twice are both fine, as with libvirtd
        assert front.call(client, P.CONNECT_REGISTER_CLOSE_CALLBACK) is None
    for _ in range(2):
        assert front.call(client, P.CONNECT_UNREGISTER_CLOSE_CALLBACK) is None


def test_domain_capabilities_refuses_unknown_flags(front: Remote) -> None:
    client = front.open(FakeClient())
    args = {"emulatorbin": None, "arch": None, "machine": None, "virttype": None, "flags": 4}
    error = front.error(client, P.CONNECT_GET_DOMAIN_CAPABILITIES, args)
    assert (error["code"], error["domain"], error["message"]) == (
        ErrorNumber.INVALID_ARG,
        ErrorDomain.TEST,
        "unsupported flags (0x4) in function testConnectGetDomainCapabilities",
    )


def test_a_call_the_driver_lacks_is_reported_in_libvirts_words(front: Remote) -> None:
    client = front.open(FakeClient())
    args = {"emulatorbin": None, "arch": None, "machine": None, "virttype": None, "flags": 0}
    error = front.error(client, P.CONNECT_GET_DOMAIN_CAPABILITIES, args)
    assert (error["code"], error["domain"], error["message"]) == (
        ErrorNumber.NO_SUPPORT,
        ErrorDomain.DOMAIN,
        "this function is not supported by the connection driver: virConnectGetDomainCapabilities",
    )

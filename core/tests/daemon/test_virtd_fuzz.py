"""Malformed frames thrown at a running virtd with its real dispatcher (bad lengths, truncated XDR,
huge counts, unknown programs, noise): every answer is a well-formed packet, a bad call gets an
error reply or its client is closed, and a client doing honest work is served throughout."""

from __future__ import annotations

import asyncio
import random
import struct
from typing import Any

from server_helpers import RawClient
from test_server_fuzz import hostile_bytes
from virt.daemon.testing import start_virtd
from virt.remote import protocol, xdr
from virt.remote.messages import REMOTE_PROCEDURES, RemoteProcedure
from virt.remote.protocol import Header, MessageType, Program, Status

P = RemoteProcedure
# Word values that break decoders: empty, tiny, just above the string limit, sign-bit and all-ones counts.
NASTY_WORDS = [0, 1, 2, 3, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF, xdr.STRING_MAX + 1, 16385, 1 << 20]


def packet(procedure: int, serial: int, payload: bytes = b"", program: int = Program.REMOTE) -> bytes:
    return protocol.frame(Header(program, 1, procedure, MessageType.CALL, serial, Status.OK), payload)


def encode(procedure: int, args: Any) -> bytes:
    return REMOTE_PROCEDURES[procedure].args.encode(args)


OPEN_ARGS = encode(P.CONNECT_OPEN, {"name": "test:///default", "flags": 0})
LOOKUP_ARGS = encode(P.DOMAIN_LOOKUP_BY_NAME, {"name": "test"})


async def call(client: RawClient, procedure: int, serial: int, payload: bytes = b"") -> tuple[Header, bytes]:
    await client.send(packet(procedure, serial, payload))
    header, body = await client.reply(timeout=10)
    assert header.serial == serial
    return header, body


async def open_test(client: RawClient) -> None:
    await call(client, P.AUTH_LIST, 1)
    header, body = await call(client, P.CONNECT_OPEN, 2, OPEN_ARGS)
    assert header.status == Status.OK, protocol.decode_error(body)


async def honest_lookup(client: RawClient, serial: int) -> None:
    header, body = await call(client, P.DOMAIN_LOOKUP_BY_NAME, serial, LOOKUP_ARGS)
    assert header.status == Status.OK, protocol.decode_error(body)
    assert REMOTE_PROCEDURES[P.DOMAIN_LOOKUP_BY_NAME].ret.decode(body)["dom"]["name"] == "test"


def hostile_payload(rng: random.Random) -> tuple[int, bytes]:
    """A procedure of the table and arguments that are not what it takes."""
    procedure = rng.choice(sorted(REMOTE_PROCEDURES))
    kind = rng.randrange(4)
    if kind == 0:  # an honest call's arguments, cut short
        valid = rng.choice([OPEN_ARGS, LOOKUP_ARGS])
        return rng.choice([P.CONNECT_OPEN, P.DOMAIN_LOOKUP_BY_NAME, procedure]), valid[: rng.randrange(len(valid))]
    if kind == 1:  # words that decoders read as lengths and counts
        words = [rng.choice(NASTY_WORDS) for _ in range(rng.randrange(1, 12))]
        return procedure, struct.pack(f">{len(words)}I", *words)
    if kind == 2:  # noise
        return procedure, rng.randbytes(rng.randrange(0, 120))
    # honest arguments followed by more than the procedure takes
    return P.DOMAIN_LOOKUP_BY_NAME, LOOKUP_ARGS + rng.randbytes(rng.randrange(1, 16))


async def hostile_client(path: str, rng: random.Random) -> None:
    client = await RawClient.connect(path)
    try:
        if rng.random() < 0.5:
            await open_test(client)  # so that calls get past "connection not open" to their arguments
        data = b""
        for serial in range(10, 10 + rng.randrange(1, 6)):
            if rng.random() < 0.7:
                procedure, payload = hostile_payload(rng)
                data += packet(procedure, serial, payload)
            else:
                data += hostile_bytes(rng)
        await client.send(data)
        while True:
            header, body = await client.packet(timeout=0.3)
            assert header.type in (MessageType.REPLY, MessageType.MESSAGE)
            if header.status == Status.ERROR:
                protocol.decode_error(body)
    except (TimeoutError, asyncio.IncompleteReadError, ConnectionResetError, BrokenPipeError):
        pass
    finally:
        await client.close()


def test_virtd_survives_malformed_calls_and_keeps_serving() -> None:
    with start_virtd() as daemon:

        async def scenario() -> None:
            rng = random.Random(5)
            good = await RawClient.connect(daemon.socket)
            await open_test(good)
            for round_number in range(25):
                seeds = [rng.randrange(1 << 30) for _ in range(6)]
                await asyncio.gather(*(hostile_client(daemon.socket, random.Random(seed)) for seed in seeds))
                await honest_lookup(good, 100 + round_number)
            await good.close()

        asyncio.run(scenario())
        assert daemon.process.poll() is None
        assert "Traceback" not in daemon.output()


def test_exact_bad_arguments_get_error_replies() -> None:
    cases = [
        (P.DOMAIN_LOOKUP_BY_NAME, LOOKUP_ARGS[:-3]),  # truncated string
        (P.DOMAIN_LOOKUP_BY_NAME, struct.pack(">I", 0xFFFFFFFF)),  # string longer than anything
        (P.DOMAIN_LOOKUP_BY_NAME, struct.pack(">I", xdr.STRING_MAX + 1) + bytes(64)),  # above the limit
        (P.CONNECT_LIST_ALL_DOMAINS, b"\0\0\0\1"),  # a word missing
    ]
    with start_virtd() as daemon:

        async def scenario() -> None:
            client = await RawClient.connect(daemon.socket)
            await open_test(client)
            for serial, (procedure, payload) in enumerate(cases, 10):
                header, body = await call(client, procedure, serial, payload)
                assert header.status == Status.ERROR, (procedure, payload)
                assert protocol.decode_error(body).message
            await honest_lookup(client, 99)  # the same client is still served
            await client.close()

        asyncio.run(scenario())
        assert "Traceback" not in daemon.output()

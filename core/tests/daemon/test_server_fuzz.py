"""Hostile clients throw malformed frames at the connection layer: each gets well-formed error replies
or is disconnected, and a well-behaved client keeps being served all along."""

from __future__ import annotations

import asyncio
import random
import struct
import tempfile
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st
from server_helpers import ECHO, RawClient, call, serving
from virt.remote import protocol
from virt.remote.protocol import Header, MessageType, Program, Status

PROGRAMS = [Program.REMOTE, Program.KEEPALIVE, Program.QEMU, Program.ADMIN, 0, 0xFFFFFFFF, 0x20008086 + 1]


def hostile_bytes(rng: random.Random) -> bytes:
    """One of the ways a broken or malicious client writes to the socket."""
    kind = rng.randrange(7)
    if kind == 0:  # noise
        return rng.randbytes(rng.randrange(1, 200))
    if kind == 1:  # an impossible length word, sometimes followed by something
        length = rng.choice([0, 1, 27, 4 + protocol.MESSAGE_MAX + 1, 0xFFFFFFFF, rng.randrange(0, 28)])
        return struct.pack(">I", length) + rng.randbytes(rng.randrange(0, 40))
    if kind == 2:  # a packet cut short (the client then goes away)
        packet = call(ECHO, rng.randrange(1 << 32), rng.randbytes(4 * rng.randrange(0, 8)))
        return packet[: rng.randrange(1, len(packet))]
    if kind == 3:  # a valid frame with random header fields
        header = Header(
            rng.choice(PROGRAMS),
            rng.choice([0, 1, 2, 0xFFFFFFFF]),
            rng.randrange(-(1 << 31), 1 << 31),
            rng.randrange(-3, 10),
            rng.randrange(1 << 32),
            rng.randrange(-3, 5),
        )
        return protocol.frame(header, rng.randbytes(rng.randrange(0, 64)))
    if kind == 4:  # a length claiming more than is sent (the client then goes away)
        return struct.pack(">I", rng.randrange(29, 1 << 20)) + rng.randbytes(rng.randrange(24, 100))
    if kind == 5:  # huge counts inside an otherwise normal call
        return call(ECHO, rng.randrange(1 << 32), b"\xff\xff\xff\xff" * rng.randrange(1, 5))
    # many calls at once, some valid, some not
    return b"".join(
        call(ECHO, serial) if rng.random() < 0.5 else call(7, serial, program=rng.choice(PROGRAMS))
        for serial in range(rng.randrange(1, 30))
    )


async def hostile_session(path: str, rng: random.Random) -> None:
    client = await RawClient.connect(path)
    data = b"".join(hostile_bytes(rng) for _ in range(rng.randrange(1, 4)))
    try:
        while data:  # in random pieces
            cut = rng.randrange(1, len(data) + 1)
            await client.send(data[:cut])
            data = data[cut:]
        # Whatever comes back must be whole, well-formed packets until the server is done with us.
        while True:
            header, payload = await client.packet(timeout=0.15)
            assert header.type in (MessageType.REPLY, MessageType.MESSAGE)
            if header.status == Status.ERROR:
                protocol.decode_error(payload)
    except (TimeoutError, asyncio.IncompleteReadError, ConnectionResetError, BrokenPipeError):
        pass
    finally:
        await client.close()


async def check_served(good: RawClient, serial: int) -> None:
    await good.send(call(ECHO, serial, struct.pack(">I", serial)))
    header, payload = await good.reply(timeout=5)
    assert (header.serial, header.status, payload) == (serial, Status.OK, struct.pack(">I", serial))


def test_seeded_hostile_clients_never_disturb_a_good_one(tmp_path: Path) -> None:
    async def scenario() -> None:
        rng = random.Random(20240605)
        async with serving(tmp_path, max_client_requests=5) as running:
            good = await RawClient.connect(running.rw)
            for round_number in range(30):
                seeds = [rng.randrange(1 << 30) for _ in range(8)]
                await asyncio.gather(*(hostile_session(running.rw, random.Random(seed)) for seed in seeds))
                await check_served(good, round_number)
            for _ in range(200):
                if len(running.server.clients) == 1:
                    break
                await asyncio.sleep(0.01)
            assert len(running.server.clients) == 1  # every hostile client is gone, the good one stays
            await good.close()

    asyncio.run(scenario())


@settings(max_examples=40, deadline=None)
@given(st.binary(min_size=1, max_size=300), st.lists(st.integers(1, 64), max_size=8))
def test_any_bytes_get_packets_or_a_close(data: bytes, cuts: list[int]) -> None:
    async def scenario(folder: Path) -> None:
        async with serving(folder) as running:
            good = await RawClient.connect(running.rw)
            bad = await RawClient.connect(running.rw)
            rest = data
            for cut in cuts:
                if rest:
                    await bad.send(rest[:cut])
                    rest = rest[cut:]
            if rest:
                await bad.send(rest)
            try:
                while True:
                    header, _ = await bad.packet(timeout=0.1)
                    assert header.type in (MessageType.REPLY, MessageType.MESSAGE)
            except (TimeoutError, asyncio.IncompleteReadError, ConnectionResetError):
                pass
            await check_served(good, 1)
            await bad.close()
            await good.close()

    with tempfile.TemporaryDirectory() as folder:
        asyncio.run(scenario(Path(folder)))

"""virtd's connection layer with a stand-in dispatcher: framing, limits, errors, keepalive, events,
slow clients and shutdown."""

from __future__ import annotations

import asyncio
import os
import struct
from pathlib import Path

from server_helpers import (
    BIG,
    ECHO,
    EVENT_FROM_THREAD,
    FAIL,
    HANG_UP,
    KEEPALIVE_PING,
    KEEPALIVE_PONG,
    SILENT,
    SLEEP,
    EchoHandler,
    RawClient,
    call,
    serving,
)
from virt.errors import ErrorDomain, ErrorNumber
from virt.remote import protocol
from virt.remote.protocol import Header, MessageType, Program, Status


def run(coroutine: object) -> None:
    asyncio.run(coroutine)  # type: ignore[arg-type]


def test_call_reply_round_trip(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with serving(tmp_path) as running:
            client = await RawClient.connect(running.rw)
            await client.send(call(ECHO, 7, b"\0\0\0\1"))
            header, payload = await client.reply()
            assert header == Header(Program.REMOTE, 1, ECHO, MessageType.REPLY, 7, Status.OK)
            assert payload == b"\0\0\0\1"
            await client.close()

    run(scenario())


def test_packets_split_across_reads_and_joined_in_one(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with serving(tmp_path) as running:
            client = await RawClient.connect(running.rw)
            stream = b"".join(call(ECHO, serial, struct.pack(">I", serial)) for serial in range(1, 6))
            for byte in stream[:40]:  # one byte at a time
                await client.send(bytes([byte]))
                await asyncio.sleep(0)
            await client.send(stream[40:])  # the rest, four packets and a half, in one write
            replies = [await client.reply() for _ in range(5)]
            assert [(h.serial, p) for h, p in replies] == [(s, struct.pack(">I", s)) for s in range(1, 6)]
            await client.close()

    run(scenario())


def test_unknown_program_or_version_gets_libvirts_rpc_error(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with serving(tmp_path) as running:
            client = await RawClient.connect(running.rw)
            for program, version in ((0x12345678, 1), (Program.QEMU, 1), (Program.REMOTE, 2)):
                await client.send(call(9, 42, b"", program=program, version=version))
                header, payload = await client.reply()
                assert header == Header(program, version, 9, MessageType.REPLY, 42, Status.ERROR)
                error = protocol.decode_error(payload)
                assert (error.code, error.domain) == (ErrorNumber.RPC, ErrorDomain.RPC)
                assert error.message == f"Cannot find program {program} version {version}"
            await client.send(call(ECHO, 43))
            assert (await client.reply())[0].serial == 43
            assert not running.handler.calls[:-1]
            await client.close()

    run(scenario())


def test_calls_with_a_status_or_with_descriptors_get_error_replies(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with serving(tmp_path) as running:
            client = await RawClient.connect(running.rw)
            await client.send(protocol.frame(Header(Program.REMOTE, 1, ECHO, MessageType.CALL, 5, Status.ERROR)))
            header, payload = await client.reply()
            assert (header.serial, header.status) == (5, Status.ERROR)
            assert protocol.decode_error(payload).message == "Unexpected message status 1"
            await client.send(protocol.frame(Header(Program.REMOTE, 1, ECHO, MessageType.CALL_WITH_FDS, 6, 0)))
            header, payload = await client.reply()
            assert (header.serial, header.type, header.status) == (6, MessageType.REPLY, Status.ERROR)
            assert protocol.decode_error(payload).code == ErrorNumber.RPC
            assert running.handler.calls == []
            await client.close()

    run(scenario())


def test_bad_lengths_and_message_types_close_only_that_client(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with serving(tmp_path) as running:
            good = await RawClient.connect(running.rw)
            for poison in (
                b"\0\0\0\x1b" + bytes(27),  # shorter than a header
                struct.pack(">I", 4 + protocol.MESSAGE_MAX + 1),  # above 32 MiB
                b"\xff\xff\xff\xff",
                protocol.frame(Header(Program.REMOTE, 1, ECHO, MessageType.REPLY, 1, Status.OK)),
                protocol.frame(Header(Program.REMOTE, 1, ECHO, MessageType.MESSAGE, 1, Status.OK)),
            ):
                bad = await RawClient.connect(running.rw)
                await bad.send(poison)
                assert await bad.closed_by_server()
                await good.send(call(ECHO, 1))
                assert (await good.reply())[0].status == Status.OK
            assert len(running.server.clients) == 1
            await good.close()

    run(scenario())


def test_stray_stream_data_is_dropped(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with serving(tmp_path) as running:
            client = await RawClient.connect(running.rw)
            await client.send(
                protocol.frame(Header(Program.REMOTE, 1, 9, MessageType.STREAM, 3, Status.CONTINUE), b"data")
            )
            await client.send(call(ECHO, 4))
            assert (await client.reply())[0].serial == 4
            # the stream packet went to the handler (whose streams drop what no stream awaits), not as a call
            assert [(h.type, h.serial, p) for h, p in running.handler.stream_packets] == [(3, 3, b"data")]
            await client.close()

    run(scenario())


def test_calls_in_flight_are_bounded_and_all_answered(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with serving(tmp_path, max_client_requests=3) as running:
            client = await RawClient.connect(running.rw)
            await client.send(b"".join(call(SLEEP, serial, struct.pack(">I", 50)) for serial in range(10)))
            serials = sorted([(await client.reply())[0].serial for _ in range(10)])
            assert serials == list(range(10))
            assert running.handler.most_running == 3
            await client.close()

    run(scenario())


def test_max_clients_refuses_extra_connections_until_one_leaves(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with serving(tmp_path, max_clients=2) as running:
            first = await RawClient.connect(running.rw)
            second = await RawClient.connect(running.ro)
            for client in (first, second):
                await client.send(call(ECHO, 1))
                await client.reply()
            extra = await RawClient.connect(running.rw)
            assert await extra.closed_by_server()
            await first.close()
            for _ in range(100):
                if len(running.server.clients) < 2:
                    break
                await asyncio.sleep(0.01)
            again = await RawClient.connect(running.rw)
            await again.send(call(ECHO, 2))
            assert (await again.reply())[0].serial == 2
            await again.close()
            await second.close()

    run(scenario())


def test_a_client_that_does_not_read_does_not_slow_the_others(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with serving(tmp_path) as running:
            slow = await RawClient.connect(running.rw)
            # Ask for far more output than the socket buffers hold, and never read it.
            slow.writer.write(b"".join(call(BIG, serial, struct.pack(">I", 1 << 20)) for serial in range(40)))
            fast = await RawClient.connect(running.rw)
            loop = asyncio.get_running_loop()
            started = loop.time()
            for serial in range(200):
                await fast.send(call(ECHO, serial))
                assert (await fast.reply(timeout=2))[0].serial == serial
            assert loop.time() - started < 5
            # The slow client was throttled: it did not get to make all its calls while not reading.
            assert sum(1 for c, h, _ in running.handler.calls if h.procedure == BIG) < 40
            received = [(await slow.reply(timeout=10))[0].serial for _ in range(40)]
            assert sorted(received) == list(range(40))
            await slow.close()
            await fast.close()

    run(scenario())


def test_keepalive_ping_gets_pong_and_a_pinging_client_is_pinged_when_silent(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with serving(tmp_path, keepalive_interval=1, keepalive_count=3) as running:
            client = await RawClient.connect(running.rw)
            await client.send(KEEPALIVE_PING)
            header, payload = await client.packet()
            assert (header.program, header.procedure, header.type, header.serial, payload) == (
                Program.KEEPALIVE,
                2,
                MessageType.MESSAGE,
                0,
                b"",
            )
            header, _ = await client.packet(timeout=4)  # silence: the server asks whether we are alive
            assert (header.program, header.procedure) == (Program.KEEPALIVE, 1)
            await client.send(KEEPALIVE_PONG)
            await client.send(call(ECHO, 9))
            assert (await client.reply())[0].serial == 9
            await client.close()

    run(scenario())


def test_a_client_that_stops_answering_pings_is_dropped(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with serving(tmp_path, keepalive_interval=1, keepalive_count=1) as running:
            mute = await RawClient.connect(running.rw)
            await mute.send(KEEPALIVE_PING)
            quiet = await RawClient.connect(running.rw)  # never spoke keepalive: never pinged nor dropped
            await quiet.send(call(ECHO, 1))
            await quiet.reply()
            assert await mute.closed_by_server(timeout=6)
            await quiet.send(call(ECHO, 2))
            assert (await quiet.packet())[0].serial == 2
            await quiet.close()

    run(scenario())


def test_start_keepalive_from_the_dispatcher_enables_pings(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with serving(tmp_path, keepalive_interval=1, keepalive_count=5) as running:
            client = await RawClient.connect(running.rw)
            await client.send(call(ECHO, 1))
            await client.reply()
            next(iter(running.server.clients)).start_keepalive()
            header, _ = await client.packet(timeout=4)
            assert (header.program, header.procedure) == (Program.KEEPALIVE, 1)
            await client.close()

    run(scenario())


def test_a_failing_handler_gives_an_internal_error_reply(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with serving(tmp_path) as running:
            client = await RawClient.connect(running.rw)
            await client.send(call(FAIL, 3))
            header, payload = await client.reply()
            assert (header.serial, header.status) == (3, Status.ERROR)
            assert protocol.decode_error(payload).code == ErrorNumber.INTERNAL_ERROR
            await client.send(call(SILENT, 4) + call(ECHO, 5))
            assert (await client.reply())[0].serial == 5
            await client.close()

    run(scenario())


def test_events_from_other_threads_arrive_as_messages(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with serving(tmp_path) as running:
            client = await RawClient.connect(running.rw)
            await client.send(call(EVENT_FROM_THREAD, 8, b"\0\0\0\x2a"))
            first = await client.reply()
            second = await client.reply()
            event = first if first[0].type == MessageType.MESSAGE else second
            assert event == (Header(Program.REMOTE, 1, 318, MessageType.MESSAGE, 1, Status.OK), b"\0\0\0\x2a")
            await client.close()

    run(scenario())


def test_identity_readonly_and_release_after_calls_finish(tmp_path: Path) -> None:
    async def scenario() -> None:
        handler = EchoHandler()
        async with serving(tmp_path, handler) as running:
            rw = await RawClient.connect(running.rw)
            ro = await RawClient.connect(running.ro)
            await rw.send(call(ECHO, 1))
            await ro.send(call(ECHO, 1))
            await rw.reply()
            await ro.reply()
            by_socket = {client.readonly: client for client, _, _ in handler.calls}
            assert set(by_socket) == {False, True}
            identity = by_socket[True].identity
            assert (identity.transport, identity.uid, identity.pid) == ("unix", os.getuid(), os.getpid())
            await rw.send(call(SLEEP, 2, struct.pack(">I", 200)))
            await asyncio.sleep(0.05)
            await rw.close()
            for _ in range(100):
                if handler.closed:
                    break
                await asyncio.sleep(0.01)
            assert handler.closed == [(by_socket[False], 0)]  # released once its call had finished
            await ro.close()

    run(scenario())


def test_shutdown_closes_clients_and_releases_them(tmp_path: Path) -> None:
    async def scenario() -> None:
        handler = EchoHandler()
        async with serving(tmp_path, handler) as running:
            client = await RawClient.connect(running.rw)
            await client.send(call(ECHO, 1))
            await client.reply()
            await running.server.shutdown(grace=1)
            assert await client.closed_by_server()
            assert len(handler.closed) == 1
            refused = False
            try:
                late = await RawClient.connect(running.rw)
                refused = await late.closed_by_server(timeout=1)
            except OSError:
                refused = True
            assert refused

    run(scenario())


def test_idle_timeout_ends_serve(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with serving(tmp_path) as running:
            client = await RawClient.connect(running.rw)
            await client.send(call(ECHO, 1))
            await client.reply()
            serve = asyncio.create_task(running.server.serve(idle_timeout=0.3))
            await asyncio.sleep(0.6)
            assert not serve.done()  # a client is connected
            await client.close()
            await asyncio.wait_for(serve, 2)

    run(scenario())


def test_close_from_the_dispatcher_lets_the_calls_reply_first(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with serving(tmp_path) as running:
            client = await RawClient.connect(running.rw)
            await client.send(call(SLEEP, 1, struct.pack(">I", 100)) + call(HANG_UP, 2))
            assert sorted([(await client.reply())[0].serial for _ in range(2)]) == [1, 2]
            assert await client.closed_by_server()
            assert len(running.handler.closed) == 1

    run(scenario())


def test_a_client_waiting_on_its_calls_is_not_dropped_by_keepalive(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with serving(tmp_path, keepalive_interval=1, keepalive_count=1, max_client_requests=2) as running:
            client = await RawClient.connect(running.rw)
            await client.send(KEEPALIVE_PING)
            await client.packet()  # PONG
            await client.send(call(SLEEP, 1, struct.pack(">I", 3500)) + call(SLEEP, 2, struct.pack(">I", 3500)))
            assert sorted([(await client.reply(timeout=6))[0].serial for _ in range(2)]) == [1, 2]
            await client.send(call(ECHO, 3))
            assert (await client.reply())[0].serial == 3

    run(scenario())

"""A container's controller: the small process that outlives whoever started the container.

``launch`` forks it, it clones the container's init, then it executes itself as
``python -I -m virt_lxc.controller ...`` with the descriptors it holds: its listening socket and
the masters of the container's console ptys. From then on it only: relays a console to one
client at a time (draining it when nobody is attached, so init never blocks on its console),
tells watchers when init ends, and then cleans up (kills what is left in the container's
cgroups, removes them, writes the exit file for an owner that was not watching) and exits.
It imports nothing of virt's core, so it starts fast and stays small.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import selectors
import signal
import socket
import sys
import time
from pathlib import Path
from typing import Any

from virt_lxc.cgroups import ContainerCgroup
from virt_lxc.hosterror import HostError
from virt_lxc.protocol import MAX_LINE, encode

OUTPUT_LIMIT = 1 << 20
"""Bytes queued for a slow console client before the console is no longer read (backpressure)."""


def log(message: str) -> None:
    sys.stderr.write(f"{time.strftime('%Y-%m-%d %H:%M:%S')} controller {os.getpid()}: {message}\n")
    sys.stderr.flush()


class Client:
    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.inbox = b""
        self.outbox = b""
        self.kind = "new"
        self.console: Console | None = None
        self.closing = False


class Console:
    def __init__(self, index: int, master: int) -> None:
        self.index = index
        self.master = master
        self.client: Client | None = None
        self.pending = b""
        """Bytes from the client not yet taken by the pty."""
        self.open = True


class Controller:
    def __init__(self, args: argparse.Namespace) -> None:
        self.name: str = args.name
        self.init_pid: int = args.init
        self.socket_path = Path(args.socket)
        self.exit_file = Path(args.exit_file)
        self.cgroup = ContainerCgroup.from_text(args.cgroups.replace(";", "\n"))
        self.listener = socket.socket(fileno=args.socket_fd)
        self.listener.setblocking(False)
        self.consoles = [Console(n, int(fd)) for n, fd in enumerate(filter(None, args.console_fds.split(",")))]
        for console in self.consoles:
            os.set_blocking(console.master, False)
        self.pidfd = os.pidfd_open(self.init_pid)
        self.selector = selectors.DefaultSelector()
        self.clients: dict[int, Client] = {}
        self.exit_status: int | None = None

    # -- the loop -----------------------------------------------------------------------------
    def run(self) -> int:
        self.selector.register(self.listener, selectors.EVENT_READ, "listen")
        self.selector.register(self.pidfd, selectors.EVENT_READ, "init")
        for console in self.consoles:
            self.selector.register(console.master, selectors.EVENT_READ, console)
        log(f"container {self.name}: init is pid {self.init_pid}")
        while self.exit_status is None:
            for key, events in self.selector.select():
                self._dispatch(key, events)
        self._finish()
        return 0

    def _dispatch(self, key: selectors.SelectorKey, events: int) -> None:
        data = key.data
        if data == "listen":
            self._accept()
        elif data == "init":
            _, status = os.waitpid(self.init_pid, 0)
            self.exit_status = status
        elif isinstance(data, Console):
            self._console_event(data, events)
        elif isinstance(data, Client):
            if events & selectors.EVENT_READ:
                self._client_readable(data)
            if events & selectors.EVENT_WRITE and data.sock.fileno() >= 0:
                self._flush(data)

    def _accept(self) -> None:
        try:
            sock, _ = self.listener.accept()
        except BlockingIOError:
            return
        sock.setblocking(False)
        client = Client(sock)
        self.clients[sock.fileno()] = client
        self.selector.register(sock, selectors.EVENT_READ, client)

    # -- clients ------------------------------------------------------------------------------
    def _client_readable(self, client: Client) -> None:
        try:
            data = client.sock.recv(65536)
        except BlockingIOError:
            return
        except OSError:
            data = b""
        if not data:
            self._drop(client)
            return
        if client.kind == "console":
            assert client.console is not None
            client.console.pending += data
            self._feed(client.console)
            return
        if client.kind != "new":
            return  # a watcher has nothing more to say
        client.inbox += data
        if b"\n" not in client.inbox:
            if len(client.inbox) > MAX_LINE:
                self._drop(client)
            return
        line, _, rest = client.inbox.partition(b"\n")
        client.inbox = b""
        try:
            request = json.loads(line)
            if not isinstance(request, dict):
                raise ValueError("not an object")
        except ValueError:
            self._reply(client, {"ok": False, "error": "malformed request"}, close=True)
            return
        self._request(client, request, rest)

    def _request(self, client: Client, request: dict[str, Any], rest: bytes) -> None:
        op = request.get("op")
        if op == "watch":
            client.kind = "watch"
            self._reply(client, {"ok": True, "init": self.init_pid, "pid": os.getpid()})
        elif op == "info":
            self._reply(
                client,
                {"ok": True, "init": self.init_pid, "pid": os.getpid(), "consoles": len(self.consoles)},
                close=True,
            )
        elif op == "console":
            self._attach(client, request, rest)
        else:
            self._reply(client, {"ok": False, "error": f"unknown request {op!r}"}, close=True)

    def _attach(self, client: Client, request: dict[str, Any], rest: bytes) -> None:
        index = request.get("dev", 0)
        if not isinstance(index, int) or not 0 <= index < len(self.consoles):
            self._reply(client, {"ok": False, "error": f"the container has no console {index}"}, close=True)
            return
        console = self.consoles[index]
        if not console.open:
            self._reply(client, {"ok": False, "error": "the console is closed"}, close=True)
            return
        if console.client is not None:
            if not request.get("force"):
                self._reply(client, {"ok": False, "error": "Active console session exists for this domain"}, close=True)
                return
            self._drop(console.client)
        client.kind = "console"
        client.console = console
        console.client = client
        self._reply(client, {"ok": True})
        if rest:
            console.pending += rest
            self._feed(console)

    def _reply(self, client: Client, message: dict[str, Any], *, close: bool = False) -> None:
        client.outbox += encode(message)
        client.closing = close
        self._flush(client)

    def _flush(self, client: Client) -> None:
        if client.outbox:
            try:
                sent = client.sock.send(client.outbox)
                client.outbox = client.outbox[sent:]
            except BlockingIOError:
                pass
            except OSError:
                self._drop(client)
                return
        if client.closing and not client.outbox:
            self._drop(client)
            return
        events = selectors.EVENT_READ | (selectors.EVENT_WRITE if client.outbox else 0)
        self.selector.modify(client.sock, events, client)
        console = client.console
        if console is not None and console.open:
            # read the console again once its client has caught up
            wanted = selectors.EVENT_READ if len(client.outbox) < OUTPUT_LIMIT else 0
            self._watch_master(console, wanted | (selectors.EVENT_WRITE if console.pending else 0))

    def _drop(self, client: Client) -> None:
        if self.clients.pop(client.sock.fileno(), None) is None:
            return
        self.selector.unregister(client.sock)
        client.sock.close()
        console = client.console
        if console is not None and console.client is client:
            console.client = None
            console.pending = b""
            if console.open:
                self._watch_master(console, selectors.EVENT_READ)

    # -- consoles -----------------------------------------------------------------------------
    def _watch_master(self, console: Console, events: int) -> None:
        try:
            if events:
                self.selector.modify(console.master, events, console)
            else:
                self.selector.unregister(console.master)
        except KeyError:
            if events:
                self.selector.register(console.master, events, console)

    def _console_event(self, console: Console, events: int) -> None:
        if events & selectors.EVENT_WRITE:
            self._feed(console)
        if not events & selectors.EVENT_READ:
            return
        try:
            data = os.read(console.master, 65536)
        except BlockingIOError:
            return
        except OSError:
            data = b""  # EIO: every slave is closed (init is going away)
        if not data:
            console.open = False
            self._watch_master(console, 0)
            if console.client is not None:
                console.client.closing = True
                self._flush(console.client)
            return
        client = console.client
        if client is not None:
            client.outbox += data
            self._flush(client)

    def _feed(self, console: Console) -> None:
        """Hand the client's keystrokes to the pty, as much as it takes now."""
        if console.pending and console.open:
            try:
                written = os.write(console.master, console.pending)
                console.pending = console.pending[written:]
            except BlockingIOError:
                pass
            except OSError:
                console.pending = b""
        reading = selectors.EVENT_READ
        if console.client is not None and len(console.client.outbox) >= OUTPUT_LIMIT:
            reading = 0
        if console.open:
            self._watch_master(console, reading | (selectors.EVENT_WRITE if console.pending else 0))

    # -- the end ------------------------------------------------------------------------------
    def _finish(self) -> None:
        status = self.exit_status
        log(f"container {self.name}: init ended with wait status {status}")
        try:
            # what init left behind (entered processes, anything outside its PID namespace)
            self.cgroup.kill_all()
            self.cgroup.remove()
        except HostError as exc:
            log(f"container {self.name}: cleaning up its cgroups failed: {exc.message}")
        record = {"status": status, "init": self.init_pid, "time": time.time()}
        try:
            temporary = self.exit_file.with_name(f".{self.exit_file.name}.tmp")
            temporary.write_text(json.dumps(record))
            temporary.replace(self.exit_file)
        except OSError as exc:
            log(f"container {self.name}: cannot write {self.exit_file}: {exc.strerror}")
        with contextlib.suppress(OSError):
            self.socket_path.unlink()
        event = encode({"event": "exited", "status": status})
        for client in list(self.clients.values()):
            client.sock.setblocking(True)
            client.sock.settimeout(2.0)
            try:
                if client.kind == "watch":
                    client.sock.sendall(client.outbox + event)
                elif client.outbox:
                    client.sock.sendall(client.outbox)
            except OSError:
                pass
            client.sock.close()
        self.listener.close()


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="virt_lxc.controller")
    parser.add_argument("--name", required=True)
    parser.add_argument("--uuid", required=True)
    parser.add_argument("--init", type=int, required=True)
    parser.add_argument("--socket", required=True)
    parser.add_argument("--socket-fd", type=int, required=True)
    parser.add_argument("--console-fds", default="")
    parser.add_argument("--cgroups", required=True, help="ContainerCgroup.to_text() with ';' between lines")
    parser.add_argument("--exit-file", required=True)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    # Terminal signals are not for us: only init's end ends the controller.
    for number in (signal.SIGHUP, signal.SIGINT, signal.SIGTERM, signal.SIGPIPE, signal.SIGQUIT):
        signal.signal(number, signal.SIG_IGN)
    return Controller(parse_args(sys.argv[1:] if argv is None else argv)).run()


if __name__ == "__main__":
    sys.exit(main())

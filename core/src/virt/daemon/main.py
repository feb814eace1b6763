"""The ``virtd`` command: load the settings, take the socket folder, listen, serve until SIGTERM or
SIGINT (or until idle for ``--timeout``), then close the clients and exit 0, leaving guests running."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import signal
import sys
from collections.abc import Sequence
from functools import partial
from pathlib import Path

import attrs

from virt.daemon.acl import ACL, load_acl
from virt.daemon.config import DaemonConfig, load_daemon_config
from virt.daemon.listeners import (
    SocketDirLock,
    activated_endpoints,
    close_endpoints,
    forget_activation,
    open_endpoints,
    prepare_socket_dir,
)
from virt.errors import VirtError

log = logging.getLogger("virt.daemon")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="virtd",
        description="Serve virt's drivers over libvirt's remote protocol to virsh, libvirt bindings and virt clients.",
    )
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument(
        "--system", dest="session", action="store_false", default=None, help="system daemon (default for root)"
    )
    mode.add_argument(
        "--session", dest="session", action="store_true", help="per-user daemon (default for other users)"
    )
    parser.add_argument(
        "--socket-dir", type=Path, help="folder of the unix sockets (default /run/virt, or $XDG_RUNTIME_DIR/virt)"
    )
    parser.add_argument(
        "--listen", action="store_true", help="also listen for TLS on port 16514 (TCP needs listen_tcp in virtd.toml)"
    )
    parser.add_argument(
        "--config", type=Path, help="settings file (default /etc/virt/virtd.toml, or ~/.config/virt/virtd.toml)"
    )
    parser.add_argument("--timeout", type=_seconds, help="exit after SECS seconds without any client")
    parser.add_argument("--pid-file", type=Path, help="write the daemon's pid to this file")
    parser.add_argument("-v", "--verbose", action="count", default=0, help="log more (-vv for debugging)")
    return parser


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be more than 0 seconds: {text!r}")
    return value


def config_from_args(args: argparse.Namespace) -> DaemonConfig:
    """The settings the command line asks for: its mode (root's daemon is the system's unless
    ``--session``), its file (the mode's default file may be absent), ``--socket-dir``, ``--listen``."""
    session = args.session if args.session is not None else os.geteuid() != 0
    config = load_daemon_config(
        args.config, session=session, socket_dir=args.socket_dir, required=args.config is not None
    )
    return attrs.evolve(config, listen_tls=True) if args.listen else config


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    # The daemon runs the drivers itself: a session URI it opens must not come back to its own socket.
    os.environ["VIRT_DAEMON"] = "never"
    level = (logging.WARNING, logging.INFO, logging.DEBUG)[min(args.verbose, 2)]
    logging.basicConfig(stream=sys.stderr, level=level, format="virtd[%(process)d]: %(levelname)s: %(message)s")
    try:
        config = config_from_args(args)
        acl = load_acl(config)
        return asyncio.run(_serve(config, acl, args.timeout, args.pid_file))
    except VirtError as exc:
        print(f"virtd: error: {exc.message}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 0


async def _serve(config: DaemonConfig, acl: ACL | None, timeout: float | None, pid_file: Path | None) -> int:
    from virt.daemon.server import Server
    from virt.daemon.tls import dn_allowed, server_context

    loop = asyncio.get_running_loop()
    # Signals count from before the first socket exists: whoever sees it may already send one.
    stopped = asyncio.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stopped.set)
    inherited = activated_endpoints()
    forget_activation()
    prepare_socket_dir(config.socket_dir, config.session)
    lock = SocketDirLock(config.socket_dir)
    lock.acquire()
    endpoints = []
    try:
        if pid_file is not None:
            _write_pid_file(pid_file)
        ssl_context = None
        if config.listen_tls or any(e.transport == "tls" for e in inherited):
            ssl_context = server_context(config.tls)
        endpoints = open_endpoints(config, inherited)
        from virt.daemon.dispatch import Dispatcher

        dispatcher = Dispatcher(config, acl)
        allowed = partial(dn_allowed, patterns=config.tls.allowed_dn_list)
        server = Server(config, dispatcher, loop, tls_peer_allowed=allowed, stopped=stopped)
        for endpoint in endpoints:
            await server.listen(endpoint, ssl_context)
        log.info("virtd %s daemon ready (pid %d)", "session" if config.session else "system", os.getpid())
        await server.serve(timeout, busy=dispatcher.guests_running)
        log.info("shutting down: closing %d client(s), guests keep running", len(server.clients))
        await server.shutdown()
        await loop.run_in_executor(None, dispatcher.close)
    finally:
        close_endpoints(endpoints)
        if pid_file is not None:
            _remove(pid_file)
        lock.release()
    return 0


def _write_pid_file(path: Path) -> None:
    try:
        path.write_text(f"{os.getpid()}\n")
    except OSError as exc:
        raise VirtError(f"cannot write pid file {path}: {exc.strerror}") from exc


def _remove(path: Path) -> None:
    with contextlib.suppress(OSError):
        path.unlink()


if __name__ == "__main__":
    sys.exit(main())

"""Starting a built QEMU command paused and asking it ``query-status``: the proof, in
``test_command_qemu.py`` and ``test_driver_domcaps.py``, that the command builder's output starts."""

from __future__ import annotations

import json
import socket
import subprocess
import time
from pathlib import Path
from typing import Any

from virt_qemu.command import RuntimeFiles

START_TIMEOUT = 10.0

HOST_CPU_REASON = "-cpu host and -cpu max abort QEMU 7.2 under this host's KVM (failed to set MSR 0x10a)"
"""Why, on a host where :func:`host_cpu_starts` is false, a command with ``-cpu host`` or ``-cpu max``
under KVM is not started: QEMU 7.2 asserts on the nested KVM of this project's machines (AMD EPYC)."""


def host_cpu_starts(binary: str) -> bool:
    """Whether ``-cpu host`` starts under KVM here (it needs KVM; see :data:`HOST_CPU_REASON`)."""
    argv = [binary, "-accel", "kvm", "-cpu", "host", "-S", "-display", "none", "-nodefaults", "-qmp", "stdio"]
    try:
        out = subprocess.run(
            argv, input=b'{"execute":"qmp_capabilities"}\n{"execute":"quit"}\n', capture_output=True, timeout=10
        )
    except subprocess.TimeoutExpired:
        return False
    return out.returncode == 0


def needs_host_cpu(argv: list[str]) -> bool:
    """Whether the command runs KVM with ``-cpu host`` or ``-cpu max`` (see :data:`HOST_CPU_REASON`)."""
    machine = argv[argv.index("-machine") + 1].split(",")
    cpu = argv[argv.index("-cpu") + 1].split(",")[0]
    return "accel=kvm" in machine and cpu in ("host", "max")


def start_paused(argv: list[str], files: RuntimeFiles) -> str:
    """Run ``argv`` (built with ``-S`` and QMP on ``files.monitor_socket``), return its ``query-status``
    status, and make it quit; a RuntimeError with the tail of its output when it does not start."""
    log = files.run_dir / "qemu.log"
    with log.open("wb") as err:
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=err, stderr=err)
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while not files.monitor_socket.exists():
            if proc.poll() is not None:
                raise RuntimeError(f"QEMU exited {proc.returncode}: {log.read_text()[-500:]}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"no QMP socket after {START_TIMEOUT:g} s")
            time.sleep(0.02)
        return _qmp(files.monitor_socket, deadline, proc)
    finally:
        try:
            proc.wait(timeout=3)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _qmp(sock_path: Path, deadline: float, proc: subprocess.Popen[bytes]) -> str:
    while True:
        try:
            s = socket.socket(socket.AF_UNIX)
            s.settimeout(max(0.1, deadline - time.monotonic()))
            s.connect(str(sock_path))
            break
        except OSError:
            s.close()
            if time.monotonic() > deadline or proc.poll() is not None:
                raise
            time.sleep(0.02)
    with s, s.makefile("rwb") as f:

        def ask(command: str) -> dict[str, Any]:
            f.write(json.dumps({"execute": command}).encode() + b"\n")
            f.flush()
            while True:
                reply: dict[str, Any] = json.loads(f.readline())
                if "event" not in reply:
                    return reply

        json.loads(f.readline())  # the greeting
        ask("qmp_capabilities")
        status = ask("query-status")["return"]["status"]
        ask("quit")  # waiting for the reply: QEMU drops a command whose socket closed at once
        return str(status)

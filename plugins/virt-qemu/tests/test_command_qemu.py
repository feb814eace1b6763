"""Start real QEMU with the command built for each supported domain of libvirt's xml-to-qemu-argv corpus.

Disk images, character device paths and sockets are replaced by scratch files; QEMU starts paused
(-S), must answer query-status on QMP, and is told to quit. Domains using what virt-qemu refuses
count as refused (each with its clear UnsupportedConfig); any other outcome is a failure.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest
from virt.testing import conformance_dir, missing_dependency
from virt.xml import Domain
from virt_qemu.command import RuntimeFiles, UnsupportedConfig, build_command

BINARY = "qemu-system-x86_64"
OVMF_CODE = Path("/usr/share/OVMF/OVMF_CODE_4M.fd")
OVMF_VARS = Path("/usr/share/OVMF/OVMF_VARS_4M.fd")


@pytest.fixture(scope="module")
def caps(tmp_path_factory: pytest.TempPathFactory) -> Any:
    binary = shutil.which(BINARY)
    if binary is None or shutil.which("qemu-img") is None:
        missing_dependency(f"{BINARY} and qemu-img are needed")
    from virt_qemu.caps import CapsCache

    return CapsCache(tmp_path_factory.mktemp("caps")).get(binary)


@pytest.fixture(scope="module")
def host_cpu_works(caps: Any) -> bool:
    """Whether -cpu host starts here: QEMU 7.2 aborts on some nested-KVM hosts (MSR 0x10a)."""
    if not caps.kvm:
        return False
    argv = [caps.binary, "-accel", "kvm", "-cpu", "host", "-S", "-display", "none", "-nodefaults", "-qmp", "stdio"]
    try:
        out = subprocess.run(
            argv, input=b'{"execute":"qmp_capabilities"}\n{"execute":"quit"}\n', capture_output=True, timeout=10
        )
    except subprocess.TimeoutExpired:
        return False
    return out.returncode == 0


def _image(tmp: Path, n: int, fmt: str) -> str:
    path = tmp / f"disk{n}.{fmt}"
    subprocess.run(["qemu-img", "create", "-q", "-f", fmt, str(path), "16M"], check=True)
    return str(path)


def _scratch(domain: Domain, tmp: Path, listeners: list[socket.socket]) -> str | None:
    """Point the domain at scratch files; a reason when it needs host files a test cannot fake."""
    os_ = domain.os
    if os_ is not None and os_.kernel:
        return "direct kernel boot needs a real kernel"
    if os_ is not None and os_.loader is not None and os_.loader.path:
        if os_.loader.type == "pflash":
            if not OVMF_CODE.exists():
                return "no OVMF firmware on this host"
            os_.loader.path = str(OVMF_CODE)
            if os_.nvram is not None:
                vars_copy = tmp / "VARS.fd"
                shutil.copy(OVMF_VARS, vars_copy)
                os_.nvram.text = str(vars_copy)
        elif not Path(os_.loader.path).exists():
            return f"no firmware {os_.loader.path}"
    devices = domain.devices
    if devices is None:
        return None
    for n, disk in enumerate(devices.disks):
        if disk.source is None or not (disk.source.file or disk.source.dev):
            continue
        fmt = (disk.driver.type if disk.driver else None) or "raw"
        disk.type = "file"
        disk.source.file, disk.source.dev = _image(tmp, n, fmt), None
    chars = [*devices.serials, *devices.consoles, *devices.channels]
    for n, char in enumerate(chars):
        for source in char.sources:
            if source.path is not None and char.type in ("unix", "file"):
                source.path = str(tmp / f"char{n}")
                if char.type == "unix" and source.mode == "connect":
                    # something for QEMU to connect to
                    listener = socket.socket(socket.AF_UNIX)
                    listener.bind(source.path)
                    listener.listen()
                    listeners.append(listener)
            if char.type == "tcp" and source.service is not None:
                source.service = "0"  # any free port
        if char.log is not None:
            char.log.set("file", str(tmp / f"char{n}.log"))
    for graphics in devices.graphics:
        # the corpus's addresses are not this host's, and its fixed ports may be taken
        graphics.port, graphics.autoport = -1, True
        for listen in graphics.listens:
            if listen.socket is not None:
                listen.socket = str(tmp / "vnc.sock")
            if listen.address is not None:
                listen.address = "127.0.0.1"
    return None


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


def _start(argv: list[str], files: RuntimeFiles) -> str:
    log = files.run_dir / "qemu.log"
    with log.open("wb") as err:
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=err, stderr=err)
    try:
        deadline = time.monotonic() + 10
        while not files.monitor_socket.exists():
            if proc.poll() is not None:
                raise RuntimeError(f"QEMU exited {proc.returncode}: {log.read_text()[-500:]}")
            if time.monotonic() > deadline:
                raise RuntimeError("no QMP socket after 10 s")
            time.sleep(0.02)
        return _qmp(files.monitor_socket, deadline, proc)
    finally:
        try:
            proc.wait(timeout=3)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def test_corpus_starts_in_real_qemu(caps: Any, host_cpu_works: bool, tmp_path: Path) -> None:
    corpus = conformance_dir()
    if corpus is None or not (corpus / "xml-to-qemu-argv").is_dir():
        missing_dependency("the conformance corpus (xml-to-qemu-argv) is not available")
    kvm_usable = os.access("/dev/kvm", os.R_OK | os.W_OK) and caps.kvm
    started: list[str] = []
    refused: dict[str, str] = {}
    skipped: dict[str, str] = {}
    failed: dict[str, str] = {}
    listeners: list[socket.socket] = []
    for case in sorted((corpus / "xml-to-qemu-argv").glob("*.xml")):
        name = case.stem
        work = tmp_path / str(len(started) + len(refused) + len(skipped) + len(failed))
        work.mkdir()
        files = RuntimeFiles(monitor_socket=work / "qmp.sock", run_dir=work)
        try:
            domain = Domain.from_xml(case.read_text())
            if domain.type == "kvm" and not kvm_usable:
                domain.type = "qemu"
            reason = _scratch(domain, work, listeners)
            if reason is not None:
                skipped[name] = reason
                continue
            argv = build_command(domain, caps, files)
            if "host" in argv[argv.index("-cpu") + 1].split(",")[:1] and not host_cpu_works:
                skipped[name] = "-cpu host does not start on this host"
                continue
        except UnsupportedConfig as e:
            assert e.message.startswith("/domain"), e.message
            refused[name] = e.message
            continue
        except Exception as e:  # noqa: BLE001 - every other outcome is a failure to report
            failed[name] = f"build: {e!r}"
            continue
        begun = time.monotonic()
        try:
            status = _start(argv, files)
            assert status == "prelaunch", status
            started.append(name)
            if time.monotonic() - begun > 1:
                print(f"slow {name}: {time.monotonic() - begun:.1f} s")
        except Exception as e:  # noqa: BLE001
            log = files.run_dir / "qemu.log"
            failed[name] = f"{e} {log.read_text()[-400:] if log.exists() else ''}\n  {' '.join(argv)}"
        finally:
            for listener in listeners:
                listener.close()
            listeners.clear()
    print(f"\nstarted {len(started)}, refused {len(refused)}, skipped {len(skipped)}, failed {len(failed)}")
    for name, why in sorted(failed.items()):
        print(f"FAILED {name}: {why}")
    for name, why in sorted(skipped.items()):
        print(f"skipped {name}: {why}")
    assert not failed, sorted(failed)
    assert len(started) >= 20

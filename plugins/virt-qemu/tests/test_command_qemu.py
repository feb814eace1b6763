"""Start real QEMU with the command built for each case of libvirt's xml-to-qemu-argv corpus.

Disk images, character device paths and sockets are replaced by scratch files; QEMU starts paused
(-S), must answer query-status on QMP, and is told to quit. What each case must do is listed in
``corpus_qemu_cases.py``: start, be refused naming a given element, or be skipped for a given host
reason. A case that does anything else fails, so a regression and an improvement both show, as a
change of that list.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
from pathlib import Path
from typing import Any

import pytest
from corpus_qemu_cases import REFUSED, STARTS
from qemu_start import host_cpu_starts, needs_host_cpu, start_paused
from virt.testing import missing_dependency, require_corpus
from virt.xml import Domain
from virt_qemu.command import RuntimeFiles, UnsupportedConfig, build_command

pytestmark = pytest.mark.corpus

BINARY = "qemu-system-x86_64"
OVMF_CODE = Path("/usr/share/OVMF/OVMF_CODE_4M.fd")
OVMF_VARS = Path("/usr/share/OVMF/OVMF_VARS_4M.fd")
CASES = sorted({*STARTS, *REFUSED})


@pytest.fixture(scope="module")
def caps(tmp_path_factory: pytest.TempPathFactory) -> Any:
    binary = shutil.which(BINARY)
    if binary is None or shutil.which("qemu-img") is None:
        missing_dependency(f"{BINARY} and qemu-img are needed")
    if not OVMF_CODE.exists():
        missing_dependency(f"{OVMF_CODE} is absent (apt-get install ovmf)")
    from virt_qemu.caps import CapsCache

    return CapsCache(tmp_path_factory.mktemp("caps")).get(binary)


@pytest.fixture(scope="module")
def kvm_usable(caps: Any) -> bool:
    """KVM cases run under KVM when the host has it, else as TCG (<domain type='qemu'>)."""
    return bool(os.access("/dev/kvm", os.R_OK | os.W_OK) and caps.kvm)


@pytest.fixture(scope="module")
def host_cpu_works(caps: Any, kvm_usable: bool) -> bool:
    return kvm_usable and host_cpu_starts(caps.binary)


def _image(tmp: Path, n: int, fmt: str) -> str:
    path = tmp / f"disk{n}.{fmt}"
    subprocess.run(["qemu-img", "create", "-q", "-f", fmt, str(path), "16M"], check=True)
    return str(path)


def _scratch(domain: Domain, tmp: Path, listeners: list[socket.socket]) -> None:
    """Point the domain at scratch files (disk images, firmware, sockets, ports) of this host."""
    os_ = domain.os
    if os_ is not None and os_.loader is not None and os_.loader.path and os_.loader.type == "pflash":
        os_.loader.path = str(OVMF_CODE)
        nvram = os_.nvram
        if nvram is not None:
            vars_copy = tmp / "VARS.fd"
            shutil.copy(OVMF_VARS, vars_copy)
            source = nvram.find("source")
            if nvram.get("type") == "file" and source is not None:
                source.set("file", str(vars_copy))
            elif nvram.get("type") is None:
                nvram.text = str(vars_copy)
    devices = domain.devices
    if devices is None:
        return
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


def outcome(case: Path, caps: Any, kvm_usable: bool, host_cpu_works: bool, work: Path) -> tuple[str, str]:
    """What a case does here: ("started", ""), ("refused", the element the error names) or ("failed", why)."""
    listeners: list[socket.socket] = []
    files = RuntimeFiles(monitor_socket=work / "qmp.sock", run_dir=work)
    try:
        domain = Domain.from_xml(case.read_text())
        if domain.type == "kvm" and not kvm_usable:
            domain.type = "qemu"
        _scratch(domain, work, listeners)
        try:
            argv = build_command(domain, caps, files)
        except UnsupportedConfig as e:
            path, _, reason = e.message.partition(": ")
            assert path.startswith("/domain") and reason, e.message
            return "refused", path
        if needs_host_cpu(argv) and not host_cpu_works:
            # HOST_CPU_REASON: where KVM aborts QEMU on -cpu host/max the case runs under TCG, as
            # virt-install's --virt-type qemu runs it there
            domain.type = "qemu"
            argv = build_command(domain, caps, files)
        try:
            status = start_paused(argv, files)
        except (RuntimeError, OSError) as e:
            return "failed", f"{e}\n  {' '.join(argv)}"
        return ("started", "") if status == "prelaunch" else ("failed", f"QEMU's state is {status!r}")
    finally:
        for listener in listeners:
            listener.close()


def expected(name: str) -> tuple[str, str]:
    """What ``corpus_qemu_cases`` says the case does."""
    return ("started", "") if name in STARTS else ("refused", REFUSED[name])


def test_the_lists_name_every_case_once() -> None:
    corpus = require_corpus("xml-to-qemu-argv")
    assert not (STARTS & REFUSED.keys())
    names = {case.stem for case in corpus.glob("*.xml")}
    assert sorted(names - set(CASES)) == [], "corpus cases missing from corpus_qemu_cases.py"
    assert sorted(set(CASES) - names) == [], "cases of corpus_qemu_cases.py not in the corpus"


@pytest.mark.parametrize("name", CASES)
def test_corpus_case(name: str, caps: Any, kvm_usable: bool, host_cpu_works: bool, tmp_path: Path) -> None:
    case = require_corpus("xml-to-qemu-argv", f"{name}.xml")
    got = outcome(case, caps, kvm_usable, host_cpu_works, tmp_path)
    want = expected(name)
    assert got == want, f"{name}: corpus_qemu_cases.py expects {want}, the case gives {got}"

"""The tiny test guest boots under plain QEMU (no virt-qemu code) and powers off on ``system_powerdown``."""

from __future__ import annotations

import json
import socket
import subprocess
import tempfile
import time
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
from guest import GuestImage, domain_xml

BOOT_TIMEOUT = 60.0
POWEROFF_TIMEOUT = 10.0


def _qmp_read(reader: Any) -> dict[str, Any]:
    """The next reply or greeting (events skipped)."""
    while True:
        line = reader.readline()
        if not line:
            raise AssertionError("QMP closed the connection")
        message: dict[str, Any] = json.loads(line)
        if "event" not in message:
            return message


def _qmp_command(conn: socket.socket, reader: Any, command: str) -> dict[str, Any]:
    conn.sendall(json.dumps({"execute": command}).encode() + b"\n")
    reply = _qmp_read(reader)
    assert "return" in reply, f"QMP {command}: {reply}"
    return reply


def _connect(path: Path, proc: subprocess.Popen[bytes], deadline: float) -> socket.socket:
    while True:
        conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            conn.connect(str(path))
            return conn
        except OSError:
            conn.close()
            if proc.poll() is not None or time.monotonic() > deadline:
                raise
            time.sleep(0.02)


def _wait_for_marker(log: Path, marker: str, proc: subprocess.Popen[bytes], deadline: float) -> None:
    while True:
        text = log.read_text(errors="replace") if log.exists() else ""
        if marker in text:
            return
        if proc.poll() is not None:
            raise AssertionError(f"QEMU exited ({proc.returncode}) before the guest booted; serial log:\n{text}")
        if time.monotonic() > deadline:
            raise AssertionError(f"no {marker!r} within {BOOT_TIMEOUT} s; serial log:\n{text}")
        time.sleep(0.05)


def test_tiny_guest_boots_and_powers_off_on_acpi_button(
    qemu_binary: Path, tiny_guest: GuestImage, tmp_path: Path
) -> None:
    serial = tmp_path / "serial.log"
    stderr = tmp_path / "qemu.stderr"
    sockdir = Path(tempfile.mkdtemp(prefix="vq-"))  # short: a unix socket path has at most 107 bytes
    qmp = sockdir / "qmp.sock"
    argv = [
        str(qemu_binary),
        "-machine", "q35,accel=tcg",
        "-m", "128",
        "-kernel", str(tiny_guest.kernel),
        "-initrd", str(tiny_guest.initrd),
        "-append", tiny_guest.cmdline,
        "-nodefaults",
        "-display", "none",
        "-serial", f"file:{serial}",
        "-qmp", f"unix:{qmp},server=on,wait=off",
        "-no-reboot",
    ]  # fmt: skip
    started = time.monotonic()
    with stderr.open("wb") as err:
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=err, stderr=err)
    try:
        conn = _connect(qmp, proc, started + BOOT_TIMEOUT)
        with conn, conn.makefile("rb") as reader:
            greeting = _qmp_read(reader)
            assert "QMP" in greeting, greeting
            _qmp_command(conn, reader, "qmp_capabilities")
            _wait_for_marker(serial, tiny_guest.marker, proc, started + BOOT_TIMEOUT)
            booted = time.monotonic()
            _qmp_command(conn, reader, "system_powerdown")
            try:
                code = proc.wait(timeout=POWEROFF_TIMEOUT)
            except subprocess.TimeoutExpired:
                raise AssertionError(
                    f"QEMU still runs {POWEROFF_TIMEOUT} s after system_powerdown; serial log:\n"
                    + serial.read_text(errors="replace")
                ) from None
        print(f"booted in {booted - started:.2f} s, powered off in {time.monotonic() - booted:.2f} s")
        assert code == 0, stderr.read_text(errors="replace")
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        qmp.unlink(missing_ok=True)
        sockdir.rmdir()


def test_domain_xml_boots_the_guest_directly(tmp_path: Path) -> None:
    tiny_guest = GuestImage(kernel=Path("/cache/vmlinux"), initrd=Path("/cache/initrd.gz"), cmdline="console=ttyS0")
    log = tmp_path / "serial & log"
    root = ET.fromstring(domain_xml("tiny", tiny_guest, serial_log=log))
    assert root.get("type") == "qemu"
    assert root.findtext("name") == "tiny"
    assert root.findtext("os/kernel") == str(tiny_guest.kernel)
    assert root.findtext("os/initrd") == str(tiny_guest.initrd)
    assert root.findtext("os/cmdline") == tiny_guest.cmdline
    assert root.find("features/acpi") is not None
    assert root.findtext("on_poweroff") == "destroy"
    serial = root.find("devices/serial")
    assert serial is not None and serial.get("type") == "file"
    source = serial.find("source")
    assert source is not None and source.get("path") == str(log)
    assert root.find("devices/disk") is None and root.find("devices/interface") is None
    pty = ET.fromstring(domain_xml("tiny", tiny_guest, virt_type="kvm", memory_mib=64))
    assert pty.get("type") == "kvm" and pty.findtext("memory") == "64"
    serial = pty.find("devices/serial")
    assert serial is not None and serial.get("type") == "pty" and serial.find("source") is None


def test_domain_xml_agent_variants() -> None:
    tiny_guest = GuestImage(kernel=Path("/cache/vmlinux"), initrd=Path("/cache/initrd.gz"), cmdline="console=ttyS0")
    root = ET.fromstring(domain_xml("tiny", tiny_guest, agent="answer", acpi=False))
    assert root.findtext("os/cmdline") == "console=ttyS0 virt.agent=answer virt.acpi=off"
    channel = root.find("devices/channel")
    assert channel is not None and channel.get("type") == "unix"
    target = channel.find("target")
    assert target is not None and target.attrib == {"type": "virtio", "name": "org.qemu.guest_agent.0"}
    no_agent = ET.fromstring(domain_xml("tiny", tiny_guest, channel=True))  # the port, nobody behind it
    assert no_agent.findtext("os/cmdline") == "console=ttyS0" and no_agent.find("devices/channel") is not None
    no_channel = ET.fromstring(domain_xml("tiny", tiny_guest, agent="mute", channel=False))
    assert no_channel.findtext("os/cmdline") == "console=ttyS0 virt.agent=mute"
    assert no_channel.find("devices/channel") is None
    with pytest.raises(ValueError, match="unknown guest agent variant 'qemu-ga'"):
        domain_xml("tiny", tiny_guest, agent="qemu-ga")

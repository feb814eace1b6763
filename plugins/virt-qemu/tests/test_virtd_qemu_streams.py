"""Streams through virtd serving ``qemu:///system``: consoles, screenshots and displays, with Debian's stock
virsh and python3-libvirt, side by side with libvirtd 9.0's QEMU driver on the same tiny Linux guest
(``guest.py``: it prints :data:`guest.MARKER` on its serial console once booted).

The guests of the two daemons run one after the other, never at once, so that both get the same display
ports (5900 up). What must differ is hidden before comparing: the pty a console got, the ids.
"""

from __future__ import annotations

import contextlib
import os
import pty
import re
import select
import signal
import subprocess
import textwrap
import time
import xml.etree.ElementTree as ET
import zlib
from collections.abc import Iterator
from pathlib import Path

import pytest
import virt
from daemon_support import private_virtd, qemu_uri, reference_libvirtd
from guest import MARKER, GuestImage, domain_xml
from virsh_support import virsh, virsh_ok
from virt.testing import VIRSH, missing_dependency, need_virsh

NAME = "vst1"
UUID = "7a3c91e4-52b8-4f0d-b6e2-9d15c0a4f7e3"  # its own: tests kill the QEMUs of their UUID
LIBVIRT_PYTHON = "/usr/bin/python3"
CTRL_CLOSE_BRACKET = b"\x1d"  # virsh console's escape
PTY = re.compile(r"/dev/pts/\d+")


def guest_xml(guest: GuestImage, folder: Path, graphics: str, video: str = "vga") -> Path:
    """The tiny guest with a pty serial console, ``graphics`` (XML) and a ``video`` card."""
    root = ET.fromstring(domain_xml(NAME, guest))
    ET.SubElement(root, "uuid").text = UUID
    devices = root.find("devices")
    assert devices is not None
    console = ET.SubElement(devices, "console", type="pty")
    ET.SubElement(console, "target", type="serial", port="0")
    devices.append(ET.fromstring(graphics))
    ET.SubElement(ET.SubElement(devices, "video"), "model", type=video)
    path = folder / f"{NAME}-{abs(hash(graphics)) % 10000}-{video}.xml"
    path.write_text(ET.tostring(root, encoding="unicode"))
    return path


@pytest.fixture(scope="module")
def daemons() -> Iterator[dict[str, str]]:
    need_virsh()
    with private_virtd() as ours, reference_libvirtd([UUID]) as theirs:
        yield {"virtd": qemu_uri(ours), "libvirtd": qemu_uri(theirs)}


@contextlib.contextmanager
def defined(uri: str, xml: Path) -> Iterator[None]:
    virsh_ok(uri, "define", str(xml))
    try:
        yield
    finally:
        virsh(uri, "destroy", NAME)
        virsh(uri, "undefine", NAME)


def interactive(uri: str, *args: str, until: bytes, timeout: float = 60) -> tuple[int, str]:
    """Run virsh on a pty (virsh console needs a terminal) until ``until`` shows, then press the
    console's escape key; virsh's exit status and what it printed."""
    pid, fd = pty.fork()
    if pid == 0:  # the child: virsh on the pty (never back into pytest)
        try:
            os.execvp(VIRSH, [VIRSH, "-c", uri, *args])
        finally:
            os._exit(127)
    output = bytearray()
    status = None
    try:
        deadline = time.monotonic() + timeout
        while until not in output and time.monotonic() < deadline:
            if not _read_into(fd, output, 0.5):
                break
        # virsh puts the terminal in raw mode (flushing what was typed) just after its greeting: an
        # escape typed before that is lost, so it is typed again until virsh has gone
        deadline = time.monotonic() + 20
        while status is None and time.monotonic() < deadline:
            with contextlib.suppress(OSError):
                os.write(fd, CTRL_CLOSE_BRACKET)
            _read_into(fd, output, 1.0)
            done, code = os.waitpid(pid, os.WNOHANG)
            status = code if done else None
    finally:
        if status is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
            _, status = os.waitpid(pid, 0)
        with contextlib.suppress(OSError):
            while _read_into(fd, output, 0.2):
                pass
        os.close(fd)
    return os.waitstatus_to_exitcode(status), output.decode(errors="replace")


def _read_into(fd: int, output: bytearray, wait: float) -> bool:
    """Whatever the pty has within ``wait`` seconds; False at its end."""
    if not select.select([fd], [], [], wait)[0]:
        return True
    try:
        data = os.read(fd, 65536)
    except OSError:  # EIO: virsh exited and the pty closed
        return False
    output += data
    return bool(data)


def virsh_lines(transcript: str) -> list[str]:
    """virsh's own lines of a console session (the guest's output and polkit's notice left out, and the
    terminal's echo of an escape typed before virsh made it raw)."""
    greeting = "Escape character is ^]"
    lines = []
    for line in transcript.replace("\r", "").splitlines():
        kept = greeting + line[len(greeting) :].replace("^]", "") if line.startswith(greeting) else line
        kept = kept.replace("^]", "") if not kept.startswith(greeting) else kept
        if kept.startswith(("Domain ", "Connected to domain", "Escape character", "error:")):
            lines.append(kept)
    return lines


# -- consoles -----------------------------------------------------------------------------------------------
def test_virsh_console_shows_the_guest_booting_as_with_libvirtd(
    daemons: dict[str, str], tiny_guest: GuestImage, tmp_path: Path
) -> None:
    xml = guest_xml(tiny_guest, tmp_path, "<graphics type='vnc' autoport='yes'/>")
    transcripts = {}
    for daemon, uri in daemons.items():
        with defined(uri, xml):
            code, transcript = interactive(uri, "start", NAME, "--console", until=MARKER.encode())
            assert code == 0, f"{daemon}: {transcript}"
            assert MARKER in transcript, f"{daemon}: the guest's console output is missing: {transcript!r}"
            transcripts[daemon] = virsh_lines(transcript)
    assert transcripts["virtd"] == transcripts["libvirtd"]
    assert transcripts["virtd"] == [
        f"Domain '{NAME}' started",
        f"Connected to domain '{NAME}'",
        "Escape character is ^] (Ctrl + ])",
    ]


def test_one_console_session_at_a_time_unless_forced(
    daemons: dict[str, str], tiny_guest: GuestImage, tmp_path: Path
) -> None:
    """A console held by the Python API (virt's remote client through the daemon) keeps virsh out,
    with libvirt's words; ``--force`` takes it over, and the first holder sees its end."""
    xml = guest_xml(tiny_guest, tmp_path, "<graphics type='vnc' autoport='yes'/>")
    results = {}
    for daemon, uri in daemons.items():
        with defined(uri, xml):
            virsh_ok(uri, "start", NAME)
            with contextlib.closing(virt.open(uri)) as conn:
                holder = conn.lookup_domain(NAME).open_console()
                with holder:
                    refused = interactive(uri, "console", NAME, until=b"for this domain", timeout=20)
                    forced = interactive(uri, "console", NAME, "--force", until=b"Escape character", timeout=20)
                    holder.settimeout(10)
                    rest = b""
                    with contextlib.suppress(OSError):
                        while chunk := holder.recv(4096):
                            rest += chunk
            results[daemon] = (refused[0], virsh_lines(refused[1]), forced[0], virsh_lines(forced[1]))
    assert results["virtd"] == results["libvirtd"]
    assert results["virtd"][1][-1] == "error: operation failed: Active console session exists for this domain"
    assert results["virtd"][2] == 0


def test_python_libvirt_streams_through_virtd(daemons: dict[str, str], tiny_guest: GuestImage, tmp_path: Path) -> None:
    """python3-libvirt's stream API (virStreamRecv, virStreamFinish) on a console and a screenshot."""
    if not Path(LIBVIRT_PYTHON).exists():
        missing_dependency("python3-libvirt is not installed (apt-get install python3-libvirt)")
    xml = guest_xml(tiny_guest, tmp_path, "<graphics type='vnc' autoport='yes'/>")
    script = textwrap.dedent(
        f"""
        import sys, libvirt
        conn = libvirt.open(sys.argv[1])
        dom = conn.lookupByName({NAME!r})
        dom.create()
        st = conn.newStream(0)
        dom.openConsole(None, st, 0)
        seen = b""
        while {MARKER.encode()!r} not in seen:
            chunk = st.recv(4096)
            if not chunk:
                break
            seen += chunk
        st.finish()
        print("console", {MARKER.encode()!r} in seen)
        st = conn.newStream(0)
        mime = dom.screenshot(st, 0, 0)
        image = b""
        while True:
            chunk = st.recv(262144)
            if not chunk:
                break
            image += chunk
        st.finish()
        print("screenshot", mime, image[:8], int.from_bytes(image[16:20], "big"), int.from_bytes(image[20:24], "big"))
        dom.destroy()
        """
    )
    outputs = {}
    for daemon, uri in daemons.items():
        with defined(uri, xml):
            done = subprocess.run(
                [LIBVIRT_PYTHON, "-c", script, uri], capture_output=True, text=True, timeout=120, check=False
            )
            assert done.returncode == 0, f"{daemon}: {done.stderr}"
            outputs[daemon] = done.stdout
    assert outputs["virtd"] == outputs["libvirtd"]
    assert outputs["virtd"].splitlines() == [
        "console True",
        "screenshot image/png b'\\x89PNG\\r\\n\\x1a\\n' 720 400",  # the VGA card's text mode
    ]


# -- screenshots and displays ----------------------------------------------------------------------------------
def png_size(data: bytes) -> tuple[int, int]:
    """A PNG's width and height, once its signature and chunks check out (IHDR first, IEND last)."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", data[:8]
    offset, chunks = 8, []
    while offset < len(data):
        length = int.from_bytes(data[offset : offset + 4], "big")
        kind = data[offset + 4 : offset + 8]
        body = data[offset + 8 : offset + 8 + length]
        crc = int.from_bytes(data[offset + 8 + length : offset + 12 + length], "big")
        assert zlib.crc32(kind + body) == crc, f"bad CRC in the {kind!r} chunk"
        chunks.append(kind)
        offset += 12 + length
    assert chunks[0] == b"IHDR" and chunks[-1] == b"IEND" and b"IDAT" in chunks
    ihdr = data[16:24]
    return int.from_bytes(ihdr[:4], "big"), int.from_bytes(ihdr[4:], "big")


def test_virsh_screenshot_is_an_image_of_the_screen(
    daemons: dict[str, str], tiny_guest: GuestImage, tmp_path: Path
) -> None:
    """libvirt 9.0 with QEMU 7.2 takes PNG screenshots; an image of the guest's screen, its size right."""
    xml = guest_xml(tiny_guest, tmp_path, "<graphics type='vnc' autoport='yes'/>")
    results = {}
    for daemon, uri in daemons.items():
        with defined(uri, xml):
            # once booted, the screen holds still (before, it changes modes)
            code, transcript = interactive(uri, "start", NAME, "--console", until=MARKER.encode())
            assert code == 0 and MARKER in transcript, transcript
            image = tmp_path / f"{daemon}.png"
            saved = virsh_ok(uri, "screenshot", NAME, str(image))
            size = png_size(image.read_bytes())
            out_of_range = virsh(uri, "screenshot", NAME, str(tmp_path / "x.png"), "--screen", "1")
            with contextlib.closing(virt.open(uri)) as conn:  # virt's remote client, typed
                shot = conn.lookup_domain(NAME).screenshot()
            results[daemon] = (
                saved.replace(str(image), "FILE"),
                size,
                out_of_range.stderr,
                shot.mime,
                png_size(shot.data),
            )
    assert results["virtd"] == results["libvirtd"]
    assert results["virtd"][:2] == ("Screenshot saved to FILE, with type of image/png\n", (720, 400))  # VGA text mode
    assert results["virtd"][3:] == ("image/png", (720, 400))


def canonical(element: ET.Element) -> str:
    """An element as text with its attributes sorted (their order is the XML writer's, not a meaning)."""
    attributes = " ".join(f"{k}={v!r}" for k, v in sorted(element.attrib.items()))
    children = "".join(canonical(child) for child in element if child.tag not in ("address", "target"))
    return f"<{element.tag} {attributes}>{(element.text or '').strip()}{children}</{element.tag}>"


def graphics_of(uri: str, *flags: str) -> list[str]:
    """The live <graphics>, <video> and console elements, one line each, ptys hidden."""
    root = ET.fromstring(virsh_ok(uri, "dumpxml", NAME, *flags))
    found = []
    for path in ("./devices/graphics", "./devices/video/model", "./devices/console", "./devices/serial/source"):
        found += [PTY.sub("/dev/pts/N", canonical(element)) for element in root.findall(path)]
    return found


@pytest.mark.parametrize(
    ("graphics", "video", "display"),
    [
        ("<graphics type='vnc' autoport='yes' passwd='s3cret'/>", "vga", "vnc://127.0.0.1:0"),
        ("<graphics type='vnc' port='5907' autoport='no'><listen type='address' address='127.0.0.1'/></graphics>",
         "cirrus", "vnc://127.0.0.1:7"),
        ("<graphics type='spice' autoport='yes'/>", "qxl", "spice://127.0.0.1:5900"),
        ("<graphics type='vnc' autoport='yes'/>", "virtio", "vnc://127.0.0.1:0"),
        ("<graphics type='vnc' autoport='yes'/>", "bochs", "vnc://127.0.0.1:0"),
    ],
)  # fmt: skip
def test_domdisplay_and_the_live_xml_as_with_libvirtd(
    daemons: dict[str, str], tiny_guest: GuestImage, tmp_path: Path, graphics: str, video: str, display: str
) -> None:
    xml = guest_xml(tiny_guest, tmp_path, graphics, video)
    results = {}
    for daemon, uri in daemons.items():
        with defined(uri, xml):
            virsh_ok(uri, "start", NAME)
            results[daemon] = (
                virsh_ok(uri, "domdisplay", NAME).strip(),
                graphics_of(uri),
                graphics_of(uri, "--security-info"),
                graphics_of(uri, "--inactive"),
            )
    assert results["virtd"] == results["libvirtd"]
    assert results["virtd"][0] == display
    if "passwd" in graphics:
        assert "passwd=" not in results["virtd"][1][0]
        assert "passwd='s3cret'" in results["virtd"][2][0]

"""``virt screenshot`` and ``virt domdisplay`` through virtd serving ``qemu:///system``, against stock virsh
on the same running guest: the same exit status, output and errors, and screenshots of the same size.

The guest is firmware-only (SeaBIOS finds nothing to boot and idles: its screen holds still), started
once per display kind: VNC with a password, SPICE with a password, VNC listening on every address,
VNC on a unix socket, and no display at all.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from daemon_support import private_virtd, qemu_uri
from driver_support import firmware_xml
from virsh_support import defined_and_started
from virt.testing import VIRSH, need_virsh

NAME = "vcd1"
UUID = "3e8d0a57-61c4-4b2a-9f0e-c7d25b18a6f4"  # its own: tests kill the QEMUs of their UUID
VIRT = shutil.which("virt", path=str(Path(sys.executable).parent))

DISPLAYS = {
    "vnc-password": "<graphics type='vnc' autoport='yes' passwd='s3cret'/><video><model type='vga'/></video>",
    "spice-password": "<graphics type='spice' autoport='yes' passwd='pw'/><video><model type='qxl'/></video>",
    "vnc-any-address": "<graphics type='vnc' autoport='yes' listen='0.0.0.0'/><video><model type='vga'/></video>",
    "vnc-socket": "<graphics type='vnc'><listen type='socket' socket='SOCKET'/></graphics>"
    "<video><model type='cirrus'/></video>",
    "none": "",
}
EXPECTED = {
    "vnc-password": (0, "vnc://127.0.0.1:N\n", "vnc://:s3cret@127.0.0.1:N\n"),
    "spice-password": (0, "spice://127.0.0.1:N\n", "spice://127.0.0.1:N?password=pw\n"),
    "vnc-any-address": (0, "vnc://localhost:N\n", "vnc://localhost:N\n"),  # a unix socket URI names no host
    "vnc-socket": (0, "vnc+unix://SOCKET\n", "vnc+unix://SOCKET\n"),
    "none": (1, "\n", "\n"),
}
COMMANDS = [
    ["domdisplay", NAME],
    ["domdisplay", NAME, "--include-password"],
    ["domdisplay", NAME, "--all"],
    ["domdisplay", NAME, "--all", "--include-password"],
    ["domdisplay", NAME, "--type", "vnc"],
    ["domdisplay", NAME, "--type", "spice", "--include-password"],
    ["domdisplay", NAME, "--type", "rdp"],
    ["-r", "domdisplay", NAME, "--include-password"],
    ["-r", "domdisplay", NAME],
    ["screenshot", NAME, "FILE"],
    ["screenshot", NAME, "--screen", "1", "FILE"],
    ["-r", "screenshot", NAME, "FILE"],
]


@pytest.fixture(scope="module")
def virtd_uri() -> Iterator[str]:
    need_virsh()
    if VIRT is None:
        pytest.fail("the virt console script is not installed: pip install -e core")
    with private_virtd("vcd") as daemon:
        yield qemu_uri(daemon)


@contextlib.contextmanager
def running(uri: str, devices: str, folder: Path) -> Iterator[None]:
    xml = folder / f"{NAME}.xml"
    xml.write_text(firmware_xml(NAME, uuid=UUID, extra_devices=devices))
    with defined_and_started(uri, NAME, xml):
        yield


def _run(program: str, uri: str, command: list[str], folder: Path) -> tuple[int, str, str, tuple[int, int] | None]:
    """Exit status, output and errors (the file's name hidden), and the image's size (from its PNG header)."""
    folder.mkdir()
    image = folder / "shot.png"
    options, words = (["-r"], command[1:]) if command[0] == "-r" else ([], command)
    argv = [program, *options, "-c", uri, *(str(image) if word == "FILE" else word for word in words)]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=60, check=False)
    size = None
    if image.exists():
        data = image.read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR", data[:16]
        size = (int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big"))
    return done.returncode, done.stdout.replace(str(image), "FILE"), done.stderr, size


@pytest.mark.parametrize("display", list(DISPLAYS))
def test_screenshot_and_domdisplay_print_what_virsh_prints_through_virtd(
    virtd_uri: str, display: str, tmp_path: Path
) -> None:
    socket_path = f"/tmp/{NAME}-{os.getpid()}.sock"  # short: unix socket paths are limited to 107 bytes
    devices = DISPLAYS[display].replace("SOCKET", socket_path)
    with running(virtd_uri, devices, tmp_path):
        results = {}
        for n, command in enumerate(COMMANDS):
            assert VIRT is not None
            ours = _run(VIRT, virtd_uri, command, tmp_path / f"virt{n}")
            theirs = _run(VIRSH, virtd_uri, command, tmp_path / f"virsh{n}")
            assert ours == theirs, command
            results[" ".join(command)] = ours
    # what the two agreed on is what the display is
    status, shown, _, _ = results[f"domdisplay {NAME}"]
    secure = results[f"domdisplay {NAME} --include-password"][1]
    shown, secure = (text.replace(socket_path, "SOCKET") for text in (shown, secure))
    assert (status, re.sub(r":\d+", ":N", shown), re.sub(r":\d+", ":N", secure)) == EXPECTED[display]
    screenshot = results[f"screenshot {NAME} FILE"]
    if display == "none":
        assert screenshot[0] == 1 and screenshot[2].startswith(f"error: could not take a screenshot of {NAME}\n")
    else:
        assert screenshot[:2] == (0, "Screenshot saved to FILE, with type of image/png\n") and screenshot[3]

"""Memory (DIMM) hotplug through stock virsh, virtd serving ``qemu:///system`` side by side with
libvirtd 9.0's QEMU driver, on the same tiny guest (one NUMA cell of 128 MiB, room for 4 DIMMs up to
1 GiB, one DIMM cold-plugged, a balloon; its kernel onlines plugged memory as movable, so it gives
DIMMs back): every step, refusals included, prints the same on both."""

from __future__ import annotations

import contextlib
import itertools
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from daemon_support import remove_guests, side_by_side
from guest import GuestImage, domain_xml
from virsh_support import virsh_in, virsh_ok

NAME = "vqm1"
UUID = "5e1f0c3a-7d2b-4c69-9a41-0f6b2d8e6b01"
BOOT_TIMEOUT = 90.0


def _dimm(size: str, node: str | None = "0", extra: str = "") -> str:
    where = f"<node>{node}</node>" if node is not None else ""
    return f"<memory model='dimm'><target><size unit='MiB'>{size}</size>{where}</target>{extra}</memory>"


DEVICES = {
    "d128.xml": _dimm("128"),
    "slot1.xml": _dimm("128", extra="<address type='dimm' slot='1'/>"),  # libvirt wants the base too
    "base1.xml": _dimm("128", extra="<address type='dimm' slot='1' base='0x108000000'/>"),
    "nonode.xml": _dimm("128", None),
    "node3.xml": _dimm("128", "3"),
    "slot9.xml": _dimm("128", extra="<address type='dimm' slot='9'/>"),
    "huge.xml": _dimm("2048"),
    "odd.xml": _dimm("127"),  # QEMU's pc-dimm wants 2 MiB multiples: libvirt passes QEMU's refusal on
}
MEMORY = ["--xpath", "//devices/memory"]
TOTALS = ["--xpath", "/domain/*[self::memory or self::currentMemory or self::maxMemory]"]
STEPS = [
    ["dumpxml", NAME, "--inactive", *MEMORY],
    ["dumpxml", NAME, *MEMORY],
    ["dumpxml", NAME, *TOTALS],
    *(["attach-device", NAME, refused, "--live"] for refused in ("nonode.xml", "node3.xml", "slot9.xml", "huge.xml")),
    ["attach-device", NAME, "odd.xml", "--live"],
    ["attach-device", NAME, "d128.xml", "--live"],
    ["attach-device", NAME, "d128.xml", "--config"],
    ["dumpxml", NAME, *MEMORY],
    ["dumpxml", NAME, *TOTALS],
    ["dumpxml", NAME, "--inactive", *TOTALS],
    ["detach-device", NAME, "slot1.xml", "--live"],
    ["detach-device", NAME, "base1.xml", "--live"],
    ["dumpxml", NAME, *MEMORY],
    ["dumpxml", NAME, *TOTALS],
    ["detach-device", NAME, "d128.xml", "--config"],
    ["detach-device", NAME, "d128.xml", "--config"],
    ["detach-device", NAME, "d128.xml", "--config"],
    ["dumpxml", NAME, "--inactive", *TOTALS],
]


@contextlib.contextmanager
def _guest(uri: str, folder: Path, tiny_guest: GuestImage) -> Iterator[Path]:
    folder.mkdir()
    log = folder / "serial.log"
    xml = domain_xml(NAME, tiny_guest, serial_log=log, balloon=True, machine="pc")
    xml = xml.replace(f"<name>{NAME}</name>", f"<name>{NAME}</name>\n  <uuid>{UUID}</uuid>")
    xml = xml.replace("</cmdline>", " memhp_default_state=online_movable</cmdline>")
    numa = "<cpu><numa><cell id='0' cpus='0' memory='128' unit='MiB'/></numa></cpu>"
    xml = xml.replace("<vcpu>", f"<maxMemory slots='4' unit='MiB'>1024</maxMemory>{numa}<vcpu>", 1)
    (folder / f"{NAME}.xml").write_text(xml.replace("</devices>", _dimm("128") + "</devices>", 1))
    for name, text in DEVICES.items():
        (folder / name).write_text(text)
    with contextlib.ExitStack() as cleanup:
        cleanup.callback(remove_guests, uri)
        virsh_ok(uri, "define", str(folder / f"{NAME}.xml"))
        virsh_ok(uri, "start", NAME)
        yield log


@pytest.fixture(scope="module")
def daemons(tiny_guest: GuestImage, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, tuple[str, Path]]]:
    with side_by_side(UUID, tmp_path_factory.mktemp("memhp"), _guest, tiny_guest, BOOT_TIMEOUT) as found:
        yield found


def _run(daemon: tuple[str, Path], step: list[str]) -> tuple[int, str, str]:
    uri, folder = daemon
    words = [str(folder / word) if word.endswith(".xml") else word for word in step]
    outcome = virsh_in(uri, folder, words)
    if step[0] == "detach-device" and "--live" in step:
        # the guest lets go within libvirt's 5 s; QEMU's DEVICE_DELETED may come just after the call
        deadline = time.monotonic() + 10
        while "slot='1'" in virsh_ok(uri, "dumpxml", NAME, *MEMORY) and time.monotonic() < deadline:
            time.sleep(0.2)
    return outcome


def test_every_step_prints_what_libvirtd_prints(daemons: dict[str, tuple[str, Path]]) -> None:
    differences = []
    for step in STEPS:
        ours, theirs = _run(daemons["virtd"], step), _run(daemons["libvirtd"], step)
        if ours != theirs:
            differences.append(f"virsh {' '.join(step)}:\n virtd:    {ours}\n libvirtd: {theirs}")
    assert not differences, "\n".join(differences)


def _memory_options(pid: int) -> list[str]:
    """The memory part of a QEMU's command line: -m, -numa, the memory backends and the pc-dimms."""
    argv = Path(f"/proc/{pid}/cmdline").read_bytes().decode().split("\0")
    wanted = {"-m": "", "-numa": "", "-object": "memory-backend", "-device": '"pc-dimm"'}
    return [f"{option} {value}" for option, value in itertools.pairwise(argv) if wanted.get(option, "\0") in value]


def test_the_memory_command_line_is_libvirts(daemons: dict[str, tuple[str, Path]]) -> None:
    from virsh_support import pids_mentioning

    qemus = [pid for pid in pids_mentioning(UUID) if Path(f"/proc/{pid}/exe").resolve().name.startswith("qemu")]
    # libvirtd's QEMU has its master key secret, virtd's none
    theirs = [pid for pid in qemus if b"masterKey0" in Path(f"/proc/{pid}/cmdline").read_bytes()]
    ours = [pid for pid in qemus if pid not in theirs]
    assert len(ours) == len(theirs) == 1, qemus
    expected = _memory_options(theirs[0])
    assert any(option.startswith("-m size=131072k,slots=4,maxmem=1048576k") for option in expected), expected
    assert _memory_options(ours[0]) == expected

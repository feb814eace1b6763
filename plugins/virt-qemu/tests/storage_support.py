"""The storage comparisons' two daemons and what must differ between their answers.

virtd serves ``qemu:///system`` with its storage service under a private ``VIRT_STORAGE_ROOT``;
libvirtd 9.0 runs its QEMU and storage drivers in a private namespace. Each side's pools live
under a folder of its own whose path has the same length (``.../ref/`` and ``.../our/``), so that
virsh's tables come out equally wide; the side's folder becomes ``SIDE`` before comparing.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import attrs
import pytest
from daemon_support import private_qemu_root, qemu_uri, virtd_serving
from virt.testing import VIRSH, missing_dependency, need_virsh, start_libvirtd

UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
TIMESTAMP = re.compile(r"<([amcb]time)>[\d.]+</\1>")
# a pool's sizes are its file system's, which changes between the two runs (other tests write files)
POOL_SIZE_XML = re.compile(
    r"<(capacity|allocation|available) unit='bytes'>\d+</\1>(?=\n  <(allocation|available|source))"
)
POOL_SIZE_TEXT = re.compile(r"^(Capacity|Allocation|Available):(\s+)[\d.]+ \w+$", re.MULTILINE)


def normalise(text: str, side: Path) -> str:
    text = text.replace(str(side), "SIDE")
    text = UUID.sub("UUID", text)
    text = TIMESTAMP.sub(r"<\1>T</\1>", text)
    text = POOL_SIZE_XML.sub(r"<\1 unit='bytes'>N</\1>", text)
    return POOL_SIZE_TEXT.sub(r"\1:\2N", text)


def normalise_details(text: str) -> str:
    """``pool-list --details`` with its size columns as N (virsh sizes the columns to the values)."""
    rows = []
    for line in text.splitlines():
        fields = line.split()
        if len(fields) >= 7 and fields[1] in ("running", "inactive"):
            fields = [*fields[:4], "N", "N", "N"]
        rows.append(" ".join(fields) if fields and set(line.strip()) != {"-"} else line.strip() and "-")
    return "\n".join(rows)


@attrs.frozen
class Side:
    """One way of running the storage commands: a program, its URI, its folder, its environment."""

    name: str
    program: str
    uri: str
    folder: Path
    env: dict[str, str] = attrs.field(factory=dict)

    def run(self, *args: str) -> str:
        """The normalised exit status, output and error of ``args`` (``{SIDE}``: this side's folder)."""
        command = [self.program, "-c", self.uri, *(a.replace("{SIDE}", str(self.folder)) for a in args)]
        done = subprocess.run(
            command, capture_output=True, text=True, timeout=120, check=False, env={**os.environ, **self.env}
        )
        return normalise(f"{done.returncode}\n{done.stdout}{done.stderr}", self.folder)


@contextlib.contextmanager
def sides() -> Iterator[list[Side]]:
    """libvirtd through virsh (the reference), virtd through virsh, and the ``virt`` command in-process
    (its own storage folders), each with a folder for its pools."""
    need_virsh()
    base = Path(tempfile.mkdtemp(prefix="vst", dir="/tmp"))
    for name in ("ref", "our", "cli"):
        (base / name).mkdir()
    virt_command = str(Path(sys.executable).parent / "virt")
    try:
        with (
            private_qemu_root("vst") as root,
            private_qemu_root("vsc") as cli_root,
            pytest.MonkeyPatch.context() as env,
        ):
            env.setenv("VIRT_STORAGE_ROOT", str(root / "storage"))
            with virtd_serving(root) as virtd, start_libvirtd(drivers=("qemu", "storage")) as libvirtd:
                cli_env = {
                    "VIRT_DAEMON": "never",
                    "VIRT_QEMU_ROOT": str(cli_root),  # virtd owns the other root's QEMU driver state
                    "VIRT_STORAGE_ROOT": str(cli_root / "storage"),
                }
                yield [
                    Side("libvirtd", VIRSH, qemu_uri(libvirtd), base / "ref"),
                    Side("virtd", VIRSH, qemu_uri(virtd), base / "our"),
                    Side("virt", virt_command, "qemu:///system", base / "cli", cli_env),
                ]
    finally:
        shutil.rmtree(base, ignore_errors=True)


def mismatches(found: list[Side], step: list[str], tidy: Callable[[str], str] = lambda text: text) -> list[str]:
    """What each side printed for ``step`` that the reference (the first side) did not."""
    reference, *others = found
    theirs = tidy(reference.run(*step))
    wrong = []
    for side in others:
        ours = tidy(side.run(*step))
        if ours != theirs:
            wrong.append(f"{' '.join(step)}\n--- {reference.name}:\n{theirs}\n--- {side.name}:\n{ours}")
    return wrong


@contextlib.contextmanager
def loop_device(image: Path, size: int) -> Iterator[str]:
    """A loop device over a new sparse file of ``size`` bytes."""
    if shutil.which("losetup") is None:
        missing_dependency("losetup (util-linux) is not installed")
    with open(image, "wb") as out:
        out.truncate(size)
    done = subprocess.run(["losetup", "--find", "--show", str(image)], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        missing_dependency(f"no loop device could be set up here: {done.stderr.strip()}")
    device = done.stdout.strip()
    try:
        yield device
    finally:
        subprocess.run(["losetup", "-d", device], check=False)

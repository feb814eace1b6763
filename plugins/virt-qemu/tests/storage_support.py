"""The storage comparisons' two daemons and what must differ between their answers.

virtd serves ``qemu:///system`` with its storage service under a private ``VIRT_STORAGE_ROOT``;
libvirtd 9.0 runs its QEMU and storage drivers in a private namespace. Each side's pools live
under a folder of its own whose path has the same length (``.../ref/`` and ``.../our/``), so that
virsh's tables come out equally wide; the side's folder becomes ``SIDE`` before comparing.
"""

from __future__ import annotations

import contextlib
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from daemon_support import private_qemu_root, qemu_uri, virtd_serving
from virsh_support import virsh
from virt.testing import missing_dependency, need_virsh, start_libvirtd

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


@contextlib.contextmanager
def sides() -> Iterator[tuple[str, Path, str, Path]]:
    """(libvirtd's URI, its folder, virtd's URI, its folder), both daemons running."""
    need_virsh()
    base = Path(tempfile.mkdtemp(prefix="vst", dir="/tmp"))
    ref, our = base / "ref", base / "our"
    ref.mkdir()
    our.mkdir()
    try:
        with private_qemu_root("vst") as root, pytest.MonkeyPatch.context() as env:
            env.setenv("VIRT_STORAGE_ROOT", str(root / "storage"))
            with virtd_serving(root) as virtd, start_libvirtd(drivers=("qemu", "storage")) as libvirtd:
                yield qemu_uri(libvirtd), ref, qemu_uri(virtd), our
    finally:
        shutil.rmtree(base, ignore_errors=True)


def both(ref_uri: str, ref: Path, our_uri: str, our: Path, *args: str) -> tuple[str, str]:
    """virsh ARGS against both daemons (``{SIDE}`` in an argument is the daemon's folder): each
    side's normalised exit status, output and error."""
    outputs = []
    for uri, side in ((ref_uri, ref), (our_uri, our)):
        outcome = virsh(uri, *(a.replace("{SIDE}", str(side)) for a in args))
        outputs.append(normalise(f"{outcome.code}\n{outcome.stdout}{outcome.stderr}", side))
    return outputs[0], outputs[1]


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

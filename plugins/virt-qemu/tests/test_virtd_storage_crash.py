"""SIGKILL of virtd in the middle of vol-create, vol-clone and pool-build: whenever it strikes, no
definition is half-written, every volume the pool lists opens, and a restarted virtd lists the pools
and volumes as they were (plus the one whose work had completed)."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest
from daemon_support import private_qemu_root, qemu_uri, virtd_serving
from virsh_support import virsh_ok
from virt.testing import VIRSH, need_virsh
from virt.xml import StoragePool

KILL_AFTER = (0.05, 0.2, 0.5)
"""Seconds between starting the command and the SIGKILL: early, in the middle, late."""


def listing(uri: str) -> tuple[str, dict[str, list[str]]]:
    pools = virsh_ok(uri, "pool-list", "--all", "--name").split()
    volumes = {pool: virsh_ok(uri, "vol-list", pool).splitlines()[2:] for pool in pools}
    return virsh_ok(uri, "pool-list", "--all"), {
        k: [line.split()[0] for line in v if line.strip()] for k, v in volumes.items()
    }


def killed_during(uri: str, daemon_pid: int, args: list[str], after: float) -> None:
    command = subprocess.Popen([VIRSH, "-c", uri, *args], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(after)
    os.kill(daemon_pid, signal.SIGKILL)
    command.wait(30)


def check_consistent(root: Path, uri: str, pool_folder: Path) -> None:
    for definition in (root / "storage" / "system" / "state" / "pools").glob("*.xml"):
        StoragePool.from_xml(definition.read_text())  # whole: it parses
    for name in virsh_ok(uri, "vol-list", "p").splitlines()[2:]:
        if name.strip():
            path = pool_folder / name.split()[0]
            subprocess.run(["qemu-img", "info", "-U", str(path)], check=True, capture_output=True)


@pytest.mark.parametrize("after", KILL_AFTER)
def test_sigkill_leaves_no_half_made_volume_or_definition(after: float, tmp_path: Path) -> None:
    need_virsh()
    pool_folder = tmp_path / "p"
    with private_qemu_root("vsk") as root, pytest.MonkeyPatch.context() as env:
        env.setenv("VIRT_STORAGE_ROOT", str(root / "storage"))
        with virtd_serving(root) as daemon:
            uri = qemu_uri(daemon)
            virsh_ok(uri, "pool-define-as", "p", "dir", "--target", str(pool_folder))
            virsh_ok(uri, "pool-build", "p")
            virsh_ok(uri, "pool-start", "p")
            virsh_ok(uri, "vol-create-as", "p", "src.img", "256M", "--allocation", "0")
            with open(pool_folder / "src.img", "r+b") as src:
                for offset in range(0, 256 * 2**20, 8 * 2**20):
                    src.seek(offset)
                    src.write(os.urandom(2**20))
            before = listing(uri)
            killed_during(uri, daemon.process.pid, ["vol-clone", "src.img", "copy.qcow2", "--pool", "p"], after)
        with virtd_serving(root) as daemon:
            uri = qemu_uri(daemon)
            check_consistent(root, uri, pool_folder)
            pools, volumes = listing(uri)
            assert pools == before[0]
            assert volumes["p"] in (["src.img"], ["copy.qcow2", "src.img"])
            killed_during(
                uri, daemon.process.pid, ["vol-create-as", "p", "big.qcow2", "8G", "--format", "qcow2",
                                          "--prealloc-metadata"], after
            )  # fmt: skip
        with virtd_serving(root) as daemon:
            uri = qemu_uri(daemon)
            check_consistent(root, uri, pool_folder)
            pools, volumes = listing(uri)
            assert pools == before[0]
            assert set(volumes["p"]) - {"copy.qcow2", "big.qcow2"} == {"src.img"}
            killed_during(
                uri, daemon.process.pid, ["pool-define-as", "q", "dir", "--target", str(tmp_path / "q")], after / 10
            )
        with virtd_serving(root) as daemon:
            uri = qemu_uri(daemon)
            check_consistent(root, uri, pool_folder)
            assert set(virsh_ok(uri, "pool-list", "--all", "--name").split()) in ({"p"}, {"p", "q"})
            virsh_ok(uri, "pool-define-as", "q", "dir", "--target", str(tmp_path / "q"))
            killed_during(uri, daemon.process.pid, ["pool-build", "q"], after / 10)
        with virtd_serving(root) as daemon:
            uri = qemu_uri(daemon)
            check_consistent(root, uri, pool_folder)
            virsh_ok(uri, "pool-build", "q")  # a build cut short can be done again
            virsh_ok(uri, "pool-start", "q")
            leftovers = [p.name for p in pool_folder.iterdir() if p.name.endswith(".virt-partial")]
            virsh_ok(uri, "pool-refresh", "p")
            assert not [p.name for p in pool_folder.iterdir() if p.name.endswith(".virt-partial")], leftovers

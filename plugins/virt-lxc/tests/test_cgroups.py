"""The cgroup layouts (v1, v2, hybrid) and what each setting writes where, on stand-in folders."""

from __future__ import annotations

from pathlib import Path

import pytest
from virt.testing import not_applicable
from virt_lxc.cglayout import parse_mountinfo
from virt_lxc.cgroups import ContainerCgroup
from virt_lxc.hosterror import HostError
from virt_lxc.spec import BlkioDevice, Resources

V1 = """\
31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
32 31 0:29 / /sys/fs/cgroup/cpu,cpuacct rw,relatime - cgroup cgroup rw,cpu,cpuacct
34 31 0:31 / /sys/fs/cgroup/cpuset rw,relatime - cgroup cgroup rw,cpuset
35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
37 31 0:34 / /sys/fs/cgroup/freezer rw,relatime - cgroup cgroup rw,freezer
40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,xattr,name=systemd
99 35 0:32 / /mnt/again\\040memory rw,relatime - cgroup cgroup rw,memory
"""
V2 = "30 23 0:27 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime - cgroup2 cgroup2 rw,nsdelegate\n"
HYBRID = V1 + "41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw\n"


def test_v1_layout() -> None:
    layout = parse_mountinfo(V1, read_controllers=False)
    assert layout.kind == "v1"
    assert layout.for_controller("cpuacct") == layout.for_controller("cpu")  # co-mounted
    assert layout.for_controller("memory").mount == Path("/sys/fs/cgroup/memory")  # type: ignore[union-attr]
    assert layout.for_controller("pids") is None
    # the named systemd hierarchy carries no controller; the second memory mount is the same hierarchy
    assert [str(h.mount) for h in layout.used()] == [
        "/sys/fs/cgroup/cpu,cpuacct", "/sys/fs/cgroup/cpuset", "/sys/fs/cgroup/memory", "/sys/fs/cgroup/freezer",
    ]  # fmt: skip


def test_v2_and_hybrid_layouts(tmp_path: Path) -> None:
    (tmp_path / "cgroup.controllers").write_text("cpuset cpu io memory pids\n")
    layout = parse_mountinfo(V2.replace("/sys/fs/cgroup", str(tmp_path)))
    assert layout.kind == "v2"
    assert layout.for_controller("memory") == layout.v2
    assert layout.for_controller("cpuacct") == layout.v2  # cpu.stat is always there
    assert layout.for_controller("freezer") is None  # v2 freezes with cgroup.freeze, no controller
    hybrid = parse_mountinfo(HYBRID, read_controllers=False)
    assert hybrid.kind == "hybrid"
    assert hybrid.for_controller("memory").version == 1  # type: ignore[union-attr]
    assert hybrid.v2 is not None and hybrid.v2 in hybrid.used()


def fake(tmp_path: Path, version: int, controllers: str, files: dict[str, str]) -> ContainerCgroup:
    folder = tmp_path / f"v{version}" / "part" / "c"
    folder.mkdir(parents=True)
    for name, content in files.items():
        (folder / name).write_text(content)
    return ContainerCgroup.from_text(f"{version} {controllers} {folder}")


def test_v1_settings_are_written_where_libvirt_writes_them(tmp_path: Path) -> None:
    files = dict.fromkeys(("memory.memsw.limit_in_bytes", "blkio.weight", "blkio.weight_device"), "")
    cgroup = fake(tmp_path, 1, "memory,cpu,cpuacct,cpuset,blkio,devices", files)
    cgroup.apply(
        Resources(
            memory_kib=65536, soft_limit_kib=1024, swap_hard_limit_kib=131072, cpu_shares=512, cpu_period=100000,
            cpu_quota=50000, cpuset=(0, 1), memory_nodes=(0,), blkio_weight=300,
        )
    )  # fmt: skip
    folder = cgroup.dirs[0].path
    written = {p.name: p.read_text() for p in folder.iterdir()}
    assert written["memory.limit_in_bytes"] == str(65536 * 1024)
    assert written["memory.soft_limit_in_bytes"] == str(1024 * 1024)
    assert written["memory.memsw.limit_in_bytes"] == str(131072 * 1024)
    assert (written["cpu.shares"], written["cpu.cfs_period_us"], written["cpu.cfs_quota_us"]) == (
        "512",
        "100000",
        "50000",
    )
    assert (written["cpuset.cpus"], written["cpuset.mems"]) == ("0-1", "0")
    assert written["blkio.weight"] == "300"
    assert written["devices.allow"] == "c 10:229 rwm"  # the last of the allowed devices


def test_block_device_limits_name_the_device(tmp_path: Path) -> None:
    import os

    disks = sorted(p.name for p in Path("/sys/block").iterdir() if not p.name.startswith(("loop", "ram")))
    if not disks or not Path(f"/dev/{disks[0]}").exists():
        not_applicable("this machine has no block device to throttle")
    numbers = os.stat(f"/dev/{disks[0]}").st_rdev
    cgroup = fake(tmp_path, 1, "memory,blkio", {"blkio.weight_device": ""})
    device = BlkioDevice(f"/dev/{disks[0]}", weight=500, read_bytes_sec=1000, write_iops_sec=10)
    cgroup.apply(Resources(memory_kib=1, blkio_devices=(device,)))
    folder = cgroup.dirs[0].path
    major_minor = f"{os.major(numbers)}:{os.minor(numbers)}"
    assert (folder / "blkio.weight_device").read_text() == f"{major_minor} 500"
    assert (folder / "blkio.throttle.read_bps_device").read_text() == f"{major_minor} 1000"
    assert (folder / "blkio.throttle.write_iops_device").read_text() == f"{major_minor} 10"
    with pytest.raises(HostError, match="<blkiotune><device><path>/dev/null</path> is not a block device"):
        cgroup.apply(Resources(memory_kib=1, blkio_devices=(BlkioDevice("/dev/null", weight=100),)))


def test_v2_settings(tmp_path: Path) -> None:
    files = {"cpu.max": "max 100000\n", "memory.swap.max": "", "io.weight": ""}
    cgroup = fake(tmp_path, 2, "cpu,memory,io,cpuset", files)
    cgroup.apply(Resources(hard_limit_kib=2048, soft_limit_kib=1024, swap_hard_limit_kib=4096, cpu_shares=20000,
                           cpu_quota=50000, blkio_weight=200))  # fmt: skip
    folder = cgroup.dirs[0].path
    assert (folder / "memory.max").read_text() == str(2048 * 1024)
    assert (folder / "memory.high").read_text() == str(1024 * 1024)
    assert (folder / "memory.swap.max").read_text() == str(2048 * 1024)  # swap beyond the memory limit
    assert (folder / "cpu.weight").read_text() == "10000"  # libvirt clamps shares into cpu.weight's range
    assert (folder / "cpu.max").read_text() == "50000 100000"
    assert (folder / "io.weight").read_text() == "default 200"


def test_missing_controllers_and_files_are_named(tmp_path: Path) -> None:
    no_memory = fake(tmp_path / "a", 1, "cpu", {})
    with pytest.raises(HostError, match="the 'memory' cgroup controller is not available") as caught:
        no_memory.apply(Resources(memory_kib=1))
    assert caught.value.unsupported
    no_weight = fake(tmp_path / "b", 1, "memory,blkio", {})
    with pytest.raises(HostError, match=r"no blkio\.weight or blkio\.bfq\.weight"):
        no_weight.apply(Resources(memory_kib=1, blkio_weight=100))
    no_swap = fake(tmp_path / "c", 1, "memory", {})
    with pytest.raises(HostError, match=r"needs memory\.memsw\.limit_in_bytes"):
        no_swap.apply(Resources(memory_kib=1, swap_hard_limit_kib=2))
    with pytest.raises(HostError, match="the freezer cgroup controller is not available"):
        no_swap.freeze()


def test_text_round_trip() -> None:
    text = "1 cpu,cpuacct /sys/fs/cgroup/cpu/p/c\n2 - /sys/fs/cgroup/unified/p/c"
    assert ContainerCgroup.from_text(text).to_text() == text

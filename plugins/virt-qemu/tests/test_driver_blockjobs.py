"""Block jobs through the QEMU driver (virt_qemu.blockjobs) against real QEMU: one firmware guest
(QEMU's block layer needs no guest OS) whose disk is a four-image qcow2 chain, each image holding
its own byte pattern; pull, commit (inactive, then active with a pivot), copy with a pivot, a
cancelled copy and a resize run on it in turn; the files are read back with qemu-io at the end
(the data QEMU merged or copied is there, nothing lost)."""

from __future__ import annotations

import subprocess
import threading
from pathlib import Path

import pytest
import virt
from driver_support import conn_fixture, firmware_xml, qemu_root_fixture, wait_until  # noqa: F401 - fixtures
from guest import GuestImage, counted, domain_xml, read_counter
from virt.blockjobs import (
    BlockCommitFlags,
    BlockCopyFlags,
    BlockJobAbortFlags,
    BlockJobInfoFlags,
    BlockJobSetSpeedFlags,
    BlockRebaseFlags,
    BlockResizeFlags,
    copy_params,
)
from virt.blockjobs import BlockJobType as T
from virt.domainevents import AnyDomainEvent, DomainEventID, virsh_text

MIB = 1024 * 1024
BOOT_TIMEOUT = 90.0
# the image of each layer and the MiB it writes its pattern to
LAYERS = (("base", 0xA1, 0), ("mid1", 0xB2, 1), ("mid2", 0xC3, 2), ("top", 0xD4, 3))


def _qemu_img(*args: str) -> str:
    return subprocess.run(["qemu-img", *args], check=True, capture_output=True, text=True).stdout


def _holds(path: Path, pattern: int, mib: int) -> bool:
    """Whether the image (read through its chain, as the guest sees it) has ``pattern`` at MiB ``mib``."""
    done = subprocess.run(
        ["qemu-io", "-U", "-r", "-f", "qcow2", "-c", f"read -P {pattern:#x} {mib}M 1M", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    return done.returncode == 0 and "verification failed" not in done.stdout + done.stderr


def _backing(path: Path) -> str | None:
    for line in _qemu_img("info", "-U", str(path)).splitlines():
        if line.startswith("backing file:"):
            return line.split(":", 1)[1].strip().split(" (actual path")[0]
    return None


@pytest.fixture
def images(tmp_path: Path) -> dict[str, Path]:
    paths: dict[str, Path] = {}
    below: Path | None = None
    for name, pattern, mib in LAYERS:
        path = tmp_path / f"{name}.qcow2"
        backing = ["-F", "qcow2", "-b", str(below)] if below is not None else []
        _qemu_img("create", "-q", "-f", "qcow2", *backing, str(path), "16M")
        subprocess.run(
            ["qemu-io", "-f", "qcow2", "-c", f"write -P {pattern:#x} {mib}M 1M", str(path)],
            check=True,
            capture_output=True,
        )
        paths[name] = below = path
    return paths


class Events:
    def __init__(self, conn: virt.Connection) -> None:
        self.lines: list[str] = []
        self._lock = threading.Lock()
        for event_id in (DomainEventID.BLOCK_JOB, DomainEventID.BLOCK_JOB_2):
            conn.register_domain_event(event_id, self._record)

    def _record(self, dom: virt.Domain, event: AnyDomainEvent) -> None:
        with self._lock:
            self.lines.append(virsh_text(dom.name, event))

    def wait_for(self, *lines: str) -> None:
        wait_until(lambda: all(line in self.lines for line in lines), 30, f"{lines} (got {self.lines})")

    def clear(self) -> None:
        with self._lock:
            self.lines.clear()


def _disk_xml(path: Path) -> str:
    return (
        f"<disk type='file' device='disk'><driver name='qemu' type='qcow2'/><source file='{path}'/>"
        "<target dev='vda' bus='virtio'/></disk>"
    )


def test_pull_commit_copy_resize_on_one_guest(conn: virt.Connection, images: dict[str, Path], tmp_path: Path) -> None:
    events = Events(conn)
    dom = conn.define_domain(firmware_xml("bj1", extra_devices=_disk_xml(images["top"])))
    with pytest.raises(virt.VirtError, match=r"^Requested operation is not valid: domain is not running$"):
        dom.block_job_info("vda")
    dom.start()
    assert dom.block_job_info("vda") is None
    with pytest.raises(virt.VirtError, match=r"^invalid argument: disk 'vdz' not found in domain$"):
        dom.block_pull("vdz")

    # pull down to mid1 (libvirt's index 3: top is 1, the images below count up): mid2's data moves
    # into top, whose backing becomes mid1
    with pytest.raises(virt.VirtError, match=r"^invalid argument: could not find backing store index '1' in chain"):
        dom.block_rebase("vda", "vda[1]")
    dom.block_rebase("vda", "vda[3]")
    events.wait_for(
        f"event 'block-job' for domain 'bj1': Block Pull for {images['top']} completed",
        "event 'block-job-2' for domain 'bj1': Block Pull for vda completed",
    )
    assert _backing(images["top"]) == str(images["mid1"])
    # the live disk shows the chain left below its image, as libvirt shows it
    assert f"<source file='{images['mid1']}'/>" in dom.xml() and str(images["mid2"]) not in dom.xml()

    # commit mid1 into base (not the active layer): top's backing is base
    with pytest.raises(virt.VirtError, match="commit of 'vda' active layer requires active flag"):
        dom.block_commit("vda")
    with pytest.raises(virt.VirtError, match=r"^invalid argument: requested target 'vdb' does not match target 'vda'$"):
        dom.block_commit("vda", None, "vdb[3]")
    dom.block_commit("vda", "vda[4]", "vda[3]")
    events.wait_for("event 'block-job-2' for domain 'bj1': Block Commit for vda completed")
    assert _backing(images["top"]) == str(images["base"])
    assert str(images["mid1"]) not in dom.xml() and f"<source file='{images['base']}'/>" in dom.xml()

    # active commit into base, pivoted: the disk is base, in the live and the persistent definitions
    events.clear()
    dom.block_commit("vda", None, None, 0, BlockCommitFlags.ACTIVE)
    events.wait_for("event 'block-job-2' for domain 'bj1': Active Block Commit for vda ready")
    info = dom.block_job_info("vda")
    assert info is not None and info.type == T.ACTIVE_COMMIT and info.cur == info.end
    assert "job='active-commit' ready='yes'" in dom.xml()
    dom.block_job_abort("vda", BlockJobAbortFlags.PIVOT)
    assert dom.block_job_info("vda") is None
    events.wait_for(
        f"event 'block-job' for domain 'bj1': Active Block Commit for {images['base']} completed",
        "event 'block-job-2' for domain 'bj1': Active Block Commit for vda completed",
    )
    assert f"<source file='{images['base']}'/>" in dom.xml()
    assert f"<source file='{images['base']}'/>" in dom.xml(inactive=True)
    # the disk's figures follow it to the base's node (QEMU named it, not the driver)
    assert dom.block_stats("vda").rd_req is not None and dom.block_info("vda").capacity == 16 * MIB

    # a copy to a new image, pivoted: the disk writes to the copy, which holds every layer's data
    events.clear()
    copy = tmp_path / "copy.qcow2"
    with pytest.raises(virt.VirtError, match=r"^Requested operation is not valid: domain is not transient$"):
        dom.block_rebase("vda", str(copy), 0, BlockRebaseFlags.COPY)
    dom.block_copy("vda", f"<disk type='file'><source file='{copy}'/></disk>", flags=BlockCopyFlags.TRANSIENT_JOB)
    seen: list[float] = []
    reached = dom.wait_block_job(
        "vda", until_ready=True, timeout=30, interval=0.05, progress=lambda i: seen.append(i.percent)
    )
    assert reached == virt.blockjobs.BlockJobStatus.READY and seen and seen[-1] == 100.0
    with pytest.raises(virt.VirtError, match=r"disk 'vda' already in active block job"):
        dom.block_pull("vda")
    dom.block_job_abort("vda", BlockJobAbortFlags.PIVOT)
    events.wait_for(
        "event 'block-job-2' for domain 'bj1': Block Copy for vda ready",
        f"event 'block-job' for domain 'bj1': Block Copy for {copy} completed",
    )
    assert f"<source file='{copy}'/>" in dom.xml()
    assert f"<source file='{copy}'/>" in dom.xml(inactive=True)  # libvirt's pivot changes the config too
    assert _backing(copy) is None

    # a copy crawling at 1 KiB/s (shown rounded up to MiB/s), re-capped, then cancelled: the disk
    # stays where it was
    events.clear()
    slow = tmp_path / "slow.qcow2"
    dom.block_copy(
        "vda", f"<disk><source file='{slow}'/></disk>", copy_params(bandwidth=1024), BlockCopyFlags.TRANSIENT_JOB
    )
    info = dom.block_job_info("vda")
    assert info is not None and info.type == T.COPY and info.bandwidth == 1
    dom.block_job_set_speed("vda", 2048, BlockJobSetSpeedFlags.BANDWIDTH_BYTES)
    info = dom.block_job_info("vda", BlockJobInfoFlags.BANDWIDTH_BYTES)
    assert info is not None and info.bandwidth == 2048
    with pytest.raises(virt.VirtError, match=r"^numerical overflow: bandwidth must be less than 8796093022207$"):
        dom.block_job_set_speed("vda", 1 << 62)
    with pytest.raises(virt.VirtError, match="not ready for pivot yet"):
        dom.block_job_abort("vda", BlockJobAbortFlags.PIVOT)
    dom.block_job_abort("vda")
    events.wait_for(f"event 'block-job' for domain 'bj1': Block Copy for {copy} canceled")
    assert dom.block_job_info("vda") is None
    assert f"<source file='{copy}'/>" in dom.xml() and "<mirror" not in dom.xml()

    # resize: QEMU's view of the disk grows
    dom.block_resize("vda", 32 * 1024)
    assert "virtual size: 32 MiB" in _qemu_img("info", "-U", str(copy))
    with pytest.raises(virt.VirtError, match=r"^invalid argument: disk 'vdz' was not found in the domain config$"):
        dom.block_resize("vdz", 1)
    # a new owner of the driver (the QEMU never stopped) takes back a job the previous one started
    stalled = tmp_path / "stalled.qcow2"
    dom.block_copy("vda", f"<disk><source file='{stalled}'/></disk>", copy_params(bandwidth=1024), 4)
    conn.close()
    from virt_qemu import driver as driver_module

    assert not driver_module._instances  # the owner is gone: the next connection makes a new one
    with virt.open("qemu:///system") as again:
        events = Events(again)
        dom = again.lookup_domain_by_name("bj1")
        info = dom.block_job_info("vda", BlockJobInfoFlags.BANDWIDTH_BYTES)
        assert info is not None and info.type == T.COPY and info.bandwidth == 1024
        assert f"file='{stalled}'" in dom.xml()  # the <mirror> as it was
        dom.block_job_abort("vda")
        events.wait_for(f"event 'block-job' for domain 'bj1': Block Copy for {copy} canceled")
        assert dom.block_job_info("vda") is None and "<mirror" not in dom.xml()
        dom.destroy()
    # read once QEMU let go (it keeps some of a qcow2's metadata in memory until then): base took
    # in every layer's data (pulled, committed), and the copy has it all without a backing file
    assert all(_holds(images["base"], pattern, mib) for _, pattern, mib in LAYERS)
    assert all(_holds(copy, pattern, mib) for _, pattern, mib in LAYERS)


def _counts_on(serial_log: Path, beyond: int) -> None:
    wait_until(lambda: max(counted(serial_log), default=0) > beyond + 2, 30, f"the guest to count past {beyond}")


def test_the_guest_counts_on_through_a_commit_a_copy_and_a_resize(
    conn: virt.Connection, qemu_root: Path, tiny_guest: GuestImage
) -> None:
    """Issue 17: the tiny guest keeps a counter on its disk (a qcow2 overlay on a base) while the disk
    is active-committed into its base and pivoted, then copied and pivoted onto the copy: each time
    the guest counts on, its writes land in the new image and the old one stops; a resize reaches
    the guest's kernel (its virtio-blk driver reports the new capacity)."""
    base, top, copy = (qemu_root / f"{name}.qcow2" for name in ("base", "top", "copy"))
    _qemu_img("create", "-q", "-f", "qcow2", str(base), "16M")
    _qemu_img("create", "-q", "-f", "qcow2", "-F", "qcow2", "-b", str(base), str(top), "16M")
    serial_log = qemu_root / "bj2.serial"
    xml = domain_xml("bj2", tiny_guest, serial_log=serial_log, counter_disk=top, counter_format="qcow2")
    # the kernel's notice of a disk's new capacity is informational: shown at loglevel 7
    dom = conn.create_domain(xml.replace("</cmdline>", " loglevel=7</cmdline>"))
    events = Events(conn)
    _counts_on(serial_log, 0)

    dom.block_commit("vda", None, None, 0, BlockCommitFlags.ACTIVE)
    assert dom.wait_block_job("vda", until_ready=True, timeout=60) == virt.blockjobs.BlockJobStatus.READY
    dom.block_job_abort("vda", BlockJobAbortFlags.PIVOT)
    at_pivot = max(counted(serial_log))
    _counts_on(serial_log, at_pivot)
    assert read_counter(base, "qcow2") > at_pivot  # the guest writes to base now
    assert read_counter(top, "qcow2") <= at_pivot + 1  # and no longer to top

    dom.block_copy("vda", f"<disk type='file'><source file='{copy}'/></disk>", flags=BlockCopyFlags.TRANSIENT_JOB)
    assert dom.wait_block_job("vda", until_ready=True, timeout=60) == virt.blockjobs.BlockJobStatus.READY
    dom.block_job_abort("vda", BlockJobAbortFlags.PIVOT)
    at_pivot = max(counted(serial_log))
    _counts_on(serial_log, at_pivot)
    assert read_counter(copy, "qcow2") > at_pivot
    assert read_counter(base, "qcow2") <= at_pivot + 1
    assert f"<source file='{copy}'/>" in dom.xml()
    events.wait_for(
        "event 'block-job-2' for domain 'bj2': Active Block Commit for vda completed",
        "event 'block-job-2' for domain 'bj2': Block Copy for vda completed",
    )

    dom.block_resize("vda", 32 * MIB, BlockResizeFlags.BYTES)
    wait_until(
        lambda: "capacity change from 32768 to 65536" in serial_log.read_text(errors="replace"),
        30,
        "the guest's kernel to see the disk grow (16 MiB to 32 MiB, in 512-byte sectors)",
    )
    dom.destroy()

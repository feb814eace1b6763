"""Live migration of the tiny guest between two virtd hosts, each in a network namespace of its own
(joined by a veth pair), each with its own state and host UUID, over qemu+tcp.

The guest counts on its serial console (``count N`` ten times a second, a wrapper run as the
initramfs' ``rdinit`` before the usual init); both hosts' QEMUs append to the same console file, so
the file shows the count across every move: it must never go back. The guest moves with the
Python API (the client between the hosts), stock virsh peer to peer and client-managed, and ``virt
migrate --p2p``; the source ends with no QEMU, the destination keeps the definition with
--persistent. Then a guest dirtying its memory faster than the bandwidth cap meets the stall policy.
"""

from __future__ import annotations

import contextlib
import gzip
import itertools
import os
import re
import stat
import subprocess
import sys
import time
import uuid as uuid_module
from collections.abc import Iterator
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest
from daemon_support import private_qemu_root, qemu_uri, remove_guests
from guest import GuestImage, _Cpio, domain_xml
from virsh_support import virsh
from virt.daemon.testing import Virtd, start_virtd
from virt.testing import need_virsh
from virt.testing.fakessh import write_fake_ssh
from virt.testing.netns import need_netns

NAME = "vmig1"
UUID = "6b0e2c4d-91f3-4a7e-b8d5-2c1f0a9e7d31"
NET = "10.77.41"
BOOT_TIMEOUT = 90.0
COUNTING = re.compile(r"count (\d+)")

# run as rdinit: a counter on the console (and, with virt.dirty=on, a memory dirtier), then the usual init
WRAPPER = """#!/bin/sh
/bin/busybox sh -c '
while [ ! -e /dev/ttyS0 ]; do /bin/busybox usleep 50000; done
n=0
while :; do n=$((n+1)); echo "count $n" > /dev/ttyS0; /bin/busybox usleep 100000; done' &
/bin/busybox sh -c '
while [ ! -e /proc/cmdline ]; do /bin/busybox usleep 50000; done
case " $(/bin/busybox cat /proc/cmdline) " in *" virt.dirty=on "*) ;; *) exit 0 ;; esac
/bin/busybox mkdir -p /dirty
/bin/busybox dd if=/dev/urandom of=/dirty/seed bs=1M count=24 2>/dev/null
while :; do /bin/busybox cat /dirty/seed > /dirty/copy; done' &
exec /init
"""


@contextlib.contextmanager
def _namespaces() -> Iterator[tuple[str, str]]:
    """Two network namespaces joined by a veth pair: NET.1 in the first, NET.2 in the second."""
    need_netns()
    tag = os.getpid() % 100000
    names = (f"vmiga{tag}", f"vmigb{tag}")
    ends = (f"vma{tag}", f"vmb{tag}")

    def ip(*words: str) -> None:
        subprocess.run(["ip", *words], check=True, capture_output=True)

    try:
        for name in names:
            ip("netns", "add", name)
        ip("link", "add", ends[0], "type", "veth", "peer", "name", ends[1])
        for number, (name, end) in enumerate(zip(names, ends, strict=True), 1):
            ip("link", "set", end, "netns", name)
            ip("-n", name, "addr", "add", f"{NET}.{number}/24", "dev", end)
            ip("-n", name, "link", "set", end, "up")
            ip("-n", name, "link", "set", "lo", "up")
        yield names
    finally:
        for name in names:
            subprocess.run(["ip", "netns", "del", name], capture_output=True)


@contextlib.contextmanager
def _host(namespace: str, address: str, prefix: str) -> Iterator[tuple[Virtd, Path]]:
    """virtd --system in ``namespace``, listening on ``address``:16509 too, with its own state and host UUID."""
    with private_qemu_root(prefix) as root, pytest.MonkeyPatch.context() as env:
        env.setenv("VIRT_QEMU_ROOT", str(root))
        env.setenv("VIRT_HOST_UUID", str(uuid_module.uuid4()))
        with start_virtd(
            system=True,
            prefix=("ip", "netns", "exec", namespace),
            listen_addr=address,
            settings="listen_tcp = true\ntcp_port = 16509",
        ) as daemon:
            try:
                yield daemon, root
            finally:
                remove_guests(qemu_uri(daemon))


@pytest.fixture(scope="module")
def hosts() -> Iterator[dict[str, tuple[Virtd, Path]]]:
    with _namespaces() as (a, b), _host(a, f"{NET}.1", "vma") as first, _host(b, f"{NET}.2", "vmb") as second:
        yield {"a": first, "b": second}


def _tcp(host: str) -> str:
    return f"qemu+tcp://{NET}.{1 if host == 'a' else 2}/system"


def _guest_files(tiny_guest: GuestImage, folder: Path) -> Path:
    """The guest's initramfs with the counting wrapper appended (a second archive, as the kernel allows)."""
    archive = _Cpio()
    archive.file("migrate-init", WRAPPER.encode(), 0o755)
    # the shell gives a background job /dev/null as its input before init mounted devtmpfs
    archive.node("dev/null", stat.S_IFCHR | 0o666, (1, 3))
    initrd = folder / "initrd-counting.gz"
    initrd.write_bytes(tiny_guest.initrd.read_bytes() + gzip.compress(archive.finish(), mtime=0))
    return initrd


def _definition(tiny_guest: GuestImage, folder: Path, log: Path, *, dirty: bool = False) -> str:
    xml = domain_xml(
        NAME,
        tiny_guest,
        serial_log=log,
        memory_mib=128,
    )
    root = ET.fromstring(xml)
    ET.SubElement(root, "uuid").text = UUID
    root.find("os/initrd").text = str(_guest_files(tiny_guest, folder))  # type: ignore[union-attr]
    cmdline = root.find("os/cmdline")
    assert cmdline is not None
    cmdline.text = f"{cmdline.text} rdinit=/migrate-init" + (" virt.dirty=on" if dirty else "")
    source = root.find("devices/serial/source")
    assert source is not None
    source.set("append", "on")  # both hosts' QEMUs write the one console file in turn
    return ET.tostring(root, encoding="unicode")


def _counts(log: Path) -> list[int]:
    return [int(m.group(1)) for m in COUNTING.finditer(log.read_text(errors="replace"))] if log.exists() else []


def _wait_counting(log: Path, beyond: int, timeout: float = BOOT_TIMEOUT) -> int:
    """Wait until the guest counted past ``beyond``; the last count."""
    deadline = time.monotonic() + timeout
    while True:
        counts = _counts(log)
        if counts and counts[-1] > beyond:
            return counts[-1]
        if time.monotonic() > deadline:
            raise AssertionError(f"the guest did not count past {beyond} in {timeout:g}s: {counts[-5:]}")
        time.sleep(0.2)


def _never_back(log: Path) -> None:
    counts = _counts(log)
    backs = [(a, b) for a, b in itertools.pairwise(counts) if b < a]
    assert not backs, f"the counter went back: {backs[:5]}"


def _qemus_of(root: Path) -> list[str]:
    found = subprocess.run(["pgrep", "-af", str(root)], capture_output=True, text=True).stdout
    return [line for line in found.splitlines() if "qemu" in line]


def _virt(uri: str, *words: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "virt.cli.main", "-c", uri, *words], capture_output=True, text=True, timeout=180
    )


def test_live_migration_there_and_back(
    hosts: dict[str, tuple[Virtd, Path]], tiny_guest: GuestImage, tmp_path: Path
) -> None:
    import virt
    from virt.migration import MigrateFlags, MigrationParams

    need_virsh()
    (a, root_a), (b, root_b) = hosts["a"], hosts["b"]
    uri_a, uri_b = qemu_uri(a), qemu_uri(b)
    tmp_path.chmod(0o755)
    log = tmp_path / "console.log"
    with virt.open(uri_a) as conn_a, virt.open(uri_b) as conn_b:
        conn_a.define_domain(_definition(tiny_guest, tmp_path, log)).start()
        seen = _wait_counting(log, 5)

        # 1. the Python API, this process between the two hosts; the source forgets the domain
        moved = conn_a.lookup_domain_by_name(NAME).migrate(
            conn_b,
            flags=MigrateFlags.LIVE | MigrateFlags.PERSIST_DEST | MigrateFlags.UNDEFINE_SOURCE,
            params=MigrationParams(uri=f"tcp:{NET}.2"),
        )
        assert moved is not None and moved.is_active() and moved.is_persistent()
        assert moved.state().state.name == "RUNNING"
        assert NAME not in [d.name for d in conn_a.list_domains()]
        assert _qemus_of(root_a) == []
        seen = _wait_counting(log, seen + 5)
        job = moved.job_info(completed=True)
        assert job.type.name == "COMPLETED", job

    # 2. stock virsh, peer to peer: B's virtd drives A's over qemu+tcp
    done = virsh(
        uri_b, "migrate", "--live", "--p2p", "--persistent", "--undefinesource", "--verbose",
        NAME, _tcp("a"), "--migrateuri", f"tcp:{NET}.1",
    )  # fmt: skip
    assert done.code == 0, done.stderr
    assert "Migration: [100 %]" in done.stderr or "Migration: [100" in done.stdout + done.stderr
    assert virsh(uri_a, "domstate", NAME, "--reason").stdout.strip() == "running (migrated)"
    assert virsh(uri_b, "list", "--all", "--name").stdout.split() == []
    assert _qemus_of(root_b) == []
    seen = _wait_counting(log, seen + 5)

    # 3. stock virsh between the hosts (not peer to peer): B gets a transient guest, A keeps the definition
    done = virsh(uri_a, "migrate", "--live", NAME, uri_b, "--migrateuri", f"tcp:{NET}.2")
    assert done.code == 0, done.stderr
    assert virsh(uri_a, "domstate", NAME, "--reason").stdout.strip() == "shut off (migrated)"
    # the source keeps the finished job: virt prints it as virsh does
    theirs = virsh(uri_a, "domjobinfo", NAME, "--completed").stdout
    assert "Operation:        Outgoing migration" in theirs and "Total downtime:" in theirs
    assert _virt(uri_a, "domjobinfo", NAME, "--completed").stdout == theirs
    assert virsh(uri_b, "dominfo", NAME).stdout.count("Persistent:     no") == 1
    assert _qemus_of(root_a) == []
    seen = _wait_counting(log, seen + 5)

    # 4. virt's own CLI: the tunables, then peer to peer back to A, where it runs under its old definition
    assert _virt(uri_b, "migrate-getspeed", NAME).stdout.strip() == "8796093022207"
    assert _virt(uri_b, "migrate-setspeed", NAME, "500").returncode == 0
    assert _virt(uri_b, "migrate-getspeed", NAME).stdout.strip() == "500"
    assert _virt(uri_b, "migrate-setmaxdowntime", NAME, "400").returncode == 0
    assert _virt(uri_b, "migrate-getmaxdowntime", NAME).stdout.strip() == "400"
    assert (
        _virt(uri_b, "migrate-compcache", NAME, "--size", "67108864").stdout.strip() == "Compression cache: 64.000 MiB"
    )
    assert virsh(uri_b, "migrate-compcache", NAME).stdout.strip() == "Compression cache: 64.000 MiB"
    assert virsh(uri_b, "migrate-getmaxdowntime", NAME).stdout.strip() == "400"
    assert (
        virsh(uri_b, "domjobabort", NAME).stderr.strip()
        == "error: Requested operation is not valid: no job is active on the domain"
    )
    back = _virt(uri_b, "migrate", "--live", "--p2p", "--verbose", NAME, _tcp("a"), "--migrateuri", f"tcp:{NET}.1")
    assert back.returncode == 0, back.stderr
    assert "Migration: [100 %]" in back.stderr
    assert virsh(uri_a, "domstate", NAME, "--reason").stdout.strip() == "running (migrated)"
    assert virsh(uri_a, "dominfo", NAME).stdout.count("Persistent:     yes") == 1
    assert virsh(uri_b, "list", "--all", "--name").stdout.split() == []
    seen = _wait_counting(log, seen + 5)

    # 5. over qemu+ssh: virt migrate --p2p (A's virtd reaching B through ssh), then stock virsh reaching
    # both hosts through ssh itself (client-managed)
    ssh = write_fake_ssh(tmp_path)  # ssh standing for the hop to the other host (its socket is visible here)

    def over_ssh(daemon: Virtd, host: str) -> str:
        return f"qemu+ssh://{host}/system?socket={daemon.socket}&command={ssh}"

    moved = _virt(uri_a, "migrate", "--live", "--p2p", NAME, over_ssh(b, "hostb"), "--migrateuri", f"tcp:{NET}.2")
    assert moved.returncode == 0, moved.stderr
    assert virsh(uri_b, "domstate", NAME, "--reason").stdout.strip() == "running (migrated)"
    seen = _wait_counting(log, seen + 5)
    done = virsh(over_ssh(b, "hostb"), "migrate", "--live", NAME, over_ssh(a, "hosta"), "--migrateuri", f"tcp:{NET}.1")
    assert done.code == 0, done.stderr
    assert virsh(uri_a, "domstate", NAME, "--reason").stdout.strip() == "running (migrated)"
    _wait_counting(log, seen + 5)
    _never_back(log)

    # 6. a client that prepared an incoming migration and went away leaves no paused guest behind
    with virt.open(uri_a) as conn_a, virt.open(uri_b) as lone:
        ref = conn_a.lookup_domain_by_name(NAME).ref
        cookie, xml = conn_a.driver.migrate_begin(ref, MigrationParams(), MigrateFlags.LIVE)
        lone.driver.migrate_prepare(cookie, MigrationParams(dest_xml=xml, uri=f"tcp:{NET}.2"), MigrateFlags.LIVE)
        assert virsh(uri_b, "domstate", NAME, "--reason").stdout.strip() == "paused (migrating)"
    deadline = time.monotonic() + 10
    while virsh(uri_b, "list", "--all", "--name").stdout.split() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert virsh(uri_b, "list", "--all", "--name").stdout.split() == []
    assert _qemus_of(root_b) == []
    virsh(uri_a, "destroy", NAME)
    virsh(uri_a, "undefine", NAME)


def test_stall_policy_aborts_a_migration_that_does_not_converge(
    hosts: dict[str, tuple[Virtd, Path]], tiny_guest: GuestImage, tmp_path: Path
) -> None:
    import virt
    from virt.errors import VirtError
    from virt.migration import MigrateFlags, MigrationParams, StallPolicy

    (a, _), (b, root_b) = hosts["a"], hosts["b"]
    tmp_path.chmod(0o755)
    log = tmp_path / "console.log"
    samples: list[int] = []
    with virt.open(qemu_uri(a)) as conn_a, virt.open(qemu_uri(b)) as conn_b:
        domain = conn_a.create_domain(_definition(tiny_guest, tmp_path, log, dirty=True))
        _wait_counting(log, 20)  # the dirtier runs by now
        # at 32 MiB/s a 10 ms pause covers 0.3 MiB: what the dirtier keeps dirty never fits in it
        domain.migrate_set_max_downtime(10)
        assert domain.migrate_get_max_downtime() == 10
        started = time.monotonic()
        with pytest.raises(VirtError) as failure:
            domain.migrate(
                conn_b,
                flags=MigrateFlags.LIVE,
                params=MigrationParams(uri=f"tcp:{NET}.2", bandwidth=32),
                listener=lambda job: samples.append(job.data_remaining),
                stall=StallPolicy(2.0),
            )
        took = time.monotonic() - started
        message = failure.value.message
        assert message.startswith("migration stalled: "), message
        assert "has not shrunk for" in message and "aborted" in message and "canceled by client" in message
        assert took < 60, took
        assert samples, "the progress listener was never told"
        assert domain.state().state.name == "RUNNING"
        assert domain.job_info(completed=True).type.name == "CANCELLED"
        assert [d.name for d in conn_b.list_domains()] == []
        assert _qemus_of(root_b) == []
        count = _counts(log)[-1]
        _wait_counting(log, count + 3, timeout=30)  # the guest goes on where it was

        # virt migrate --timeout: the guest suspended after 2 s, the rest moves and it runs over there
        moved = _virt(
            qemu_uri(a), "migrate", "--live", "--timeout", "2", "--bandwidth", "32",
            NAME, qemu_uri(b), "--migrateuri", f"tcp:{NET}.2",
        )  # fmt: skip
        assert moved.returncode == 0, moved.stderr
        assert "migration timed out: suspending the domain" in moved.stderr + moved.stdout
        assert virsh(qemu_uri(b), "domstate", NAME, "--reason").stdout.strip() == "running (migrated)"
        _wait_counting(log, _counts(log)[-1] + 3, timeout=30)

        # the stall again, switched to post-copy by virt migrate: the guest ends up back at A
        assert _virt(qemu_uri(b), "migrate-setmaxdowntime", NAME, "10").returncode == 0
        moved = _virt(
            qemu_uri(b), "migrate", "--live", "--postcopy", "--stall-timeout", "2", "--stall-postcopy",
            "--bandwidth", "32", NAME, qemu_uri(a), "--migrateuri", f"tcp:{NET}.1",
        )  # fmt: skip
        assert moved.returncode == 0, moved.stderr
        assert "has not shrunk for" in moved.stdout and "switched to post-copy" in moved.stdout, moved.stdout
        assert virsh(qemu_uri(a), "domstate", NAME, "--reason").stdout.strip().startswith("running")
        assert [d.name for d in conn_b.list_domains()] == []
        _wait_counting(log, _counts(log)[-1] + 3, timeout=30)
        _never_back(log)
        conn_a.lookup_domain_by_name(NAME).destroy()


def test_migration_with_libvirtd_on_the_other_side(tiny_guest: GuestImage, tmp_path: Path) -> None:
    """libvirt 9.0's libvirtd as the peer, both ways: to it with this process between the hosts,
    back peer to peer with libvirtd driving virtd over qemu+tcp (one machine, told apart by host UUID);
    each daemon sends the same lifecycle events in the same role."""
    import virt
    from virt.domainevents import DomainEventID
    from virt.migration import MigrateFlags, MigrationParams
    from virt.testing import start_libvirtd

    tmp_path.chmod(0o755)
    log = tmp_path / "console.log"
    flags = MigrateFlags.LIVE | MigrateFlags.PERSIST_DEST | MigrateFlags.UNDEFINE_SOURCE
    events: dict[str, list[str]] = {"virtd": [], "libvirtd": []}

    def settle() -> dict[str, list[str]]:
        time.sleep(1)  # the events of the last phase reach this process
        seen = {daemon: list(got) for daemon, got in events.items()}
        for got in events.values():
            got.clear()
        return seen

    with private_qemu_root() as root, pytest.MonkeyPatch.context() as env:
        env.setenv("VIRT_QEMU_ROOT", str(root))
        env.setenv("VIRT_HOST_UUID", str(uuid_module.uuid4()))
        with start_virtd(system=True, tcp=True) as ours, start_libvirtd(drivers=("qemu",)) as theirs:
            try:
                with virt.open(qemu_uri(ours)) as conn_ours, virt.open(qemu_uri(theirs)) as conn_theirs:
                    for daemon, conn in (("virtd", conn_ours), ("libvirtd", conn_theirs)):
                        conn.add_domain_event_callback(
                            lambda _, event, daemon=daemon: events[daemon].append(f"{event.type.name} {event.detail}")
                        )
                        for kind in (DomainEventID.MIGRATION_ITERATION, DomainEventID.JOB_COMPLETED):
                            conn.register_domain_event(
                                kind, lambda _, event, daemon=daemon: events[daemon].append(type(event).__name__)
                            )
                    conn_ours.define_domain(_definition(tiny_guest, tmp_path, log)).start()
                    seen = _wait_counting(log, 5)
                    settle()
                    there = conn_ours.lookup_domain_by_name(NAME).migrate(
                        conn_theirs, flags=flags, params=MigrationParams(uri="tcp:127.0.0.1")
                    )
                    assert there is not None and there.state().state.name == "RUNNING" and there.is_persistent()
                    assert _qemus_of(root) == []
                    assert NAME not in [d.name for d in conn_ours.list_domains()]
                    to_libvirtd = settle()
                    seen = _wait_counting(log, seen + 5)
                    there.migrate(
                        dest_uri=ours.uri("tcp", driver="qemu", path="/system"),
                        flags=flags | MigrateFlags.PEER2PEER,
                        params=MigrationParams(uri="tcp:127.0.0.1"),
                    )
                    back = conn_ours.lookup_domain_by_name(NAME)
                    assert back.state().state.name == "RUNNING" and back.is_persistent()
                    assert [d.name for d in conn_theirs.list_domains()] == []
                    to_virtd = settle()
                    for seen_events in (to_libvirtd["virtd"], to_virtd["libvirtd"]):  # the sources
                        passes = seen_events.count("MigrationIterationEvent")
                        assert passes >= 1 and seen_events.count("JobCompletedEvent") == 1, seen_events
                        lifecycle = [e for e in seen_events if not e.endswith("Event")]
                        assert lifecycle == ["SUSPENDED 1", "STOPPED 3"], seen_events
                    assert to_libvirtd["libvirtd"] == to_virtd["virtd"] == ["STARTED 1", "DEFINED 0", "RESUMED 1"]
                    _wait_counting(log, seen + 5)
                    _never_back(log)
            finally:
                remove_guests(qemu_uri(ours))
                remove_guests(qemu_uri(theirs))


def test_copy_storage_all(hosts: dict[str, tuple[Virtd, Path]], tiny_guest: GuestImage, tmp_path: Path) -> None:
    """--copy-storage-all: a disk the hosts do not share (another file at the destination, named by
    --xml) is mirrored over NBD while the guest runs; both files end up alike."""
    import virt
    from virt.migration import MigrateFlags, MigrationParams

    (a, root_a), (b, _) = hosts["a"], hosts["b"]
    tmp_path.chmod(0o755)
    log = tmp_path / "console.log"
    here, there = tmp_path / "here.img", tmp_path / "there.img"
    here.write_bytes(bytes(range(256)) * 4096 * 8)  # 8 MiB the guest never writes
    there.write_bytes(b"\0" * here.stat().st_size)  # the destination's image must be there, as libvirt wants
    xml = ET.fromstring(_definition(tiny_guest, tmp_path, log))
    disk = ET.SubElement(xml.find("devices"), "disk", type="file", device="disk")  # type: ignore[arg-type]
    ET.SubElement(disk, "driver", name="qemu", type="raw")
    ET.SubElement(disk, "source", file=str(here))
    ET.SubElement(disk, "target", dev="vda", bus="virtio")
    with virt.open(qemu_uri(a)) as conn_a, virt.open(qemu_uri(b)) as conn_b:
        domain = conn_a.create_domain(ET.tostring(xml, encoding="unicode"))
        seen = _wait_counting(log, 5)
        moved_xml = domain.xml().replace(str(here), str(there))
        moved = domain.migrate(
            conn_b,
            flags=MigrateFlags.LIVE | MigrateFlags.NON_SHARED_DISK,
            params=MigrationParams(uri=f"tcp:{NET}.2", dest_xml=moved_xml),
        )
        assert moved is not None and moved.state().state.name == "RUNNING"
        assert str(there) in moved.xml()
        assert _qemus_of(root_a) == []
        assert there.read_bytes() == here.read_bytes()
        _wait_counting(log, seen + 5)
        _never_back(log)
        moved.destroy()

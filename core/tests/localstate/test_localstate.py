"""virt.localstate: the toolkit of drivers that keep local state (QEMU, LXC)."""

from __future__ import annotations

import os
import signal
import stat
import time
import uuid
from pathlib import Path

import attrs
import pytest
from virt.errors import VirtError, XMLError
from virt.localstate import files, hostinfo, layout, ownerlock
from virt.localstate.definitions import DefinitionStore
from virt.localstate.ids import IdCounter
from virt.localstate.layout import StateLayout
from virt.localstate.status import STATE, StatusFiles
from virt.states import DomainState
from virt.xml import Domain
from virt.xml.base import XmlModel, attribute, child, model


@attrs.frozen
class Paths(StateLayout):
    state_dir: Path
    run_dir: Path


def _paths(tmp_path: Path) -> Paths:
    paths = Paths(tmp_path / "state", tmp_path / "run")
    for folder in (paths.domains_dir, paths.autostart_dir, paths.status_dir):
        folder.mkdir(parents=True)
    return paths


def _domain(name: str) -> Domain:
    return Domain.from_xml(
        f"<domain type='kvm'><name>{name}</name><uuid>{uuid.uuid4()}</uuid><memory>1024</memory>"
        "<os><type>hvm</type></os></domain>"
    )


# -- files ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("durable", [True, False])
def test_atomic_write_replaces_whole_and_leaves_no_temporary(tmp_path: Path, durable: bool) -> None:
    target = tmp_path / "file.xml"
    target.write_text("old")
    files.atomic_write(target, "new text", 0o640, durable=durable)
    assert target.read_text() == "new text"
    assert stat.S_IMODE(target.stat().st_mode) == 0o640
    assert [p.name for p in tmp_path.iterdir()] == ["file.xml"]


def test_atomic_write_failing_keeps_the_old_text(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "file.xml"
    target.write_text("old")

    def broken(fd: int) -> None:
        raise OSError(5, "I/O error")

    monkeypatch.setattr(os, "fsync", broken)
    with pytest.raises(OSError):
        files.atomic_write(target, "new")
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["file.xml"]


def test_remove_is_quiet_about_a_missing_file(tmp_path: Path) -> None:
    target = tmp_path / "gone"
    files.remove(target)
    target.write_text("x")
    files.remove(target, durable=False)
    assert not target.exists()


# -- definitions and autostart ------------------------------------------------------------------------
def test_definitions_are_synced_as_libvirt_syncs_them(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """virFileRewrite's rule: the new file's content reaches the disk before it replaces the old one;
    the folder is not synced, and an undefine is a bare unlink."""
    synced: list[str] = []
    real_fsync = os.fsync

    def recording(fd: int) -> None:
        synced.append("folder" if stat.S_ISDIR(os.fstat(fd).st_mode) else "file")
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", recording)
    paths = _paths(tmp_path)
    store = DefinitionStore(paths)
    store.save(_domain("a"))
    assert synced == ["file"]
    assert [p.name for p in paths.domains_dir.iterdir()] == ["a.xml"]
    store.delete("a")
    assert synced == ["file"]
    assert list(paths.domains_dir.iterdir()) == []


def test_definitions_round_trip_and_skip_bad_files(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    paths = _paths(tmp_path)
    store = DefinitionStore(paths)
    a, b = _domain("a"), _domain("b")
    store.save(b)
    store.save(a)
    (paths.domains_dir / "broken.xml").write_text("<domain")
    (paths.domains_dir / "other.xml").write_text(_domain("not-other").to_xml())
    assert [(d.name, d.uuid) for d in store.load_all()] == [("a", a.uuid), ("b", b.uuid)]
    assert "skipping domain definition" in caplog.text
    assert stat.S_IMODE(store.definition_file("a").stat().st_mode) == 0o600


def test_autostart_is_libvirts_symlink(tmp_path: Path) -> None:
    paths = _paths(tmp_path)
    store = DefinitionStore(paths)
    store.save(_domain("a"))
    assert not store.autostart("a")
    store.set_autostart("a", True)
    store.set_autostart("a", True)
    link = paths.autostart_dir / "a.xml"
    assert link.is_symlink() and link.resolve() == (paths.domains_dir / "a.xml").resolve()
    assert store.autostart("a")
    store.delete("a")
    assert not store.autostart("a") and not link.is_symlink()
    assert not (paths.domains_dir / "a.xml").exists()


# -- ids ------------------------------------------------------------------------------------------------
def test_id_counter_survives_owners_and_skips_kept_ids(tmp_path: Path) -> None:
    path = tmp_path / "next-id"
    ids = IdCounter(path)
    assert ids.allocate() == 1 and ids.allocate() == 2
    ids.seen(7)
    ids.seen(3)
    assert IdCounter(path).allocate() == 8
    path.write_text("junk")
    assert IdCounter(path).next == 1


# -- the owner lock -------------------------------------------------------------------------------------
def test_owner_lock_names_the_holder(tmp_path: Path) -> None:
    lock = tmp_path / "driver.lock"
    fd = ownerlock.acquire(lock, RuntimeError)
    try:
        assert lock.read_text() == f"{os.getpid()}\n"
        with pytest.raises(RuntimeError, match=f"^{os.getpid()}$"):
            ownerlock.acquire(lock, RuntimeError)
    finally:
        ownerlock.release(fd)
    ownerlock.release(ownerlock.acquire(lock, RuntimeError))


def test_a_forked_child_does_not_keep_the_owner_lock(tmp_path: Path) -> None:
    lock = tmp_path / "driver.lock"
    fd = ownerlock.acquire(lock, RuntimeError)
    read_end, write_end = os.pipe()
    child = os.fork()
    if child == 0:  # a long-lived child that neither executes nor exits soon (LXC's controller)
        os.close(read_end)
        os.close(write_end)  # tells the parent the fork handlers ran
        time.sleep(5)
        os._exit(0)
    try:
        os.close(write_end)
        assert os.read(read_end, 1) == b""
        ownerlock.release(fd)
        # the child still runs: without the fork handler its copy would keep the folder locked
        ownerlock.release(ownerlock.acquire(lock, RuntimeError))
    finally:
        os.close(read_end)
        os.kill(child, signal.SIGKILL)
        os.waitpid(child, 0)


# -- layout ---------------------------------------------------------------------------------------------
def test_layout_of_the_folders() -> None:
    paths = Paths(Path("/s"), Path("/r"))
    assert (paths.domains_dir, paths.autostart_dir) == (Path("/s/domains"), Path("/s/autostart"))
    assert (paths.status_dir, paths.lock_file) == (Path("/r/status"), Path("/r/driver.lock"))
    assert layout.system_dirs("qemu") == layout.Dirs(
        Path("/var/lib/virt/qemu"), Path("/run/virt/qemu"), Path("/var/cache/virt/qemu"), Path("/var/log/virt/qemu")
    )
    assert layout.under_root(Path("/t")) == layout.Dirs(
        Path("/t/state"), Path("/t/run"), Path("/t/cache"), Path("/t/log")
    )


def test_session_dirs_follow_xdg(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for variable in ("XDG_CONFIG_HOME", "XDG_CACHE_HOME", "XDG_STATE_HOME", "XDG_RUNTIME_DIR"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    assert layout.session_dirs("qemu") == layout.Dirs(
        tmp_path / ".config/virt/qemu",
        tmp_path / ".cache/virt/qemu/run",
        tmp_path / ".cache/virt/qemu",
        tmp_path / ".local/state/virt/qemu/log",
    )
    monkeypatch.setenv("XDG_CONFIG_HOME", "/c")
    monkeypatch.setenv("XDG_CACHE_HOME", "/k")
    monkeypatch.setenv("XDG_STATE_HOME", "/st")
    monkeypatch.setenv("XDG_RUNTIME_DIR", "/rt")
    assert layout.session_dirs("qemu") == layout.Dirs(
        Path("/c/virt/qemu"), Path("/rt/virt/qemu"), Path("/k/virt/qemu"), Path("/st/virt/qemu/log")
    )


def test_root_override(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("VIRT_EXAMPLE_ROOT", raising=False)
    assert layout.root_override("example") is None
    monkeypatch.setenv("VIRT_EXAMPLE_ROOT", "")
    assert layout.root_override("example") is None
    monkeypatch.setenv("VIRT_EXAMPLE_ROOT", "/tmp/x")
    assert layout.root_override("example") == Path("/tmp/x")


# -- status files ---------------------------------------------------------------------------------------
@model("domstatus")
class _Status(XmlModel):
    state: DomainState | None = attribute("state", STATE)
    domain: Domain | None = child("domain", Domain)


@pytest.mark.parametrize("durable", [True, False])
def test_status_files(tmp_path: Path, durable: bool) -> None:
    paths = _paths(tmp_path)
    statuses = StatusFiles(paths.status_dir, _Status, durable=durable)
    status = _Status()
    status.state, status.domain = DomainState.PAUSED, _domain("a")
    statuses.save(status)
    assert "state='paused'" in statuses.path("a").read_text().replace('"', "'")
    (paths.status_dir / "b.xml").write_text("<domstatus")
    (found_path, found), (bad_path, bad) = statuses.load_all()
    assert found_path == statuses.path("a") and isinstance(found, _Status)
    assert found.state is DomainState.PAUSED and found.domain is not None and found.domain.name == "a"
    assert bad_path.name == "b.xml" and isinstance(bad, XMLError)
    statuses.delete("a")
    statuses.delete("a")
    assert [p.name for p, _ in statuses.load_all()] == ["b.xml"]


def test_readable_status_files_skip_and_record_the_others(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    paths = _paths(tmp_path)
    statuses = StatusFiles(paths.status_dir, _Status)
    good = _Status()
    good.state, good.domain = DomainState.RUNNING, _domain("a")
    statuses.save(good)
    (paths.status_dir / "b.xml").write_text("<domstatus")
    (paths.status_dir / "c.xml").write_text("<domstatus state='running'/>")
    unreadable: dict[str, str] = {}
    found = statuses.readable(unreadable)
    assert [(path.name, status.domain.name if status.domain else None) for path, status in found] == [("a.xml", "a")]
    assert sorted(Path(p).name for p in unreadable) == ["b.xml", "c.xml"]
    assert "no <domain> with a name and a UUID" in unreadable[str(paths.status_dir / "c.xml")]
    assert "cannot read the status file" in caplog.text and (paths.status_dir / "b.xml").exists()
    assert [path.name for path, _ in statuses.readable()] == ["a.xml"]


def test_state_words_are_libvirts() -> None:
    for state in DomainState:
        assert STATE.parse(STATE.format(state)) is state
    assert STATE.format(DomainState.SHUTOFF) == "shutoff"


# -- host -----------------------------------------------------------------------------------------------
def test_node_info_multiplies_out() -> None:
    info = hostinfo.node_info()
    assert info.cpus >= 1 and info.memory_kib > 0
    assert info.nodes * info.sockets * info.cores * info.threads == info.cpus
    assert hostinfo.hostname()


# -- ports ------------------------------------------------------------------------------------------
def test_free_port_skips_taken_and_listened_ports_and_names_a_full_range() -> None:
    import socket

    from virt.localstate.ports import free_port

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        span = range(port, port + 3)
        assert free_port("127.0.0.1", span) != port
        assert free_port(None, span) == port  # a remote host's listeners are not seen
        assert free_port(None, span, taken={port, port + 1}) == port + 2
        with pytest.raises(VirtError, match=rf"Unable to find an unused port in range 'display' \({port}-{port}\)"):
            free_port("127.0.0.1", range(port, port + 1))


def test_a_parsed_copy_keeps_the_ports_of_automatic_displays() -> None:
    from virt.localstate.ports import carry_display_ports

    live = Domain.from_xml(
        "<domain type='kvm'><name>g</name><memory>1024</memory><os><type>hvm</type></os><devices>"
        "<graphics type='vnc' autoport='yes'/><graphics type='vnc' port='5990' autoport='no'/></devices></domain>"
    )
    assert live.devices is not None
    live.devices.graphics[0].port = 5901
    copy = Domain.from_xml(live.to_xml())
    assert copy.devices is not None and copy.devices.graphics[0].port == -1
    carry_display_ports(live, copy)
    assert [g.port for g in copy.devices.graphics] == [5901, 5990]

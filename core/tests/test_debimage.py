"""virt.testing.debimage without apt: the cpio writer, ELF and module parsing, and the build cache."""

from __future__ import annotations

import gzip
import struct
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from virt.testing import debimage


def test_cpio_is_read_back_by_the_kernel_format(tmp_path: Path) -> None:
    archive = debimage.Cpio()
    archive.directory("bin")
    archive.file("bin/hello", b"#!/bin/sh\necho hi\n", 0o755)
    archive.symlink("bin/sh", "busybox")
    archive.node("dev-console", 0o020600, rdev=(5, 1))
    data = archive.finish()
    entries = []
    pos = 0
    while True:
        assert data[pos : pos + 6] == b"070701"
        fields = [int(data[pos + 6 + 8 * i : pos + 14 + 8 * i], 16) for i in range(13)]
        mode, size, rdevmajor, rdevminor, namesize = fields[1], fields[6], fields[9], fields[10], fields[11]
        name = data[pos + 110 : pos + 110 + namesize - 1].decode()
        body_at = (pos + 110 + namesize + 3) // 4 * 4
        body = data[body_at : body_at + size]
        entries.append((name, mode, body, (rdevmajor, rdevminor)))
        pos = (body_at + size + 3) // 4 * 4
        if name == "TRAILER!!!":
            break
    assert pos == len(data)
    assert [e[0] for e in entries] == ["bin", "bin/hello", "bin/sh", "dev-console", "TRAILER!!!"]
    assert entries[1][1] == 0o100755 and entries[1][2] == b"#!/bin/sh\necho hi\n"
    assert entries[2][1] == 0o120777 and entries[2][2] == b"busybox"
    assert entries[3][3] == (5, 1)

    # the same input gives the same bytes (no timestamp in the gzip header): caches stay valid
    # (gzip's header holds the file's name: the same name in two folders)
    first, second = tmp_path / "a" / "initrd.gz", tmp_path / "b" / "initrd.gz"
    for path in (first, second):
        path.parent.mkdir()
        again = debimage.Cpio()
        again.file("x", b"y", 0o644)
        debimage.write_initrd(path, again)
    assert first.read_bytes() == second.read_bytes()
    assert gzip.decompress(first.read_bytes()).startswith(b"070701")


def test_elf_needed_reads_the_python_binary() -> None:
    interp, needed = debimage.elf_needed(Path(sys.executable).resolve().read_bytes())
    assert interp is not None and interp.startswith("/lib")
    assert "libc.so.6" in needed
    assert debimage.elf_needed(b"#!/bin/sh\n") == (None, [])


def test_library_closure_names_what_is_missing(tmp_path: Path) -> None:
    program = Path(sys.executable).resolve()
    with pytest.raises(debimage.DebImageError, match=r"needs \S+, found in none of the unpacked packages"):
        debimage.library_closure([program], [tmp_path])


def test_module_names_and_dependencies() -> None:
    assert debimage.module_name(Path("/lib/modules/x/xen-evtchn.ko.xz")) == "xen_evtchn"
    modinfo = b"\x00license=GPL\x00depends=virtio,net-failover\x00vermagic=6.1\x00"
    assert debimage.module_depends(modinfo) == ["virtio", "net_failover"]
    assert debimage.module_depends(b"\x00depends=\x00") == []
    kmods = debimage.KernelModules(Path("vmlinuz-6.1"), "6.1", {"virtio"})
    kmods.modules = {"a": b"\x00depends=b,virtio\x00", "b": b"\x00depends=\x00"}
    assert kmods.load_order(["a"]) == ["b", "a"]
    assert kmods.moddir == "lib/modules/6.1"


def test_vmlinux_refuses_what_is_not_a_bzimage() -> None:
    assert debimage.vmlinux(b"\0" * 0x300) is None
    header = bytearray(0x400)
    header[0x202:0x206] = b"HdrS"
    header[0x1F1] = 0
    struct.pack_into("<II", header, 0x248, 0, 16)
    assert debimage.vmlinux(bytes(header)) is None  # an unknown payload: the bzImage is booted as it is


def test_cached_build_builds_once_and_reuses_offline(tmp_path: Path) -> None:
    built: list[str] = []
    lock = threading.Lock()

    def build(packages: str, work: Path, out: Path) -> None:
        with lock:
            built.append(packages)
        (out / "payload").write_text(packages)
        (out / "info.json").write_text("{}")

    def resolve() -> str:
        return "pkg-1"

    results: list[Path] = []
    threads = [
        threading.Thread(
            target=lambda: results.append(
                debimage.cached_build(tmp_path, resolve, lambda p: f"{p}+f1", build, suffix="+f1")
            )
        )
        for _ in range(3)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert built == ["pkg-1"]
    assert results == [tmp_path / "pkg-1+f1"] * 3
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".build-")]

    def offline() -> str:
        raise debimage.DebImageError("apt-cache show: no lists")

    assert debimage.cached_build(tmp_path, offline, lambda p: f"{p}+f1", build, suffix="+f1") == tmp_path / "pkg-1+f1"


def test_run_names_the_failed_step() -> None:
    with pytest.raises(debimage.DebImageError, match=r"^unpacking: `false` exited 1"):
        debimage.run("unpacking", ["false"])
    with pytest.raises(debimage.DebImageError, match=r"^fetching: cannot run /nonexistent/tool"):
        debimage.run("fetching", ["/nonexistent/tool"])
    assert debimage.run("echo", ["echo", "ok"]).stdout == b"ok\n"
    assert isinstance(debimage.run("true", ["true"]), subprocess.CompletedProcess)


def test_download_keeps_packages_and_fetches_only_what_is_missing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fetched: list[list[str]] = []

    def fake_run(step: str, argv: list[str], **kwargs: object) -> subprocess.CompletedProcess[bytes]:
        fetched.append(argv[3:])
        cwd = Path(str(kwargs["cwd"]))
        for spec in argv[3:]:
            name, _, version = spec.partition("=")
            (cwd / f"{name}_{version.replace(':', '%3a')}_amd64.deb").write_bytes(b"deb")
        return subprocess.CompletedProcess(argv, 0, b"", b"")

    monkeypatch.setattr(debimage, "run", fake_run)
    store = tmp_path / "debs"
    first = debimage.download({"busybox": "1:1.35.0-4", "xen-utils-4.17": "4.17.7"}, store)
    assert first["busybox"] == store / "busybox_1%3a1.35.0-4_amd64.deb"
    second = debimage.download({"busybox": "1:1.35.0-4", "dropbear-bin": "2022.83-1"}, store)
    assert second["busybox"] == first["busybox"]
    # the kept package is not fetched again, another version of it would be
    assert fetched == [["busybox=1:1.35.0-4", "xen-utils-4.17=4.17.7"], ["dropbear-bin=2022.83-1"]]
    assert sorted(p.name for p in store.iterdir()) == [
        "busybox_1%3a1.35.0-4_amd64.deb",
        "dropbear-bin_2022.83-1_amd64.deb",
        "xen-utils-4.17_4.17.7_amd64.deb",
    ]

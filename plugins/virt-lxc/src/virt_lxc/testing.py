"""A container root for tests and benchmarks: Debian's busybox-static, fetched and cached once.

``busybox()`` downloads the ``busybox-static`` package with ``apt-get download`` (nothing is
installed on the host), takes ``bin/busybox`` out of it with ``dpkg-deb -x`` and keeps it in
``$VIRT_TEST_CACHE/lxc`` (``/var/tmp/virt-test-lxc`` by default), one file per package version,
published by an atomic rename under a lock so that parallel runs fetch it once.
``make_root(folder)`` lays out a root filesystem around it: every applet as a symlink, /etc with
root and nobody, empty /proc, /sys, /dev and /tmp.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

from virt.testing.debimage import locked as _locked

PACKAGE = "busybox-static"


class RootBuildError(RuntimeError):
    """The busybox root could not be made; the message names the failed step."""


def cache_dir() -> Path:
    explicit = os.environ.get("VIRT_TEST_CACHE")
    return Path(explicit) / "lxc" if explicit else Path("/var/tmp/virt-test-lxc")


def _run(step: str, argv: list[str], cwd: Path | None = None) -> str:
    try:
        done = subprocess.run(argv, capture_output=True, text=True, check=False, cwd=cwd, timeout=600)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise RootBuildError(f"{step}: cannot run {argv[0]}: {exc}") from exc
    if done.returncode != 0:
        raise RootBuildError(f"{step}: `{' '.join(argv)}` exited {done.returncode}: {done.stderr.strip()[-2000:]}")
    return done.stdout


def _candidate() -> str:
    policy = _run("apt-cache policy", ["apt-cache", "policy", PACKAGE])
    found = re.search(r"Candidate:\s*(\S+)", policy)
    if found is None or found.group(1) == "(none)":
        raise RootBuildError(f"apt knows no candidate version of {PACKAGE} (run apt-get update)")
    return found.group(1)


def busybox(folder: Path | None = None) -> Path:
    """The cached static busybox binary, fetched now if this version was never fetched."""
    root = folder if folder is not None else cache_dir()
    root.mkdir(parents=True, exist_ok=True)
    try:
        version = _candidate()
    except RootBuildError:
        cached = sorted(root.glob("busybox-*"), key=lambda p: p.stat().st_mtime)
        if cached:
            return cached[-1]  # offline: an earlier fetch will do
        if os.geteuid() != 0:
            raise
        _run("apt-get update", ["apt-get", "update", "-q"])  # a fresh system has no package lists yet
        version = _candidate()
    final = root / f"busybox-{re.sub(r'[^A-Za-z0-9.+-]', '_', version)}"
    if final.exists():
        return final
    with _locked(root / ".busybox.lock"):
        if final.exists():
            return final
        work = Path(tempfile.mkdtemp(prefix=".fetch-", dir=root))
        try:
            # apt-get drops to the _apt user to download: a world-writable folder lets it write there
            work.chmod(0o777)
            _run("apt-get download", ["apt-get", "download", "-q", f"{PACKAGE}={version}"], cwd=work)
            debs = list(work.glob("*.deb"))
            if not debs:
                raise RootBuildError(f"apt-get download left no .deb of {PACKAGE} in {work}")
            _run("dpkg-deb -x", ["dpkg-deb", "-x", str(debs[0]), str(work / "x")])
            binary = work / "x" / "bin" / "busybox"
            if not binary.is_file():
                raise RootBuildError(f"{debs[0].name} has no bin/busybox")
            binary.chmod(0o755)
            binary.rename(final)
        finally:
            shutil.rmtree(work, ignore_errors=True)
    return final


def make_root(folder: Path, binary: Path) -> Path:
    """A root filesystem in ``folder``: busybox and its applets, a minimal /etc, empty mount points."""
    folder.mkdir(parents=True, exist_ok=True)
    folder.chmod(0o755)  # a root directory anyone may enter: a container's users, or a user namespace's root
    for sub in ("bin", "sbin", "etc", "proc", "sys", "dev", "tmp", "root", "run", "mnt"):
        (folder / sub).mkdir(parents=True, exist_ok=True)
    (folder / "tmp").chmod(0o1777)
    shutil.copy2(binary, folder / "bin" / "busybox")
    applets = _run("busybox --list", [str(binary), "--list"]).split()
    for applet in applets:
        link = folder / "bin" / applet
        if applet != "busybox" and not link.exists():
            link.symlink_to("busybox")
    (folder / "sbin" / "init").symlink_to("../bin/busybox")
    (folder / "etc" / "passwd").write_text("root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n")
    (folder / "etc" / "group").write_text("root:x:0:\ntty:x:5:\nnogroup:x:65534:\n")
    return folder

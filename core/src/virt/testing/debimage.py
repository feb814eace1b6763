"""Small boot images built from Debian packages that are downloaded, never installed on the host.

The test suites boot real kernels (QEMU's tiny guest, the Xen host and its PV guest). What they have in
common lives here:

- :func:`candidates`, :func:`kernel_package`, :func:`library_packages`: resolving the packages with
  ``apt-cache`` (one look-up for many names);
- :func:`download` (``apt-get download``, the packages kept for the next build) and :func:`extract`
  (``dpkg-deb --fsys-tarfile | tar -x`` of only the members wanted: a kernel's package unpacks to ~400 MB
  of modules);
- :class:`KernelModules`: modules taken out of a kernel package with their dependencies (``depends=`` of
  each module's ``.modinfo``) and ``modules.builtin``, in the order ``insmod`` needs them;
- :func:`elf_needed` / :func:`library_closure`: the shared libraries an ELF program needs (``DT_NEEDED``),
  read from the file, so that the host's own ``ldd`` and libraries play no part;
- :class:`Cpio`: the ``newc`` archive a kernel unpacks as its initramfs (written in Python: device nodes need
  no privilege, and no ``cpio`` tool is needed);
- :func:`cached_build`: one cache folder per package versions (and build format), built under a lock and
  published by an atomic rename so that parallel test runs build once; offline (apt cannot resolve), the
  newest earlier build of the same format is reused.

Every failure is a :class:`DebImageError` naming the step (apt, dpkg, a module, a library).
"""

from __future__ import annotations

import contextlib
import fcntl
import glob
import gzip
import io
import lzma
import os
import re
import shutil
import stat
import struct
import subprocess
import tempfile
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

_T = TypeVar("_T")
_K = TypeVar("_K")

Stanza = dict[str, str]
"""One package's ``apt-cache show`` fields (``Package``, ``Version``, ``Depends``...)."""


class DebImageError(RuntimeError):
    """An image could not be built; the message says which step failed (apt, dpkg, a module, a library)."""


# -- processes -------------------------------------------------------------------------------------------------


def run(
    step: str, argv: Sequence[str], *, cwd: Path | None = None, env: Mapping[str, str] | None = None
) -> subprocess.CompletedProcess[bytes]:
    """``argv`` run to completion, its output captured; a :class:`DebImageError` naming ``step`` if it fails."""
    try:
        done = subprocess.run(argv, capture_output=True, check=False, cwd=cwd, env=env)
    except OSError as exc:
        raise DebImageError(f"{step}: cannot run {argv[0]}: {exc}") from exc
    if done.returncode != 0:
        err = done.stderr.decode(errors="replace").strip()
        raise DebImageError(f"{step}: `{' '.join(argv)}` exited {done.returncode}: {err[-2000:]}")
    return done


# -- apt ---------------------------------------------------------------------------------------------------------


def candidates(names: Sequence[str], step: str = "apt-cache show") -> dict[str, Stanza]:
    """The candidate version's fields of each package of ``names``, in one ``apt-cache show``.

    A name apt knows nothing about fails the look-up (apt-cache exits non-zero), as does a name without a
    candidate.
    """
    shown = run(
        step, ["apt-cache", "show", "--no-all-versions", *names], env={**os.environ, "LC_ALL": "C"}
    ).stdout.decode()
    stanzas: dict[str, Stanza] = {}
    for block in shown.split("\n\n"):
        fields = dict(re.findall(r"^([A-Za-z-]+): ?(.*)$", block, re.MULTILINE))
        if "Package" in fields:
            stanzas.setdefault(fields["Package"], fields)
    absent = [name for name in names if name not in stanzas]
    if absent:
        raise DebImageError(f"apt-cache show found no candidate for {' or '.join(absent)}")
    return stanzas


def kernel_package(meta: Stanza) -> tuple[str, str]:
    """The versioned ``linux-image-*`` package (name, version) a meta package such as
    ``linux-image-amd64`` (its ``apt-cache show`` stanza) depends on."""
    found = re.search(r"(linux-image-[0-9][^\s,(|]*)(?:\s*\(=\s*([^)\s]+)\))?", meta.get("Depends", ""))
    if found is None:
        depends = meta.get("Depends")
        raise DebImageError(f"{meta.get('Package')} depends on no versioned linux-image package: {depends!r}")
    kernel, version = found.group(1), found.group(2)
    if version is None:
        shown = run("apt-cache show", ["apt-cache", "show", "--no-all-versions", kernel]).stdout.decode()
        match = re.search(r"^Version: (\S+)$", shown, re.MULTILINE)
        if match is None:
            raise DebImageError(f"apt-cache show gave no version for {kernel}")
        version = match.group(1)
    return kernel, version


def _dependencies(stanza: Stanza) -> list[str]:
    """The packages a stanza depends on (``Pre-Depends`` and ``Depends``), the first of each alternative."""
    names = []
    for key in ("Pre-Depends", "Depends"):
        for clause in stanza.get(key, "").split(","):
            first = clause.split("|")[0].strip()
            if first:
                names.append(re.split(r"[\s(:]", first, maxsplit=1)[0])
    return names


def library_packages(roots: Sequence[str], *, keep: Callable[[str], bool] | None = None) -> dict[str, Stanza]:
    """``roots`` and, recursively, the packages they depend on that ``keep`` accepts (by default the
    libraries: names starting with ``lib``), each with its candidate's fields; one look-up per level.

    Programs' other dependencies (``python3``, configuration packages) are left out: an image takes only the
    files it needs and checks with :func:`library_closure` that nothing is missing.
    """
    accept = keep if keep is not None else (lambda name: name.startswith("lib"))
    found: dict[str, Stanza] = {}
    wanted = list(dict.fromkeys(roots))
    while wanted:
        found.update(candidates(wanted))
        deps = {dep for name in wanted for dep in _dependencies(found[name])}
        wanted = sorted(dep for dep in deps if dep not in found and accept(dep))
    return found


def after_apt_update(first: DebImageError, retry: Callable[[], _T]) -> _T:
    """``retry()`` after ``apt-get update``, for a failure ``first`` that missing or stale lists explain."""
    try:
        run("apt-get update", ["apt-get", "update", "-q"])
        return retry()
    except DebImageError as exc:
        raise DebImageError(f"{first}; then (after refreshing the package lists) {exc}") from exc


def download(wanted: Mapping[str, str], store: Path | None = None) -> dict[str, Path]:
    """The ``.deb`` of each ``name: version``, from ``store`` (:func:`cache_root` ``("debs")`` by default)
    when an earlier build kept it there, else fetched with ``apt-get download`` and kept there.

    Kept packages let a rebuild (a new build format, another test suite's image) and CI's later steps
    skip the mirror; a file is published by a rename, so a parallel download never shows half of one.
    """
    store = store if store is not None else cache_root("debs")
    try:
        store.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DebImageError(f"cannot create the package cache folder {store}: {exc}") from exc
    missing = {name: version for name, version in wanted.items() if _kept(store, name, version) is None}
    if missing:
        fetch = Path(tempfile.mkdtemp(prefix=".download-", dir=store))
        try:
            argv = ["apt-get", "download", "-q", *(f"{name}={version}" for name, version in missing.items())]
            try:
                run("apt-get download", argv, cwd=fetch)
            except DebImageError as first:  # lists too old: the mirror dropped that version
                after_apt_update(first, lambda: run("apt-get download", argv, cwd=fetch))
            for deb in fetch.glob("*.deb"):
                deb.rename(store / deb.name)
        finally:
            shutil.rmtree(fetch, ignore_errors=True)
    debs: dict[str, Path] = {}
    for name, version in wanted.items():
        found = _kept(store, name, version)
        if found is None:
            raise DebImageError(f"apt-get download left no {name} {version} in {store}")
        debs[name] = found
    return debs


def _kept(store: Path, name: str, version: str) -> Path | None:
    """``NAME_VERSION_ARCH.deb`` in ``store`` (apt writes an epoch's colon as ``%3a``)."""
    found = sorted(store.glob(f"{glob.escape(name)}_{glob.escape(version.replace(':', '%3a'))}_*.deb"))
    return found[0] if found else None


# -- dpkg ------------------------------------------------------------------------------------------------------


def extract(deb: Path, into: Path, patterns: Sequence[str] = ()) -> list[Path]:
    """The files of ``deb`` matching the shell ``patterns`` (all when none) unpacked under ``into``.

    Returns the regular files unpacked; symbolic links are unpacked too but not listed. A pattern that
    matches nothing is not an error here: the caller says what it missed.
    """
    into.mkdir(exist_ok=True)
    step = f"dpkg-deb --fsys-tarfile {deb.name} | tar -x"
    try:
        with subprocess.Popen(["dpkg-deb", "--fsys-tarfile", str(deb)], stdout=subprocess.PIPE) as dpkg:
            tar = subprocess.run(
                ["tar", "-x", "-C", str(into), *(("--wildcards", *patterns) if patterns else ())],
                stdin=dpkg.stdout,
                capture_output=True,
                check=False,
            )
            if dpkg.stdout is not None:
                dpkg.stdout.close()
            dpkg_rc = dpkg.wait()
    except OSError as exc:
        raise DebImageError(f"{step}: {exc}") from exc
    if dpkg_rc != 0:
        raise DebImageError(f"{step}: dpkg-deb exited {dpkg_rc} on {deb}")
    # tar exits 2 when some pattern matched nothing
    if tar.returncode not in (0, 2):
        raise DebImageError(f"{step}: tar exited {tar.returncode}: {tar.stderr.decode(errors='replace')}")
    return [p for p in into.rglob("*") if p.is_file() and not p.is_symlink()]


# -- kernel modules ------------------------------------------------------------------------------------------


def module_bytes(path: Path) -> bytes:
    """A module file's ELF, uncompressed (``.ko``, ``.ko.xz``, ``.ko.gz``, ``.ko.zst``): busybox insmod
    loads only plain ones."""
    data = path.read_bytes()
    if path.name.endswith(".ko.xz"):
        return lzma.decompress(data)
    if path.name.endswith(".ko.gz"):
        return gzip.decompress(data)
    if path.name.endswith(".ko.zst"):
        if shutil.which("zstd") is None:
            raise DebImageError(f"module {path.name} is zstd-compressed and there is no zstd tool")
        return run(f"zstd -d {path.name}", ["zstd", "-dc", str(path)]).stdout
    return data


def module_name(path: Path) -> str:
    """The kernel's name of a module file (``xen-evtchn.ko.xz`` -> ``xen_evtchn``)."""
    return path.name.split(".ko")[0].replace("-", "_")


def module_depends(module: bytes) -> list[str]:
    """The modules a module's ``.modinfo`` says it depends on."""
    found = re.search(rb"(?:^|\x00)depends=([^\x00]*)\x00", module)
    return [d.decode().replace("-", "_") for d in found.group(1).split(b",") if d] if found else []


@dataclass
class KernelModules:
    """A kernel taken out of its Debian package with the modules asked for and their dependencies."""

    kernel: Path
    """The compressed kernel (``/boot/vmlinuz-RELEASE``) as unpacked."""
    release: str
    builtin: set[str]
    """The modules built into the kernel (``modules.builtin``): nothing to load for them."""
    modules: dict[str, bytes] = field(default_factory=dict)
    """Each module's uncompressed ELF, by name (``_`` spelling)."""

    @property
    def moddir(self) -> str:
        """Where the modules go in an initramfs (no leading ``/``)."""
        return f"lib/modules/{self.release}"

    def load_order(self, names: Iterable[str]) -> list[str]:
        """``names`` and their dependencies that are not built in, each after what it depends on."""
        order: list[str] = []

        def visit(name: str) -> None:
            if name not in order and name not in self.builtin:
                for dep in module_depends(self.modules[name]):
                    visit(dep)
                order.append(name)

        for name in names:
            visit(name)
        return order

    @classmethod
    def from_package(cls, deb: Path, work: Path, wanted: Sequence[str]) -> KernelModules:
        """The kernel of ``deb`` with the modules ``wanted`` (either spelling) and, transitively, those they
        depend on (further passes over the package); unpacked under ``work``."""
        files = extract(
            deb,
            work / "kernel",
            ["./boot/vmlinuz-*", "./lib/modules/*/modules.builtin", *_module_patterns(wanted)],
        )
        kernels = [p for p in files if p.name.startswith("vmlinuz-")]
        if not kernels:
            raise DebImageError(f"no /boot/vmlinuz-* in {deb.name}")
        lists = [p.read_text() for p in files if p.name == "modules.builtin"]
        builtin = {module_name(Path(line)) for text in lists for line in text.split()}
        found = cls(kernels[0], kernels[0].name.removeprefix("vmlinuz-"), builtin)
        names = [name.replace("-", "_") for name in wanted]
        for _ in range(8):
            for path in files:
                if ".ko" in path.name and module_name(path) not in found.modules:
                    found.modules[module_name(path)] = module_bytes(path)
            missing = sorted(found._needed(names) - found.modules.keys() - builtin)
            if not missing:
                break
            files = extract(deb, work / f"deps-{len(found.modules)}", _module_patterns(missing))
            if not {module_name(p) for p in files} & set(missing):
                break
        absent = sorted(found._needed(names) - found.modules.keys() - builtin)
        if absent:
            raise DebImageError(f"missing kernel module(s) {', '.join(absent)} in {deb.name}")
        return found

    def _needed(self, names: Iterable[str]) -> set[str]:
        return {dep for data in self.modules.values() for dep in module_depends(data)} | set(names)


def _module_patterns(names: Iterable[str]) -> list[str]:
    # a module's file may spell its name with - or _ (xen-evtchn.ko is module xen_evtchn)
    return [f"*/{spelling}.ko*" for name in names for spelling in dict.fromkeys((name, name.replace("_", "-")))]


def insmod_lines(moddir: str, modules: Sequence[str], indent: str = "") -> str:
    """Shell lines loading ``modules`` (from ``/MODDIR/NAME.ko``), skipping those already in, saying on the
    console which failed."""
    lines = (
        f"[ -d /sys/module/{name} ] || insmod /{moddir}/{name}.ko || echo 'init: insmod {name} failed'"
        for name in modules
    )
    return f"\n{indent}".join(lines)


# -- kernels ---------------------------------------------------------------------------------------------------


def vmlinux(bzimage: bytes) -> bytes | None:
    """The ELF kernel inside a bzImage (Debian's ``vmlinuz``), when its payload is compressed as Python reads
    (xz, gzip, lzma); ``None`` for anything else (zstd, lz4, bzip2, lzo, not a bzImage).

    Booting the ELF skips the bzImage's decompressor: QEMU boots it directly (PVH), and ``xl`` loads a
    gzipped ELF far faster than it unpacks an xz bzImage under TCG.
    """
    if len(bzimage) < 0x250 or bzimage[0x202:0x206] != b"HdrS":
        return None
    setup_sects = bzimage[0x1F1] or 4
    offset, length = struct.unpack_from("<II", bzimage, 0x248)
    start = (setup_sects + 1) * 512 + offset
    payload = bzimage[start : start + length]
    try:
        if payload.startswith(b"\xfd7zXZ\x00"):
            return lzma.LZMADecompressor(lzma.FORMAT_XZ).decompress(payload)
        if payload.startswith(b"\x1f\x8b"):
            return gzip.GzipFile(fileobj=io.BytesIO(payload)).read()
        if payload.startswith(b"\x5d\x00"):
            return lzma.LZMADecompressor(lzma.FORMAT_ALONE).decompress(payload)
    except (lzma.LZMAError, OSError, EOFError):
        return None
    return None


# -- ELF programs and their libraries ----------------------------------------------------------------------


def elf_needed(data: bytes) -> tuple[str | None, list[str]]:
    """A little-endian ELF64's program interpreter (``PT_INTERP``) and the libraries it names
    (``DT_NEEDED``); ``(None, [])`` for anything else (a script, a static program)."""
    if data[:6] != b"\x7fELF\x02\x01":
        return None, []
    phoff = struct.unpack_from("<Q", data, 0x20)[0]
    phentsize, phnum = struct.unpack_from("<HH", data, 0x36)
    interp: str | None = None
    loads: list[tuple[int, int, int]] = []
    dynamic: tuple[int, int] | None = None
    for index in range(phnum):
        p_type, _, p_offset, p_vaddr, _, p_filesz = struct.unpack_from("<IIQQQQ", data, phoff + index * phentsize)
        if p_type == 3:  # PT_INTERP
            interp = data[p_offset : p_offset + p_filesz].rstrip(b"\0").decode()
        elif p_type == 1:  # PT_LOAD
            loads.append((p_vaddr, p_offset, p_filesz))
        elif p_type == 2:  # PT_DYNAMIC
            dynamic = (p_offset, p_filesz)
    if dynamic is None:
        return interp, []
    strtab = 0
    offsets: list[int] = []
    for pos in range(dynamic[0], dynamic[0] + dynamic[1], 16):
        tag, value = struct.unpack_from("<qQ", data, pos)
        if tag == 0:  # DT_NULL
            break
        if tag == 1:  # DT_NEEDED: an offset into the string table
            offsets.append(value)
        elif tag == 5:  # DT_STRTAB: an address, mapped to the file through the segment holding it
            strtab = next((off + value - vaddr for vaddr, off, size in loads if vaddr <= value < vaddr + size), 0)
    names = [data[strtab + off : data.index(b"\0", strtab + off)].decode() for off in offsets]
    return interp, names


def library_closure(programs: Iterable[Path], search: Sequence[Path], also: Sequence[str] = ()) -> list[Path]:
    """The libraries (and the program interpreter) ``programs`` need, transitively, found in the ``search``
    folders (first match wins), each once; a :class:`DebImageError` naming the first that is missing.

    ``also``: libraries loaded at run time (``dlopen``, which no header names) that must be there too, such as
    ``libgcc_s.so.1``, which glibc loads for ``pthread_cancel``.
    """
    found: dict[str, Path] = {}
    pending = list(programs)
    for soname in also:
        hits = [folder / soname for folder in search if (folder / soname).exists()]
        if not hits:
            raise DebImageError(f"{soname} is found in none of the unpacked packages")
        found[soname] = hits[0]
        pending.append(hits[0].resolve())
    while pending:
        program = pending.pop()
        interp, needed = elf_needed(program.read_bytes())
        for soname in ([Path(interp).name] if interp else []) + needed:
            if soname in found:
                continue
            hits = [folder / soname for folder in search if (folder / soname).exists()]
            if not hits:
                raise DebImageError(f"{program.name} needs {soname}, found in none of the unpacked packages")
            found[soname] = hits[0]
            pending.append(hits[0].resolve())
    return list(found.values())


# -- the initramfs ---------------------------------------------------------------------------------------------


class Cpio:
    """A ``newc`` cpio archive, as the kernel unpacks an initramfs (device nodes need no privilege here)."""

    def __init__(self) -> None:
        self._out = io.BytesIO()
        self._ino = 1

    def _entry(self, name: str, mode: int, data: bytes = b"", rdev: tuple[int, int] = (0, 0)) -> None:
        encoded = name.encode() + b"\0"
        nlink = 2 if stat.S_ISDIR(mode) else 1
        fields = (self._ino, mode, 0, 0, nlink, 0, len(data), 0, 0, rdev[0], rdev[1], len(encoded), 0)
        self._ino += 1
        self._out.write(b"070701" + b"".join(b"%08X" % f for f in fields) + encoded)
        self._pad()
        self._out.write(data)
        self._pad()

    def _pad(self) -> None:
        self._out.write(b"\0" * (-self._out.tell() % 4))

    def directory(self, name: str, perm: int = 0o755) -> None:
        self._entry(name, stat.S_IFDIR | perm)

    def file(self, name: str, data: bytes, perm: int) -> None:
        self._entry(name, stat.S_IFREG | perm, data)

    def symlink(self, name: str, target: str) -> None:
        self._entry(name, stat.S_IFLNK | 0o777, target.encode())

    def node(self, name: str, mode: int, rdev: tuple[int, int]) -> None:
        self._entry(name, mode, rdev=rdev)

    def finish(self) -> bytes:
        """The archive, closed by its trailer (nothing may be added after)."""
        self._entry("TRAILER!!!", 0)
        return self._out.getvalue()


def write_initrd(path: Path, archive: Cpio) -> None:
    """``archive`` gzipped to ``path`` (no timestamp in the header: the same input gives the same bytes)."""
    with gzip.GzipFile(path, "wb", compresslevel=6, mtime=0) as gz:
        gz.write(archive.finish())


# -- test fixtures ---------------------------------------------------------------------------------------------


def built_or_missing(build: Callable[[], _T], what: str) -> _T:
    """``build()``'s image for a test fixture, or a skip naming what is missing (apt, dpkg, the network, a
    package): ``virt.testing.missing_dependency``, a failure under ``VIRT_REQUIRE_INTEGRATION=1``."""
    from virt.testing import missing_dependency

    for tool in ("apt-get", "apt-cache", "dpkg-deb", "tar"):
        if shutil.which(tool) is None:
            missing_dependency(f"{tool} is not installed: {what} is built from Debian packages")
    try:
        return build()
    except DebImageError as exc:
        missing_dependency(f"cannot build {what}: {exc}")


# -- the cache -----------------------------------------------------------------------------------------------


def cache_root(name: str) -> Path:
    """Where builds of ``name`` are kept: ``$VIRT_TEST_CACHE/NAME`` or ``/var/tmp/virt-test-NAME``."""
    explicit = os.environ.get("VIRT_TEST_CACHE")
    return Path(explicit) / name if explicit else Path(f"/var/tmp/virt-test-{name}")


def cache_key(raw: str) -> str:
    """``raw`` (package names and versions) as a folder name."""
    return re.sub(r"[^A-Za-z0-9._+-]", "_", raw)


@contextlib.contextmanager
def locked(path: Path) -> Iterator[None]:
    """An exclusive ``flock`` on ``path`` (created if need be) while the block runs."""
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def newest_build(root: Path, suffix: str, done: str = "info.json") -> Path | None:
    """The most recent complete build (folder holding ``done``) whose name ends with ``suffix``."""
    built = [p for p in root.iterdir() if p.name.endswith(suffix) and (p / done).exists()]
    return max(built, key=lambda p: p.stat().st_mtime) if built else None


def cached_build(
    root: Path,
    resolve: Callable[[], _K],
    key: Callable[[_K], str],
    build: Callable[[_K, Path, Path], None],
    *,
    suffix: str,
    done: str = "info.json",
    what: str = "image",
) -> Path:
    """The folder of a complete build, reused from ``root`` or built now.

    ``resolve()`` names the packages (it may raise :class:`DebImageError`: offline, or no apt lists, the
    newest earlier build whose folder name ends with ``suffix``, the format, is reused; without one the
    look-up is retried after ``apt-get update``); ``key(packages)`` is the build's folder name;
    ``build(packages, work, out)`` fills ``out`` (``work`` is scratch space, removed afterwards) and writes
    ``done`` last. The folder is published by an atomic rename under a lock: a reader sees a complete
    build or none, and parallel runs build it once.
    """
    try:
        root.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DebImageError(f"cannot create the {what} cache folder {root}: {exc}") from exc
    try:
        packages = resolve()
    except DebImageError as first:
        cached = newest_build(root, suffix, done)  # offline, or no apt lists: any earlier build will do
        if cached is not None:
            return cached
        packages = after_apt_update(first, resolve)
    name = key(packages)
    final = root / name
    if not (final / done).exists():
        with locked(root / f".{name}.lock"):
            if not (final / done).exists():
                work = Path(tempfile.mkdtemp(prefix=".build-", dir=root))
                try:
                    out = work / "out"
                    out.mkdir()
                    build(packages, work, out)
                    try:
                        out.rename(final)  # atomic: a reader sees a complete folder or none
                    except OSError:
                        if not (final / done).exists():
                            raise
                finally:
                    shutil.rmtree(work, ignore_errors=True)
    return final

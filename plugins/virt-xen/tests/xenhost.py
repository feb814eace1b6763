"""The Xen host virt-xen's tests run against: Xen 4.17 booted nested under QEMU (TCG), dom0 with Xen's
toolstack (``xl``) and an SSH server, and a small PV guest image that ``xl create`` boots.

``build_xen_host()`` fetches with ``apt-get download`` (nothing is installed on the host):

- ``xen-hypervisor-4.17-amd64``: ``xen.gz``, uncompressed to ``xen.elf`` (QEMU's multiboot loader wants an ELF);
- the Debian kernel ``linux-image-amd64`` depends on: dom0's kernel and the PV guest's (a Debian kernel boots
  as a Xen PV guest), with the Xen backend and device modules dom0 needs (:data:`DOM0_MODULES`);
- ``busybox-static``: both initramfs' userland;
- ``xen-utils-4.17``, ``xenstore-utils``, ``dropbear-bin`` and the libraries they depend on (``libc6``,
  ``libxen*``, ``libyajl2``...): only the programs dom0 runs (:data:`XEN_PROGRAMS`) and the libraries
  their ELF headers name go into the image.

dom0's ``/init`` mounts what ``xl`` needs (proc, sysfs, devtmpfs, devpts, ``xenfs`` at ``/proc/xen``), loads
the modules, brings up the virtio NIC with QEMU user networking's fixed address, starts ``xenstored``,
``xen-init-dom0``, ``xenconsoled`` (guest consoles logged to ``/var/log/xen/console/guest-NAME.log``) and
``dropbear`` (the host key made at build time; root's authorized key comes from dom0's kernel command line,
``virt.sshkey=TYPE:BASE64``, so that each test session brings its own), then prints :data:`DOM0_READY`.

The PV guest (:data:`PV_KERNEL`, :data:`PV_INITRD` in dom0, :func:`pv_config` for an ``xl`` config) prints
:data:`PV_MARKER` on its console (``hvc0``), then ``pv: tick N`` every second. ``xl shutdown`` (``xl reboot``)
makes its kernel run ``/sbin/poweroff`` (``/sbin/reboot``): scripts that say ``pv: poweroff`` (``pv: reboot``)
and stop the guest at once; ``xl save`` / ``xl restore`` are handled by the kernel alone; a vCPU that
``xl vcpu-set`` adds is brought online by the guest's init within a second (``pv: /sys/.../cpuN online``).

The build is cached in ``$VIRT_TEST_CACHE/xen`` (``/var/tmp/virt-test-xen`` by default), one folder per package
versions and :data:`FORMAT`, as ``virt.testing.debimage`` keeps builds. :func:`boot` starts QEMU and returns a
:class:`XenHost`: the forwarded SSH port, the key, a ``run`` of commands in dom0, the serial log, ``stop()``.
"""

from __future__ import annotations

import base64
import ctypes
import gzip
import hashlib
import json
import shutil
import signal
import stat
import subprocess
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from virt.testing import debimage, end_process, free_port

FORMAT = 6
"""Bumped whenever the image changes, so that older cached builds are not reused."""

XEN = "4.17"
HYPERVISOR = f"xen-hypervisor-{XEN}-amd64"
TOOLS = (f"xen-utils-{XEN}", "xenstore-utils", "dropbear-bin")
"""Xen's toolstack and the SSH server; the libraries they depend on are fetched too."""
KERNEL_META = "linux-image-amd64"
BUSYBOX = "busybox-static"

DOM0_MODULES = (
    "xenfs", "xen-evtchn", "xen-gntdev", "xen-gntalloc", "xen-privcmd", "xen-blkback", "xen-netback",
    "virtio_net", "virtio_pci",
)  # fmt: skip
"""Loaded by dom0's init (those not built in, dependencies first): what xl, xenstored and xenconsoled open
(``/dev/xen/*``, ``/proc/xen``), the guests' disk and network backends, and the NIC QEMU gives dom0."""

XEN_PROGRAMS = {
    f"usr/lib/xen-{XEN}/bin/xl": "usr/sbin/xl",
    f"usr/lib/xen-{XEN}/bin/xenstored": "usr/sbin/xenstored",
    f"usr/lib/xen-{XEN}/bin/xenconsoled": "usr/sbin/xenconsoled",
    f"usr/lib/xen-{XEN}/bin/xen-init-dom0": "usr/sbin/xen-init-dom0",
    f"usr/lib/xen-{XEN}/bin/xenconsole": None,
    f"usr/lib/xen-{XEN}/bin/libxl-save-helper": None,
    f"usr/lib/xen-{XEN}/bin/xentop": "usr/sbin/xentop",
    "usr/bin/xenstore": None,
    "usr/sbin/dropbear": None,
    "usr/bin/dropbearkey": None,
}
"""dom0's programs (paths in their packages), each with the ``PATH`` link it gets (if any besides its own path)."""
XENSTORE_COMMANDS = ("read", "write", "ls", "list", "rm", "exists", "chmod", "watch")
"""``xenstore-CMD``: links to the one ``xenstore`` program, which acts on the name it is run by."""

PV_KERNEL = "/var/lib/xen/images/pv-vmlinux.gz"
PV_INITRD = "/var/lib/xen/images/pv-initrd.gz"
PV_CONFIG = "/var/lib/xen/images/pv.cfg"
"""In dom0: the PV guest's kernel, initramfs, and an ``xl`` config for it (named ``pv``)."""
PV_MEMORY_MIB = 96
"""The PV guest's memory by default: the Debian kernel needs ~58 MiB of it loaded (64 MiB is too small)."""
PV_MARKER = "VIRT-PV-GUEST-BOOTED"
PV_TICK = "pv: tick"
SAVE_DIR = "/var/lib/xen/save"
"""In dom0: a tmpfs of its own (up to 320 MiB) for ``xl save`` images: dom0's root, the initramfs, is smaller."""
CONSOLE_LOGS = "/var/log/xen/console"
"""In dom0: xenconsoled's log of each guest's console, ``guest-NAME.log``."""
DOM0_READY = "VIRT-XEN-DOM0-READY"
"""Printed on the serial console once dom0's daemons (xenstored, xenconsoled, dropbear) run."""

XEN_CMDLINE = "console=com1 com1=115200,8n1 dom0_mem=512M,max:512M dom0_max_vcpus=1 noreboot"
DOM0_CMDLINE = "console=hvc0 quiet panic=-1"
QEMU_CPU = "Westmere"
"""``-cpu max`` crashes dom0 under TCG, and KVM acceleration fails: TCG with a Westmere CPU works."""

CPUS = 2
"""Xen's physical CPUs (QEMU's -smp): two, so that a guest may have two vCPUs without ``xl vcpu-set`` refusing
to overcommit; dom0 keeps one (``dom0_max_vcpus=1``)."""

BOOT_TIMEOUT = 240.0
"""Seconds allowed from QEMU's start to dom0's SSH answering (~20 s here; a loaded CI machine is slower)."""

GuestBuildError = debimage.DebImageError


@dataclass(frozen=True)
class XenImage:
    """Xen, dom0's kernel and its initramfs (the toolstack, dropbear, the PV guest's files)."""

    xen: Path
    kernel: Path
    initrd: Path
    host_key: str
    """dom0's SSH host public key (``ssh-ed25519 BASE64``), for a known_hosts file."""
    version: str


@dataclass(frozen=True)
class _Packages:
    kernel: str
    kernel_version: str
    versions: dict[str, str]
    """Every other package: the hypervisor, busybox, the tools and their libraries."""

    @property
    def key(self) -> str:
        digest = hashlib.sha256(json.dumps(sorted(self.versions.items())).encode()).hexdigest()[:12]
        xen = self.versions[HYPERVISOR]
        return debimage.cache_key(f"{self.kernel}_{self.kernel_version}+xen_{xen}+{digest}+f{FORMAT}")

    @property
    def describe(self) -> str:
        return " ".join(
            f"{name}={version}" for name, version in {self.kernel: self.kernel_version, **self.versions}.items()
        )


def build_xen_host(cache_dir: Path | None = None) -> XenImage:
    """The Xen host's image, from the cache when built before for the same package versions, else built now.

    Raises :class:`GuestBuildError` (``virt.testing.debimage.DebImageError``) naming the failed step.
    """
    folder = debimage.cached_build(
        cache_dir if cache_dir is not None else debimage.cache_root("xen"),
        _resolve_packages,
        lambda packages: packages.key,
        _build,
        suffix=f"+f{FORMAT}",
        what="Xen host",
    )
    info = json.loads((folder / "info.json").read_text())
    return XenImage(
        xen=folder / "xen.elf",
        kernel=folder / "vmlinuz",
        initrd=folder / "dom0-initrd.gz",
        host_key=info["host_key"],
        version=info["version"],
    )


def pv_config(name: str, *, memory_mib: int = PV_MEMORY_MIB, vcpus: int = 1, extra: str = "") -> str:
    """An ``xl`` config booting the PV guest as ``name``: no disk, no network, its console on ``hvc0``."""
    args = " ".join(("console=hvc0 quiet", *extra.split()))
    return (
        f'name = "{name}"\ntype = "pv"\nkernel = "{PV_KERNEL}"\nramdisk = "{PV_INITRD}"\nextra = "{args}"\n'
        f'memory = {memory_mib}\nvcpus = {vcpus}\non_poweroff = "destroy"\non_reboot = "restart"\non_crash = "destroy"\n'
    )


# -- the running host ------------------------------------------------------------------------------------------


@dataclass
class XenHost:
    """Xen running under QEMU: dom0 answers SSH as root on ``127.0.0.1:port`` with ``key``."""

    image: XenImage
    port: int
    key: Path
    """The private key root logs in with (``key.pub`` beside it)."""
    known_hosts: Path
    """dom0's host key as ``[127.0.0.1]:PORT ssh-ed25519 ...``."""
    ssh_config: Path
    """An OpenSSH client config naming the host ``xenhost`` (port, user, key, known_hosts): ``ssh -F FILE xenhost``."""
    console_log: Path
    """QEMU's serial port: Xen's and dom0's console."""
    boot_seconds: float
    process: subprocess.Popen[bytes]
    workdir: Path
    _control: Path = field(repr=False, default=Path())
    started: float = field(repr=False, default=0.0)
    """When QEMU was started (``time.monotonic()``)."""

    @property
    def uri(self) -> str:
        """The ``xen+ssh`` URI of this host, its key given and host key checks off (``no_verify``)."""
        return f"xen+ssh://root@127.0.0.1:{self.port}/system?keyfile={self.key}&no_verify=1"

    def ssh_options(self) -> list[str]:
        """OpenSSH client options reaching dom0 (after ``ssh``; the destination is ``root@127.0.0.1``)."""
        return [
            "-F", "none", "-p", str(self.port), "-i", str(self.key),
            "-o", "IdentitiesOnly=yes", "-o", "BatchMode=yes", "-o", "LogLevel=ERROR",
            "-o", f"UserKnownHostsFile={self.known_hosts}", "-o", "StrictHostKeyChecking=yes",
            "-o", "ControlMaster=auto", "-o", f"ControlPath={self._control}", "-o", "ControlPersist=300",
        ]  # fmt: skip

    def run(
        self, command: str, *, timeout: float = 60.0, check: bool = True, input: str | None = None
    ) -> subprocess.CompletedProcess[str]:
        """``command`` (a shell line) run as root in dom0; its exit status checked unless ``check`` is False.

        ``subprocess.TimeoutExpired`` after ``timeout`` seconds (the command may go on in dom0).
        """
        argv = ["ssh", *self.ssh_options(), "root@127.0.0.1", command]
        with subprocess.Popen(
            argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        ) as ssh:
            try:
                out, err = ssh.communicate(input or "", timeout=timeout)
            except subprocess.TimeoutExpired:
                # the shared connection holds this session's pipes until the command ends in dom0:
                # waiting for their end (as subprocess.run does after a kill) could last for ever
                ssh.kill()
                ssh.wait()
                for pipe in (ssh.stdout, ssh.stderr):
                    if pipe is not None:
                        pipe.close()
                raise
        done = subprocess.CompletedProcess(argv, ssh.returncode, out, err)
        if check and done.returncode != 0:
            raise AssertionError(
                f"dom0: `{command}` exited {done.returncode}\nstdout: {done.stdout}\nstderr: {done.stderr}"
            )
        return done

    def domains(self) -> list[dict[str, Any]]:
        """``xl list -l``: every domain's JSON (``domid``, ``config.c_info.name``...), Domain-0 first."""
        listed: list[dict[str, Any]] = json.loads(self.run("xl list -l").stdout or "[]")
        return listed

    def destroy_guests(self) -> list[str]:
        """Every domain but Domain-0 destroyed (what a test left behind); their names."""
        names = [d["config"]["c_info"]["name"] for d in self.domains() if d["domid"] != 0]
        for name in names:
            self.run(f"xl destroy {name}", check=False)
        return names

    def console(self) -> str:
        """What Xen and dom0 have printed on the serial console so far."""
        return self.console_log.read_text(errors="replace") if self.console_log.exists() else ""

    def stop(self) -> None:
        """Ends QEMU (and so Xen and every guest) and the SSH connection kept open."""
        if self._control.exists():
            subprocess.run(
                ["ssh", *self.ssh_options(), "-O", "exit", "root@127.0.0.1"], capture_output=True, check=False
            )
        end_process(self.process)


def boot(
    image: XenImage, workdir: Path, *, qemu: str = "qemu-system-x86_64", memory_mib: int = 1024, cpus: int = CPUS
) -> XenHost:
    """Xen with dom0 booted under QEMU (TCG), its files in ``workdir``; returns once dom0 answers SSH.

    Raises ``RuntimeError`` with the console's output if QEMU ends or dom0 does not answer in
    :data:`BOOT_TIMEOUT` seconds (QEMU is stopped then).
    """
    workdir.mkdir(parents=True, exist_ok=True)
    key = workdir / "id_ed25519"
    if not key.exists():
        debimage.run(
            "ssh-keygen", ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "virt-xen-test", "-f", str(key)]
        )
    for attempt in range(3):
        host = _start(image, workdir, key, qemu=qemu, memory_mib=memory_mib, cpus=cpus)
        try:
            _wait_ready(host)
        except RuntimeError:
            host.stop()
            err = (workdir / "qemu.err").read_text(errors="replace")
            if "host forwarding" in err and attempt < 2:
                continue  # another program took the free port first: another one
            raise
        except BaseException:
            host.stop()
            raise
        host.boot_seconds = time.monotonic() - host.started
        return host
    raise AssertionError("not reached")


def _start(image: XenImage, workdir: Path, key: Path, *, qemu: str, memory_mib: int, cpus: int) -> XenHost:
    port = free_port()
    known_hosts = workdir / "known_hosts"
    known_hosts.write_text(f"[127.0.0.1]:{port} {image.host_key}\n")
    ssh_config = workdir / "ssh_config"
    ssh_config.write_text(
        f"Host xenhost\n  HostName 127.0.0.1\n  Port {port}\n  User root\n  IdentityFile {key}\n"
        f"  IdentitiesOnly yes\n  BatchMode yes\n  UserKnownHostsFile {known_hosts}\n  StrictHostKeyChecking yes\n"
    )
    console_log = workdir / "console.log"
    console_log.unlink(missing_ok=True)
    dom0_cmdline = f"{DOM0_CMDLINE} {authorized_key_argument(key.with_suffix('.pub').read_text())}"
    # QEMU's multiboot module list: "FILE ARGS" separated by commas (a comma in a path is doubled)
    modules = f"{_qemu_escape(image.kernel)} {dom0_cmdline},{_qemu_escape(image.initrd)}"
    argv = [
        qemu, "-machine", "q35,accel=tcg", "-cpu", QEMU_CPU, "-m", str(memory_mib), "-smp", str(cpus),
        "-display", "none", "-vga", "none", "-monitor", "none", "-no-reboot",
        "-serial", f"file:{console_log}",
        "-kernel", str(image.xen), "-append", XEN_CMDLINE, "-initrd", modules,
        "-netdev", f"user,id=net0,hostfwd=tcp:127.0.0.1:{port}-:22", "-device", "virtio-net-pci,netdev=net0",
    ]  # fmt: skip
    started = time.monotonic()
    with (workdir / "qemu.err").open("wb") as err:  # QEMU keeps its own copy of the descriptor
        process = subprocess.Popen(
            argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=err, preexec_fn=_end_with_parent
        )
    return XenHost(
        image, port, key, known_hosts, ssh_config, console_log, 0.0, process, workdir, workdir / "ssh-control", started
    )


def _end_with_parent() -> None:
    """In QEMU's child process before exec: SIGTERM when the test process dies (even killed), so that no Xen
    host is left running on the machine."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def _qemu_escape(path: Path) -> str:
    return str(path).replace(",", ",,")


def _wait_ready(host: XenHost) -> None:
    deadline = host.started + BOOT_TIMEOUT
    while DOM0_READY not in host.console():
        if host.process.poll() is not None:
            err = (host.workdir / "qemu.err").read_text(errors="replace")
            raise RuntimeError(
                f"QEMU exited ({host.process.returncode}) before dom0 was ready: {err}\n{host.console()}"
            )
        if time.monotonic() > deadline:
            raise RuntimeError(f"dom0 not ready within {BOOT_TIMEOUT} s; console:\n{host.console()}")
        time.sleep(0.2)
    while True:  # dropbear listens before DOM0_READY is printed; the forwarded port may still lag
        try:
            if host.run("true", timeout=30, check=False).returncode == 0:
                return
        except subprocess.TimeoutExpired:
            pass
        if host.process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"dom0's SSH did not answer within {BOOT_TIMEOUT} s; console:\n{host.console()}")
        time.sleep(0.5)


# -- the build -------------------------------------------------------------------------------------------------


def _resolve_packages() -> _Packages:
    stanzas = debimage.candidates([KERNEL_META, BUSYBOX, HYPERVISOR], "apt-cache show (resolving the kernel and Xen)")
    kernel, version = debimage.kernel_package(stanzas[KERNEL_META])
    # the libraries (zlib1g is one too, whatever its name says); not python3 and the like
    tools = debimage.library_packages(TOOLS, keep=lambda name: name.startswith(("lib", "zlib")))
    versions = {HYPERVISOR: stanzas[HYPERVISOR]["Version"], BUSYBOX: stanzas[BUSYBOX]["Version"]}
    versions.update((name, tools[name]["Version"]) for name in sorted(tools))
    return _Packages(kernel, version, versions)


def _build(packages: _Packages, work: Path, out: Path) -> None:
    debs = debimage.download({packages.kernel: packages.kernel_version, **packages.versions})
    kmods = debimage.KernelModules.from_package(debs[packages.kernel], work, DOM0_MODULES)
    order = kmods.load_order(name.replace("-", "_") for name in DOM0_MODULES)

    hv = debimage.extract(debs[HYPERVISOR], work / "xen", [f"./boot/xen-{XEN}-amd64.gz"])
    if not hv:
        raise GuestBuildError(f"no /boot/xen-{XEN}-amd64.gz in {debs[HYPERVISOR].name}")
    (out / "xen.elf").write_bytes(gzip.decompress(hv[0].read_bytes()))

    bb = debimage.extract(debs[BUSYBOX], work / "busybox", ["./bin/busybox"])
    if not bb:
        raise GuestBuildError(f"no /bin/busybox in {debs[BUSYBOX].name}")
    busybox = bb[0]
    applets = debimage.run("busybox --list", [str(busybox), "--list"]).stdout.decode().split()

    # the toolstack and its libraries, all unpacked into one tree
    tree = work / "root"
    for name in packages.versions:
        if name not in (HYPERVISOR, BUSYBOX):
            debimage.extract(debs[name], tree)
    for program in XEN_PROGRAMS:
        if not (tree / program).is_file():
            raise GuestBuildError(f"no /{program} in the unpacked {', '.join(TOOLS)}")
    libdirs = [tree / "lib/x86_64-linux-gnu", tree / "usr/lib/x86_64-linux-gnu", tree / "lib64"]
    # glibc loads libgcc_s for pthread_cancel, which xl's children use: without it they abort (signal 6)
    libraries = debimage.library_closure((tree / p for p in XEN_PROGRAMS), libdirs, also=("libgcc_s.so.1",))
    host_key, host_pub = _host_key(tree, libdirs, work)

    archive = debimage.Cpio()
    folders = (
        "bin", "sbin", "dev", "etc", "etc/dropbear", "etc/xen", "lib", "lib/x86_64-linux-gnu", "lib64", "lib/modules",
        kmods.moddir, "proc", "sys", "run", "tmp", "usr", "usr/bin", "usr/sbin", "usr/lib", f"usr/lib/xen-{XEN}",
        f"usr/lib/xen-{XEN}/bin", "var", "var/lib", "var/lib/xen", "var/lib/xen/images", "var/log", "var/log/xen",
        CONSOLE_LOGS.lstrip("/"),
    )  # fmt: skip
    for folder in folders:
        archive.directory(folder)
    archive.directory("root", 0o700)
    archive.directory("root/.ssh", 0o700)
    archive.symlink("var/run", "/run")
    archive.symlink("var/lock", "/run/lock")
    archive.node("dev/console", stat.S_IFCHR | 0o600, rdev=(5, 1))
    archive.file("bin/busybox", busybox.read_bytes(), 0o755)
    for applet in applets:
        if applet != "busybox":
            archive.symlink(f"bin/{applet}", "busybox")
    for name in order:
        archive.file(f"{kmods.moddir}/{name}.ko", kmods.modules[name], 0o644)
    for library in libraries:
        archive.file(f"lib/x86_64-linux-gnu/{library.name}", library.resolve().read_bytes(), 0o755)
    archive.symlink("lib64/ld-linux-x86-64.so.2", "/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2")
    for program, link in XEN_PROGRAMS.items():
        archive.file(program, (tree / program).read_bytes(), 0o755)
        if link is not None:
            archive.symlink(link, f"/{program}")
    for command in XENSTORE_COMMANDS:
        archive.symlink(f"usr/bin/xenstore-{command}", "xenstore")
    archive.file("etc/dropbear/dropbear_ed25519_host_key", host_key, 0o600)
    archive.file("etc/passwd", b"root:*:0:0:root:/root:/bin/sh\n", 0o644)  # "*": no password, yet not blank
    archive.file("etc/group", b"root:x:0:\n", 0o644)
    archive.file("etc/shells", b"/bin/sh\n", 0o644)
    archive.file("etc/hostname", b"xenhost\n", 0o644)
    archive.file("etc/xen/xl.conf", b'autoballoon="off"\n', 0o644)
    archive.file("etc/profile", b"export PATH=/usr/sbin:/usr/bin:/sbin:/bin\n", 0o644)
    # the kernel's ELF, gzipped: xl unpacks it in ~1 s where the xz bzImage takes ~8 s under TCG
    elf = debimage.vmlinux(kmods.kernel.read_bytes())
    pv_kernel = gzip.compress(elf, compresslevel=6, mtime=0) if elf is not None else kmods.kernel.read_bytes()
    archive.file(PV_KERNEL.lstrip("/"), pv_kernel, 0o644)
    archive.symlink("var/lib/xen/images/pv-vmlinuz", PV_KERNEL.rsplit("/", 1)[1])
    archive.file(PV_INITRD.lstrip("/"), _pv_initrd(busybox.read_bytes()), 0o644)
    archive.file(PV_CONFIG.lstrip("/"), pv_config("pv").encode(), 0o644)
    archive.file("init", _dom0_init(kmods.moddir, order).encode(), 0o755)

    shutil.copyfile(kmods.kernel, out / "vmlinuz")
    debimage.write_initrd(out / "dom0-initrd.gz", archive)
    info = {
        "version": packages.describe,
        "release": kmods.release,
        "modules": order,
        "libraries": sorted(p.name for p in libraries),
        "host_key": host_pub,
    }
    (out / "info.json").write_text(json.dumps(info, indent=2) + "\n")


def _host_key(tree: Path, libdirs: Sequence[Path], work: Path) -> tuple[bytes, str]:
    """dom0's dropbear host key (dropbear's format) and its public line, made by the unpacked dropbearkey run
    through the unpacked loader (the host's own libraries play no part)."""
    loader = next((d / "ld-linux-x86-64.so.2" for d in libdirs if (d / "ld-linux-x86-64.so.2").exists()), None)
    if loader is None:
        raise GuestBuildError("no ld-linux-x86-64.so.2 in the unpacked libc6")
    path = ":".join(str(d) for d in libdirs)
    keygen = [str(loader), "--library-path", path, str(tree / "usr/bin/dropbearkey")]
    keyfile = work / "host_key"
    debimage.run("dropbearkey -t ed25519", [*keygen, "-t", "ed25519", "-f", str(keyfile)])
    shown = debimage.run("dropbearkey -y", [*keygen, "-y", "-f", str(keyfile)]).stdout.decode()
    public = next((line for line in shown.splitlines() if line.startswith("ssh-ed25519 ")), None)
    if public is None:
        raise GuestBuildError(f"dropbearkey -y printed no ssh-ed25519 key: {shown!r}")
    return keyfile.read_bytes(), " ".join(public.split()[:2])


PV_APPLETS = ("sh", "mount", "mkdir", "sleep", "echo", "cat", "poweroff", "reboot")


def _pv_initrd(busybox: bytes) -> bytes:
    archive = debimage.Cpio()
    for folder in ("bin", "sbin", "dev", "proc", "sys", "tmp"):
        archive.directory(folder)
    archive.node("dev/console", stat.S_IFCHR | 0o600, rdev=(5, 1))
    archive.file("bin/busybox", busybox, 0o755)
    for applet in PV_APPLETS:
        archive.symlink(f"bin/{applet}", "busybox")
    # the kernel runs these on xl shutdown / xl reboot (orderly_poweroff, orderly_reboot): busybox's own
    # poweroff would signal init, which this shell init does not handle, so stop at once (-f)
    archive.file("sbin/poweroff", b"#!/bin/sh\necho 'pv: poweroff' > /dev/hvc0\nexec /bin/busybox poweroff -f\n", 0o755)
    archive.file("sbin/reboot", b"#!/bin/sh\necho 'pv: reboot' > /dev/hvc0\nexec /bin/busybox reboot -f\n", 0o755)
    init = f"""#!/bin/sh
export PATH=/bin:/sbin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
exec > /dev/hvc0 2>&1
echo
echo {PV_MARKER}
n=0
while true; do
    n=$((n + 1))
    echo "{PV_TICK} $n"
    # xl vcpu-set makes a vCPU present; bringing it online is left to user space (udev, elsewhere)
    for cpu in /sys/devices/system/cpu/cpu[0-9]*/online; do
        [ -e "$cpu" ] && read -r state < "$cpu" && [ "$state" = 0 ] && echo 1 > "$cpu" && echo "pv: ${{cpu%/online}} online"
    done
    sleep 1
done
"""
    archive.file("init", init.encode(), 0o755)
    gz = gzip.compress(archive.finish(), compresslevel=6, mtime=0)
    return gz


def _dom0_init(moddir: str, modules: Sequence[str]) -> str:
    return f"""#!/bin/sh
export PATH=/usr/sbin:/usr/bin:/sbin:/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mkdir -p /dev/pts /dev/shm /run/xen /run/xenstored /run/lock /var/lib/xen/dump
mount -t devpts devpts /dev/pts
mount -t tmpfs tmpfs /dev/shm
mkdir -p {SAVE_DIR}
mount -t tmpfs -o size=320m,mode=0700 tmpfs {SAVE_DIR}
hostname xenhost
{debimage.insmod_lines(moddir, modules)}
mount -t xenfs xenfs /proc/xen || echo 'init: cannot mount xenfs'
read -r cmdline < /proc/cmdline
for word in $cmdline; do
    case $word in
        virt.sshkey=*) key=${{word#virt.sshkey=}}; echo "${{key%%:*}} ${{key#*:}} virt-test" > /root/.ssh/authorized_keys ;;
    esac
done
chmod 600 /root/.ssh/authorized_keys 2> /dev/null || echo 'init: no virt.sshkey= on the command line'
ifconfig lo 127.0.0.1 up
# QEMU user networking: the guest is 10.0.2.15, the host's side 10.0.2.2
i=0
while [ ! -e /sys/class/net/eth0 ] && [ $i -lt 500 ]; do usleep 10000; i=$((i + 1)); done
ifconfig eth0 10.0.2.15 netmask 255.255.255.0 up || echo 'init: no eth0'
route add default gw 10.0.2.2
xenstored --pid-file /run/xenstored.pid || echo 'init: xenstored failed'
i=0
while ! xenstore-exists / 2> /dev/null && [ $i -lt 500 ]; do usleep 20000; i=$((i + 1)); done
xen-init-dom0 || echo 'init: xen-init-dom0 failed'
xenconsoled --pid-file=/run/xenconsoled.pid --log=guest --log-dir={CONSOLE_LOGS} || echo 'init: xenconsoled failed'
dropbear -s -r /etc/dropbear/dropbear_ed25519_host_key -p 22 -P /run/dropbear.pid || echo 'init: dropbear failed'
echo
echo {DOM0_READY}
while true; do sleep 3600; done
"""


def authorized_key_argument(public_key: str) -> str:
    """dom0's ``virt.sshkey=`` kernel argument for an OpenSSH public key line (``TYPE BASE64 [COMMENT]``)."""
    parts = public_key.split()
    if len(parts) < 2:
        raise ValueError(f"not an OpenSSH public key line: {public_key!r}")
    base64.b64decode(parts[1], validate=True)
    return f"virt.sshkey={parts[0]}:{parts[1]}"

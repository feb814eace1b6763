"""A tiny Linux guest that boots, answers the ACPI power button (and a guest agent's shutdown) and powers off.

``build_guest()`` fetches Debian's ``linux-image-amd64`` kernel (the versioned package it depends on) and
``busybox-static`` with ``apt-get download`` (nothing is installed on the host), takes out the kernel, its
``evdev`` and ``button`` modules and busybox, and writes a gzipped ``newc`` initramfs (in Python: no ``cpio``
tool needed) whose ``/init`` mounts proc/sys/dev, loads the two modules, starts busybox ``acpid`` (power
button -> ``poweroff -f``), prints :data:`MARKER` on the console (``ttyS0``) and sleeps.

Variants, chosen on the kernel command line (:func:`domain_xml`'s ``agent`` and ``acpi``), so that one
build serves every test:
- ``virt.agent=answer``: init also loads the virtio modules a virtio-serial port needs (those of
  :data:`AGENT_MODULES` the kernel does not have built in, per its ``modules.builtin``) and runs a
  shell-loop stand-in for qemu-ga on the port named ``org.qemu.guest_agent.0``: it answers
  ``guest-sync-delimited`` (``0xFF`` then ``{"return": ID}``), ``guest-get-time`` and ``guest-set-time``
  (with or without a time, said on the console), ``guest-suspend-ram`` (no reply, as qemu-ga: it writes
  ``agent: suspend to ram``, suspends the kernel to RAM, and ``agent: woken up`` once the host woke it),
  ``guest-fstrim`` and ``guest-set-user-password``
  (said on the console: ``agent: fstrim``, ``agent: password of USER``), ``guest-get-vcpus`` and
  ``guest-set-vcpus`` (the kernel's own CPU hotplug, said as ``agent: vcpu N online 0|1``), the
  ``guest-ssh-*-authorized-keys`` commands (each user's keys kept in the stand-in's memory, said as
  ``agent: ssh keys of USER``), and on ``guest-shutdown`` writes
  ``agent: shutdown`` (or ``agent: reboot``) on the console, then ``poweroff -f`` (``reboot -f``).
  It writes :data:`AGENT_READY` on the console once it holds the port, before :data:`MARKER`;
- ``virt.agent=mute``: the same port held open and read, never answered (a hung agent);
- ``virt.acpi=off``: no ``acpid``, so the power button does nothing (only the agent can power it off);
- ``virt.net=dhcp``: init loads the virtio NIC's driver (:data:`NET_MODULES`, those not built in), takes a
  DHCP lease on ``eth0`` with busybox ``udhcpc`` (sending ``virt.hostname``), pings the lease's router and
  looks ``virt.lookup`` up with ``nslookup`` at the lease's DNS server, writing ``net: lease ADDRESS``,
  ``net: ping ok`` (or ``failed``) and ``net: lookup NAME`` then nslookup's answer on the console, before
  :data:`MARKER`; afterwards it pings the router every second (``net: ping ok`` lines while it answers);
- ``virt.counter=vdX``: init loads the virtio disk's driver (:data:`COUNTER_MODULES`), reads the counter kept
  in the first sector of ``/dev/vdX`` (``counter N`` then a newline, the rest zeros; a blank disk counts
  from 0) and, in the background, every :data:`COUNTER_PERIOD` seconds writes the next value there
  (``dd conv=fsync``: QEMU has it before the next step) and says ``counter: N`` on the console, before
  :data:`MARKER`. A guest that goes on from saved memory goes on counting from its memory; one that
  boots again counts on from what its disk holds. :func:`read_counter` reads the value from the host.

Whatever the variant, a machine with a virtio balloon (PCI ``1af4:1002`` or ``1af4:1045``, :func:`domain_xml`'s
``balloon``) gets its driver, :data:`BALLOON_MODULES` (those not built in) loaded first thing: the guest then
inflates the balloon to the host's target and answers the host's requests for its memory statistics.
A module another variant needs too is loaded once (``/sys/module`` says which are in).

The kernel it boots is the ELF ``vmlinux`` taken out of Debian's ``vmlinuz`` (bzImage) when that kernel has a
PVH entry note (Debian's has ``CONFIG_PVH=y``): QEMU boots such an ELF directly (``-kernel``, its ``pvh.bin``
option ROM), which skips the bzImage's decompressor, ~2 s of a ~3.8 s boot under TCG (~1.6 s left).
The bzImage is kept beside it (:attr:`GuestImage.bzimage`).

The result is cached in ``$VIRT_TEST_CACHE/guest`` (``/var/tmp/virt-test-guest`` by default), one folder per
package versions, published by an atomic rename under a lock, so parallel test runs build it once.
The downloaded packages are kept in ``$VIRT_TEST_CACHE/debs`` (``/var/tmp/virt-test-debs``) for the next build
(a new format, the Xen host, a later CI step); the guest folder holds the kernel and the initramfs (~10 MB).
"""

from __future__ import annotations

import json
import re
import shutil
import stat
import struct
import subprocess
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from xml.etree import ElementTree as ET

from virt.testing import debimage
from virt.testing.debimage import Cpio, insmod_lines

_Cpio = Cpio  # the name the migration test's own initramfs uses

MARKER = "VIRT-GUEST-BOOTED"
"""Printed on its own line on the serial console once ``acpid`` listens to the power button."""

CMDLINE = "console=ttyS0 quiet panic=-1"
"""``panic=-1``: a guest whose init fails reboots at once, and QEMU run with ``-no-reboot`` then exits."""

FORMAT = 11
"""Bumped whenever the initramfs changes, so that older cached builds are not reused."""

KERNEL_META = "linux-image-amd64"
BUSYBOX = "busybox-static"
MODULES = ("evdev", "button")
"""Loaded in this order (their dependencies, if any, first): the ACPI power button as an input device."""
AGENT_MODULES = ("virtio", "virtio_ring", "virtio_pci", "virtio_console")
"""What a virtio-serial port needs, loaded (those not built in) only by the agent variants."""
BALLOON_MODULES = ("virtio", "virtio_ring", "virtio_pci", "virtio_balloon")
"""The virtio balloon's driver, loaded (those not built in) when the machine has a virtio balloon."""
BALLOON_PCI_IDS = ("0x1002", "0x1045")
"""The virtio balloon's PCI device ids (transitional, modern) under vendor 0x1af4."""
NET_MODULES = ("virtio", "virtio_ring", "virtio_pci", "virtio_net")
"""The virtio NIC's driver, loaded (those not built in) by the ``virt.net`` variant."""
COUNTER_MODULES = ("virtio", "virtio_ring", "virtio_pci", "virtio_blk")
"""The virtio disk's driver, loaded (those not built in) by the ``virt.counter`` variant."""
COUNTER_PERIOD = 0.2
"""Seconds between two steps of the ``virt.counter`` variant."""
AGENT_CHANNEL = "org.qemu.guest_agent.0"
AGENT_READY = "agent: ready"
"""Printed on the console by the agent variants once the agent holds its port (before :data:`MARKER`)."""

BUSYBOX_APPLETS = (
    "sh", "mount", "mkdir", "insmod", "acpid", "poweroff", "reboot", "sleep", "usleep", "cat", "echo", "printf",
    "ifconfig", "route", "udhcpc", "ping", "nslookup", "dd",
)  # fmt: skip
UDHCPC_SCRIPT = """#!/bin/sh
# busybox udhcpc's hook: configure the lease it got, remember the router and DNS server for init
case $1 in
    bound|renew)
        ifconfig "$interface" "$ip" netmask "$subnet" up
        [ -n "$router" ] && route add default gw "${router%% *}" dev "$interface"
        echo "${router%% *}" > /tmp/router
        echo "${dns%% *}" > /tmp/dns
        echo "$ip" > /tmp/address
        ;;
esac
"""


GuestBuildError = debimage.DebImageError
"""The tiny guest could not be built; the message says which step failed (apt, dpkg, a module)."""


@dataclass(frozen=True)
class GuestImage:
    """A bootable guest: direct kernel boot of ``kernel`` with ``initrd`` and ``cmdline``."""

    kernel: Path
    initrd: Path
    cmdline: str
    bzimage: Path | None = None
    """Debian's compressed kernel as packaged; ``kernel`` is the same kernel uncompressed (PVH ELF) if not it."""
    version: str = ""
    """The packages it was built from, e.g. ``linux-image-6.1.0-56-amd64=6.1.192-2 busybox-static=...``."""
    marker: str = MARKER
    agent_ready: str = AGENT_READY


@dataclass(frozen=True)
class _Packages:
    kernel: str
    kernel_version: str
    busybox_version: str

    @property
    def key(self) -> str:
        raw = f"{self.kernel}_{self.kernel_version}+busybox_{self.busybox_version}+f{FORMAT}"
        return debimage.cache_key(raw)

    @property
    def describe(self) -> str:
        return f"{self.kernel}={self.kernel_version} {BUSYBOX}={self.busybox_version}"


def default_cache_dir() -> Path:
    return debimage.cache_root("guest")


def build_guest(cache_dir: Path | None = None) -> GuestImage:
    """The tiny guest, from the cache when built before for the same package versions, else built now.

    Raises :class:`GuestBuildError` naming the failed step.
    """
    folder = debimage.cached_build(
        cache_dir if cache_dir is not None else default_cache_dir(),
        _resolve_packages,
        lambda packages: packages.key,
        _build,
        suffix=f"+f{FORMAT}",
        what="guest",
    )
    return _load(folder)


def domain_xml(
    name: str,
    guest: GuestImage,
    *,
    virt_type: str = "qemu",
    memory_mib: int = 128,
    serial_log: Path | None = None,
    agent: str | None = None,
    channel: bool | None = None,
    acpi: bool = True,
    machine: str = "q35",
    balloon: bool = False,
    network: str | None = None,
    mac: str | None = None,
    lookup: str | None = None,
    vcpus: int = 1,
    counter_disk: Path | None = None,
    counter_format: str = "raw",
) -> str:
    """libvirt domain XML booting ``guest`` directly (no disk, no network), its serial console to
    ``serial_log`` (a file) or a pty, powered off (and so destroyed) on ACPI shutdown.

    ``agent``: ``answer`` or ``mute``, the guest agent variant to run (see the module's notes);
    ``channel``: whether the domain has the agent's channel (by default, when an agent runs);
    ``acpi``: False for a guest that ignores the power button;
    ``machine``: the machine type (a 64-bit kernel: on ``isapc``, whose own CPU is a 486, add a <cpu>);
    ``balloon``: a virtio balloon (the guest loads its driver) instead of none;
    ``network``: a virtio interface on that libvirt network (MAC ``mac`` if given), on which the guest
    takes a DHCP lease, pings its router and looks ``lookup`` up (the ``virt.net`` variant);
    ``vcpus``: how many processors the guest has;
    ``counter_disk``: an image (of ``counter_format``) given as virtio disk ``vda``, on which the guest keeps
    its counter (the ``virt.counter`` variant; :func:`read_counter`, :func:`counted`).
    """
    domain = ET.Element("domain", type=virt_type)
    ET.SubElement(domain, "name").text = name
    ET.SubElement(domain, "memory", unit="MiB").text = str(memory_mib)
    ET.SubElement(domain, "vcpu").text = str(vcpus)
    os_el = ET.SubElement(domain, "os")
    ET.SubElement(os_el, "type", arch="x86_64", machine=machine).text = "hvm"
    ET.SubElement(os_el, "kernel").text = str(guest.kernel)
    ET.SubElement(os_el, "initrd").text = str(guest.initrd)
    options = [guest.cmdline]
    if agent is not None:
        if agent not in ("answer", "mute"):
            raise ValueError(f"unknown guest agent variant {agent!r}: 'answer' or 'mute'")
        options.append(f"virt.agent={agent}")
    if not acpi:
        options.append("virt.acpi=off")
    if counter_disk is not None:
        options.append("virt.counter=vda")
    if network is not None:
        options += ["virt.net=dhcp", f"virt.hostname={name}"] + ([f"virt.lookup={lookup}"] if lookup else [])
    ET.SubElement(os_el, "cmdline").text = " ".join(options)
    features = ET.SubElement(domain, "features")
    ET.SubElement(features, "acpi")
    ET.SubElement(domain, "on_poweroff").text = "destroy"
    ET.SubElement(domain, "on_reboot").text = "destroy"  # as QEMU -no-reboot: a guest that panics stops
    ET.SubElement(domain, "on_crash").text = "destroy"
    devices = ET.SubElement(domain, "devices")
    if serial_log is not None:
        serial = ET.SubElement(devices, "serial", type="file")
        ET.SubElement(serial, "source", path=str(serial_log))
    else:
        serial = ET.SubElement(devices, "serial", type="pty")
    ET.SubElement(serial, "target", port="0")
    if channel if channel is not None else agent is not None:
        char = ET.SubElement(devices, "channel", type="unix")
        ET.SubElement(char, "target", type="virtio", name=AGENT_CHANNEL)
    if counter_disk is not None:
        disk = ET.SubElement(devices, "disk", type="file", device="disk")
        ET.SubElement(disk, "driver", name="qemu", type=counter_format)
        ET.SubElement(disk, "source", file=str(counter_disk))
        ET.SubElement(disk, "target", dev="vda", bus="virtio")
    if network is not None:
        interface = ET.SubElement(devices, "interface", type="network")
        if mac is not None:
            ET.SubElement(interface, "mac", address=mac)
        ET.SubElement(interface, "source", network=network)
        ET.SubElement(interface, "model", type="virtio")
    ET.SubElement(devices, "memballoon", model="virtio" if balloon else "none")
    ET.indent(domain)
    return ET.tostring(domain, encoding="unicode") + "\n"


_COUNTED = re.compile(r"^counter: (\d+)\r?$", re.MULTILINE)


def counted(serial_log: Path) -> list[int]:
    """The values the ``virt.counter`` variant said on the console (the serial log's ``counter: N`` lines)."""
    return [int(n) for n in _COUNTED.findall(serial_log.read_text(errors="replace"))]


def read_counter(image: Path, image_format: str = "raw") -> int:
    """The counter the ``virt.counter`` variant keeps on ``image`` (0 for a blank disk), read by the host:
    ``qemu-img dd -U`` so that an image a running QEMU holds (locked) can be read too."""
    with tempfile.TemporaryDirectory(prefix="virt-counter-") as temp:
        sector = Path(temp) / "sector"
        subprocess.run(
            [
                "qemu-img",
                "dd",
                "-U",
                "-f",
                image_format,
                "-O",
                "raw",
                "bs=512",
                "count=1",
                f"if={image}",
                f"of={sector}",
            ],
            check=True,
            capture_output=True,
        )
        head = sector.read_bytes()[:512]
    found = re.match(rb"counter (\d+)\n", head)
    if found is None:
        if head.strip(b"\0"):
            raise ValueError(f"{image}: the first sector holds no counter: {head[:40]!r}")
        return 0
    return int(found.group(1))


# -- the cache ---------------------------------------------------------------------------------------------


def _load(folder: Path) -> GuestImage:
    info = json.loads((folder / "info.json").read_text())
    return GuestImage(
        kernel=folder / info["kernel"],
        initrd=folder / "initrd.gz",
        cmdline=info["cmdline"],
        bzimage=folder / "vmlinuz",
        version=info["version"],
    )


def _resolve_packages() -> _Packages:
    """The kernel package ``linux-image-amd64`` depends on, and the candidate versions, in one look-up."""
    stanzas = debimage.candidates([KERNEL_META, BUSYBOX], "apt-cache show (resolving the kernel package)")
    kernel, version = debimage.kernel_package(stanzas[KERNEL_META])
    return _Packages(kernel, version, stanzas[BUSYBOX]["Version"])


# -- the initramfs ---------------------------------------------------------------------------------------------


def _build(packages: _Packages, work: Path, out: Path) -> None:
    debs = debimage.download({packages.kernel: packages.kernel_version, BUSYBOX: packages.busybox_version})
    wanted = (*MODULES, *AGENT_MODULES, *BALLOON_MODULES, *NET_MODULES, *COUNTER_MODULES)
    kmods = debimage.KernelModules.from_package(debs[packages.kernel], work, wanted)
    kernel, release, builtin = kmods.kernel, kmods.release, kmods.builtin
    order = kmods.load_order(MODULES)
    agent_order = kmods.load_order(AGENT_MODULES)
    balloon_order = kmods.load_order(BALLOON_MODULES)
    net_order = kmods.load_order(NET_MODULES)
    counter_order = kmods.load_order(COUNTER_MODULES)

    bb_files = debimage.extract(debs[BUSYBOX], work / "busybox", ["./bin/busybox"])
    if not bb_files:
        raise GuestBuildError(f"no /bin/busybox in {debs[BUSYBOX].name}")
    busybox = bb_files[0].read_bytes()

    moddir = kmods.moddir
    archive = Cpio()
    for folder in ("bin", "dev", "etc", "etc/acpi", "etc/acpi/PWRF", "lib", "lib/modules", moddir, "proc", "sys"):
        archive.directory(folder)
    for folder in ("tmp", "var", "var/run", "var/log"):
        archive.directory(folder)
    archive.node("dev/console", stat.S_IFCHR | 0o600, rdev=(5, 1))
    archive.file("bin/busybox", busybox, 0o755)
    for applet in BUSYBOX_APPLETS:
        archive.symlink(f"bin/{applet}", "busybox")
    for name in dict.fromkeys((*order, *agent_order, *balloon_order, *net_order, *counter_order)):
        archive.file(f"{moddir}/{name}.ko", kmods.modules[name], 0o644)
    archive.file("etc/acpi/PWRF/00000080", b"#!/bin/sh\npoweroff -f\n", 0o755)
    archive.file("etc/udhcpc.sh", UDHCPC_SCRIPT.encode(), 0o755)
    init = _init_script(moddir, order, agent_order, balloon_order, net_order, counter_order)
    archive.file("init", init.encode(), 0o755)

    shutil.copyfile(kernel, out / "vmlinuz")
    vmlinux = _pvh_vmlinux(kernel.read_bytes())
    if vmlinux is not None:
        (out / "vmlinux").write_bytes(vmlinux)
    debimage.write_initrd(out / "initrd.gz", archive)
    info = {
        "version": packages.describe,
        "kernel": "vmlinuz" if vmlinux is None else "vmlinux",
        "release": release,
        "cmdline": CMDLINE,
        "modules": order,
        "agent_modules": agent_order,
        "balloon_modules": balloon_order,
        "net_modules": net_order,
        "counter_modules": counter_order,
        "builtin": sorted(builtin & {*AGENT_MODULES, *BALLOON_MODULES}),
    }
    (out / "info.json").write_text(json.dumps(info, indent=2) + "\n")


def _pvh_vmlinux(bzimage: bytes) -> bytes | None:
    """The ELF kernel inside a bzImage, if it has a PVH entry point and a payload compressed as Python reads."""
    elf = debimage.vmlinux(bzimage)
    return elf if elf is not None and _has_pvh_note(elf) else None


def _has_pvh_note(elf: bytes) -> bool:
    """Whether a little-endian ELF64 has the ``Xen`` note XEN_ELFNOTE_PHYS32_ENTRY (18), QEMU's PVH entry."""
    if elf[:6] != b"\x7fELF\x02\x01":
        return False
    phoff, phentsize, phnum = struct.unpack_from("<Q", elf, 0x20)[0], *struct.unpack_from("<HH", elf, 0x36)
    for index in range(phnum):
        p_type, _, p_offset, _, _, p_filesz = struct.unpack_from("<IIQQQQ", elf, phoff + index * phentsize)
        if p_type != 4:  # PT_NOTE
            continue
        pos, end = p_offset, p_offset + p_filesz
        while pos + 12 <= end:
            namesz, descsz, n_type = struct.unpack_from("<III", elf, pos)
            name = elf[pos + 12 : pos + 12 + namesz].rstrip(b"\0")
            if name == b"Xen" and n_type == 18:
                return True
            pos += 12 + (namesz + 3) // 4 * 4 + (descsz + 3) // 4 * 4
    return False


def _init_script(
    moddir: str,
    modules: Sequence[str],
    agent_modules: Sequence[str],
    balloon_modules: Sequence[str] = (),
    net_modules: Sequence[str] = (),
    counter_modules: Sequence[str] = (),
) -> str:
    agent_loads = insmod_lines(moddir, agent_modules, "    ") or ":"
    net_loads = insmod_lines(moddir, net_modules, "    ") or ":"
    counter_loads = insmod_lines(moddir, counter_modules, "    ") or ":"
    period_us = int(COUNTER_PERIOD * 1_000_000)
    balloon_loads = insmod_lines(moddir, balloon_modules, "    ") or ":"
    balloon_ids = " | ".join(f"0x1af4:{device}" for device in BALLOON_PCI_IDS)
    return f"""#!/bin/sh
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
balloon=
for device in /sys/bus/pci/devices/*; do
    [ -e "$device/vendor" ] || continue
    read -r vendor < "$device/vendor"
    read -r id < "$device/device"
    case "$vendor:$id" in {balloon_ids}) balloon=yes ;; esac
done
if [ -n "$balloon" ]; then
    {balloon_loads}
fi
{insmod_lines(moddir, modules)}
agent=
acpi=on
net=
lookup=
hostname=guest
counter=
read -r cmdline < /proc/cmdline
for word in $cmdline; do
    case $word in
        virt.agent=*) agent=${{word#virt.agent=}} ;;
        virt.acpi=*) acpi=${{word#virt.acpi=}} ;;
        virt.net=*) net=${{word#virt.net=}} ;;
        virt.lookup=*) lookup=${{word#virt.lookup=}} ;;
        virt.hostname=*) hostname=${{word#virt.hostname=}} ;;
        virt.counter=*) counter=${{word#virt.counter=}} ;;
    esac
done
if [ "$net" = dhcp ]; then
    {net_loads}
    ifconfig lo 127.0.0.1 up
    ifconfig eth0 up
    if udhcpc -i eth0 -q -n -t 20 -T 1 -x hostname:"$hostname" -s /etc/udhcpc.sh > /tmp/udhcpc.log 2>&1; then
        read -r address < /tmp/address
        read -r router < /tmp/router
        read -r dns < /tmp/dns
        echo "net: lease $address"
        if ping -c 1 -W 2 "$router" > /dev/null 2>&1; then echo 'net: ping ok'; else echo 'net: ping failed'; fi
        if [ -n "$lookup" ]; then
            echo "net: lookup $lookup"
            nslookup "$lookup" "$dns" 2>&1
        fi
        (while true; do sleep 1; ping -c 1 -W 1 "$router" > /dev/null 2>&1 && echo 'net: ping ok'; done) &
    else
        echo 'net: no lease'
        cat /tmp/udhcpc.log
    fi
fi

# The agent stand-in reads requests line by line; while no host program is connected to the
# port, reading it ends at once (end of input), hence the pause before reading again.
answer() {{
    while true; do
        while read -r line; do
            case $line in
                *guest-sync-delimited*)
                    id=${{line##*'"id"'}}
                    id=${{id#*:}}
                    id=${{id#"${{id%%[! ]*}}"}}
                    id=${{id%%[!0-9]*}}
                    printf '\\377{{"return": %s}}\\n' "$id"
                    ;;
                *guest-sync*)
                    # libvirt's own sync: the same id back, without the delimiter byte
                    id=${{line##*'"id"'}}
                    id=${{id#*:}}
                    id=${{id#"${{id%%[! ]*}}"}}
                    id=${{id%%[!0-9]*}}
                    printf '{{"return": %s}}\n' "$id"
                    ;;
                *guest-set-time*'"time"'*)
                    t=${{line##*'"time"'}}
                    t=${{t#*:}}
                    t=${{t#"${{t%%[! ]*}}"}}
                    t=${{t%%[!0-9]*}}
                    date -s "@$((t / 1000000000))" > /dev/null 2>&1
                    echo "agent: time set $((t / 1000000000))" > /dev/console
                    printf '{{"return": {{}}}}\n'
                    ;;
                *guest-set-time*)
                    echo 'agent: time from the rtc' > /dev/console
                    printf '{{"return": {{}}}}\n'
                    ;;
                *guest-fstrim*)
                    echo 'agent: fstrim' > /dev/console
                    printf '{{"return": {{"paths": []}}}}\n'
                    ;;
                *guest-set-user-password*)
                    u=${{line##*'"username"'}}
                    u=${{u#*'"'}}
                    u=${{u%%'"'*}}
                    echo "agent: password of $u" > /dev/console
                    printf '{{"return": {{}}}}\n'
                    ;;
                *guest-get-vcpus*)
                    list=
                    for c in /sys/devices/system/cpu/cpu[0-9]*; do
                        n=${{c##*cpu}}
                        online=true
                        can=false
                        if [ -e "$c/online" ]; then
                            can=true
                            read -r o < "$c/online"
                            [ "$o" = 1 ] || online=false
                        fi
                        list="$list${{list:+, }}{{\\"logical-id\\": $n, \\"online\\": $online, \\"can-offline\\": $can}}"
                    done
                    printf '{{"return": [%s]}}\n' "$list"
                    ;;
                *guest-set-vcpus*)
                    rest=$line
                    count=0
                    while case $rest in *'"logical-id"'*) true ;; *) false ;; esac; do
                        rest=${{rest#*'"logical-id"'}}
                        rest=${{rest#*:}}
                        rest=${{rest#"${{rest%%[! ]*}}"}}
                        n=${{rest%%[!0-9]*}}
                        rest=${{rest#*'"online"'}}
                        rest=${{rest#*:}}
                        rest=${{rest#"${{rest%%[! ]*}}"}}
                        case $rest in true*) v=1 ;; *) v=0 ;; esac
                        echo $v 2> /dev/null > "/sys/devices/system/cpu/cpu$n/online" || break
                        echo "agent: vcpu $n online $v" > /dev/console
                        count=$((count + 1))
                    done
                    printf '{{"return": %s}}\n' "$count"
                    ;;
                *guest-ssh-*-authorized-keys*)
                    # one user's keys, a line each, in $ssh_keys_USER (user names of [a-z0-9_] only)
                    u=${{line##*'"username"'}}
                    u=${{u#*'"'}}
                    u=${{u%%'"'*}}
                    case $u in
                        ''|*[!a-z0-9_]*)
                            printf '{{"error": {{"class": "GenericError", "desc": "bad user name"}}}}\n'
                            continue
                            ;;
                    esac
                    eval "store=\\${{ssh_keys_$u}}"
                    given=
                    rest=${{line#*'"keys"'}}
                    rest=${{rest#*[}}
                    rest=${{rest%%]*}}
                    while case $rest in *'"'*) true ;; *) false ;; esac; do
                        rest=${{rest#*'"'}}
                        given="$given${{rest%%'"'*}}
"
                        rest=${{rest#*'"'}}
                    done
                    case $line in
                        *guest-ssh-get-authorized-keys*)
                            list=
                            while read -r k; do
                                [ -n "$k" ] && list="$list${{list:+, }}\\"$k\\""
                            done << EOF
$store
EOF
                            printf '{{"return": {{"keys": [%s]}}}}\n' "$list"
                            continue
                            ;;
                        *guest-ssh-remove-authorized-keys*)
                            kept=
                            while read -r k; do
                                case "
$given" in *"
$k
"*) ;; *) [ -n "$k" ] && kept="$kept$k
" ;; esac
                            done << EOF
$store
EOF
                            store=$kept
                            ;;
                        *)
                            case $line in *'"reset": true'* | *'"reset":true'*) store= ;; esac
                            while read -r k; do
                                case "
$store" in *"
$k
"*) ;; *) [ -n "$k" ] && store="$store$k
" ;; esac
                            done << EOF
$given
EOF
                            ;;
                    esac
                    eval "ssh_keys_$u=\\$store"
                    echo "agent: ssh keys of $u" > /dev/console
                    printf '{{"return": {{}}}}\n'
                    ;;
                *guest-get-time*)
                    printf '{{"return": %s000000000}}\n' "$(date +%s)"
                    ;;
                *guest-suspend-ram*)
                    # as qemu-ga: no reply; the guest sleeps until the host wakes it
                    echo 'agent: suspend to ram' > /dev/console
                    echo mem > /sys/power/state
                    echo 'agent: woken up' > /dev/console
                    ;;
                *guest-shutdown*'"reboot"'*)
                    echo 'agent: reboot' > /dev/console
                    reboot -f
                    ;;
                *guest-shutdown*)
                    echo 'agent: shutdown' > /dev/console
                    poweroff -f
                    ;;
            esac
        done
        usleep 100000
    done
}}
mute() {{
    while true; do cat > /dev/null; usleep 100000; done
}}
if [ -n "$agent" ]; then
    {agent_loads}
    port=
    i=0
    # the port appears once QEMU has told the guest about it (virtio_console works that out after insmod)
    while [ -z "$port" ] && [ $i -lt 1000 ]; do
        for p in /sys/class/virtio-ports/*; do
            [ -e "$p/name" ] && read -r n < "$p/name" && [ "$n" = {AGENT_CHANNEL} ] && [ -c "/dev/${{p##*/}}" ] &&
                port=/dev/${{p##*/}}
        done
        [ -n "$port" ] || usleep 10000
        i=$((i + 1))
    done
    if [ -n "$port" ]; then
        # a failed exec would end init (and the guest): the node was checked above
        exec 3<> "$port"
        if [ "$agent" = mute ]; then
            mute <&3 &
        else
            answer <&3 >&3 &
        fi
        echo "{AGENT_READY} ($agent) on $port"
    else
        echo 'init: no virtio port named {AGENT_CHANNEL}'
    fi
fi
if [ "$acpi" != off ]; then
    # acpid writes its pid file once it has opened /dev/input/event*: only then is the power button heard
    acpid -c /etc/acpi -l /var/log/acpid.log -p /var/run/acpid.pid
    i=0
    while [ ! -e /var/run/acpid.pid ] && [ $i -lt 500 ]; do usleep 10000; i=$((i + 1)); done
    [ -e /var/run/acpid.pid ] || echo 'init: acpid did not start'
fi
if [ -n "$counter" ]; then
    {counter_loads}
    i=0
    while [ ! -b "/dev/$counter" ] && [ $i -lt 500 ]; do usleep 10000; i=$((i + 1)); done
    # the first sector holds "counter N"; the shell drops a blank disk's zeros, leaving no number
    head=$(dd if="/dev/$counter" bs=512 count=1 2> /dev/null)
    case $head in
        "counter "[0-9]*) n=${{head#counter }}; n=${{n%%[!0-9]*}} ;;
        *) n=0 ;;
    esac
    echo "counter: from $n"
    (
        while true; do
            n=$((n + 1))
            printf 'counter %s\n' "$n" | dd of="/dev/$counter" bs=512 count=1 conv=sync,fsync 2> /dev/null &&
                echo "counter: $n"
            usleep {period_us}
        done
    ) &
fi
echo
echo {MARKER}
while true; do sleep 3600; done
"""

"""An LXC tools configuration as a domain: what ``virsh domxml-from-native lxc-tools`` gives.

libvirt 9.0's conversion is the reference (its defaults: 64 MiB, one vCPU, /sbin/init, the
libvirt_lxc emulator at libvirt's upstream path, capabilities policy 'allow', a fresh UUID),
reading both LXC 3's key names and the pre-3.0 ones. It differs on purpose where libvirt's result
would not run the container LXC would:

- ``lxc.idmap`` keeps LXC's meaning (container id, then host id); libvirt swaps the two;
- every ``lxc.cap.drop`` line counts (libvirt reads the first), ``lxc.cap.keep`` converts, and
  a capability the XML cannot name is an error rather than silently left to the container;
- ``lxc.cgroup2.*`` limits convert (libvirt drops them), see ``cgroups``;
- ``lxc.init.cmd`` is the init (libvirt always writes /sbin/init); a NIC of type ``empty`` keeps
  a private network namespace; a NIC without hwaddr gets its MAC when defined (not 00:00:..);
  ``lxc.net.N.mtu`` and ``veth.pair`` convert; LXC's other architecture names (arm64) are known;
- what libvirt would turn into XML that cannot start (a NIC or mount type it does not know, a
  rootfs on a storage backend, ``auto`` gateways) is an error naming the line.
"""

from __future__ import annotations

import posixpath
import shlex
import uuid

from lxml import etree
from virt.errors import ErrorNumber
from virt.xml.devices import Char, CharTarget, Devices, Filesystem
from virt.xml.domain import OS, Clock, Domain, Features, OSType, Vcpu

from virt_lxc.lxctools.cgroups import convert_cgroups, integer, size_bytes
from virt_lxc.lxctools.config import Config, Entry, bad_value, fail, parse_config
from virt_lxc.lxctools.network import convert_networks

# libvirt's defaults for a converted container (lxcParseConfigString)
DEFAULT_MEMORY_KIB = 64 * 1024
DEFAULT_INIT = "/sbin/init"
EMULATOR = "/usr/libexec/libvirt_lxc"

# The mounts libvirt's LXC driver makes itself (lxcBasicMounts; /sys/fs/selinux where built with
# SELinux, as Debian's is): an lxc.mount.entry for one of them is dropped.
_BASIC_MOUNTS = frozenset(
    {
        "/proc", "/proc/sys", "/proc/sys/net/ipv4", "/proc/sys/net/ipv6", "/sys", "/sys/kernel/security",
        "/sys/fs/selinux",
    }
)  # fmt: skip

# The process capabilities domain XML names, in the order libvirt writes them.
CAPABILITIES = (
    "audit_control", "audit_write", "block_suspend", "chown", "dac_override", "dac_read_search", "fowner",
    "fsetid", "ipc_lock", "ipc_owner", "kill", "lease", "linux_immutable", "mac_admin", "mac_override",
    "mknod", "net_admin", "net_bind_service", "net_broadcast", "net_raw", "setgid", "setfcap", "setpcap",
    "setuid", "sys_admin", "sys_boot", "sys_chroot", "sys_module", "sys_nice", "sys_pacct", "sys_ptrace",
    "sys_rawio", "sys_resource", "sys_time", "sys_tty_config", "syslog", "wake_alarm",
)  # fmt: skip

# libvirt's architecture names, and LXC's (and Debian's) other names for some of them
_ARCHES = frozenset(
    {
        "alpha", "armv6l", "armv7l", "armv7b", "aarch64", "cris", "i686", "ia64", "lm32", "loongarch64", "m68k",
        "microblaze", "microblazeel", "mips", "mipsel", "mips64", "mips64el", "openrisc", "parisc", "parisc64",
        "ppc", "ppcle", "ppc64", "ppc64le", "ppcemb", "riscv32", "riscv64", "s390", "s390x", "sh4", "sh4eb",
        "sparc", "sparc64", "unicore32", "x86_64", "xtensa", "xtensaeb",
    }
)  # fmt: skip
_ARCH_ALIASES = {
    "x86": "i686", "i386": "i686", "i486": "i686", "i586": "i686", "amd64": "x86_64", "arm64": "aarch64",
    "armhf": "armv7l", "armel": "armv7l", "ppc64el": "ppc64le",
}  # fmt: skip

_MAX_TTYS = 1024


def from_native(text: str) -> Domain:
    """The domain an LXC tools configuration describes; VirtError naming the line for what cannot convert."""
    config = parse_config(text)
    domain = Domain()
    domain.type = "lxc"
    domain.name = _name(config)
    # libvirt makes a new UUID for every conversion: an LXC configuration has none
    domain.uuid = uuid.uuid4()
    domain.os = _os(config)
    devices = Devices()
    devices.emulator = EMULATOR
    devices.filesystems = [_rootfs(config), *_mounts(config)]
    networks = convert_networks(config)
    devices.interfaces = networks.interfaces
    devices.hostdevs = networks.hostdevs
    devices.consoles = _consoles(config)
    domain.idmap = _idmap(config)
    domain.memory = domain.current_memory = DEFAULT_MEMORY_KIB
    vcpu = Vcpu()
    vcpu.placement = "static"
    vcpu.count = 1  # the LXC driver does not use it; libvirt's conversion writes one
    domain.vcpu = vcpu
    convert_cgroups(config, domain)
    features = Features()
    features.privnet = networks.privnet
    features.capabilities = _capabilities(config)
    domain.features = features
    clock = Clock()
    clock.offset = "utc"
    domain.clock = clock
    domain.on_poweroff, domain.on_reboot, domain.on_crash = "destroy", "restart", "destroy"
    domain.devices = devices
    return domain


def _name(config: Config) -> str:
    entry = config.first("lxc.uts.name", "lxc.utsname")
    if entry is None:
        raise fail(ErrorNumber.CONFIG_UNSUPPORTED, "missing lxc.uts.name (lxc.utsname): the domain needs a name")
    if not entry.value or "/" in entry.value:
        raise bad_value(entry, "not a usable domain name")
    return entry.value


def _os(config: Config) -> OS:
    os_ = OS()
    kind = OSType()
    kind.name = "exe"
    arch = config.first("lxc.arch")
    if arch is not None:
        name = arch.value.lower()
        name = _ARCH_ALIASES.get(name, name)
        if name not in _ARCHES:
            raise bad_value(arch, "unknown architecture")
        kind.arch = name
    os_.type = kind
    init = config.first("lxc.init.cmd", "lxc.init_cmd")
    if init is None or not init.value:
        os_.init = DEFAULT_INIT
    else:
        try:
            words = shlex.split(init.value)
        except ValueError as e:
            raise bad_value(init, f"cannot split the command line ({e})") from None
        if not words or not words[0].startswith("/"):
            raise bad_value(init, "the init must be an absolute path in the container")
        os_.init, os_.initargs = words[0], words[1:]
    return os_


def _filesystem(kind: str, target: str, *, source: etree._Element, readonly: bool = False) -> Filesystem:
    fs = Filesystem()
    fs.type = kind
    fs.accessmode = "passthrough"
    fs.source = source
    fs.target = etree.Element("target", dir=target)
    fs.readonly = readonly
    return fs


def _path_source(path: str) -> tuple[str, etree._Element]:
    """A host path as a filesystem's type and <source>: a block device, or a directory to mount."""
    if path.startswith("/dev/"):
        return "block", etree.Element("source", dev=path)
    return "mount", etree.Element("source", dir=path)


def _rootfs(config: Config) -> Filesystem:
    entry = config.first("lxc.rootfs.path", "lxc.rootfs")
    if entry is None or not entry.value:
        raise fail(ErrorNumber.CONFIG_UNSUPPORTED, "missing lxc.rootfs.path (lxc.rootfs): the container needs a root")
    path = entry.value
    if not path.startswith("/"):
        backend, colon, rest = path.partition(":")
        if colon and backend == "dir":
            path = rest
        elif colon:
            raise bad_value(entry, f"a rootfs on the '{backend}' storage backend cannot be converted")
    if not path.startswith("/"):
        raise bad_value(entry, "the rootfs must be an absolute path")
    kind, source = _path_source(path)
    return _filesystem(kind, "/", source=source)


def _mounts(config: Config) -> list[Filesystem]:
    fstab = config.first("lxc.mount.fstab", "lxc.mount")
    if fstab is not None:
        raise fail(
            ErrorNumber.ARGUMENT_UNSUPPORTED,
            f"{fstab.where()}: an fstab file cannot be read here, write its mounts as lxc.mount.entry lines instead",
        )
    found: list[Filesystem] = []
    for entry in config.all("lxc.mount.entry"):
        fs = _mount(entry)
        if fs is not None:
            found.append(fs)
    return found


def _mount(entry: Entry) -> Filesystem | None:
    fields = entry.value.split()
    if len(fields) < 4:
        raise bad_value(entry, "expected 'source target type options [dump [pass]]'")
    src, dst, fstype, options = fields[:4]
    opts = options.split(",")
    target = posixpath.normpath("/" + dst.lstrip("/"))
    if target in _BASIC_MOUNTS:
        return None  # the driver mounts these itself
    if fstype == "tmpfs":
        size = next((o.removeprefix("size=") for o in opts if o.startswith("size=")), None)
        if size is None:
            raise bad_value(entry, "a tmpfs needs a size option (size=...)")
        usage_kib = size_bytes(entry, size) // 1024
        source = etree.Element("source", usage=str(usage_kib), units="KiB")
        return _filesystem("ram", target, source=source, readonly="ro" in opts)
    if not src.startswith("/"):
        if "optional" in opts:
            return None  # LXC would go on without it too
        raise bad_value(entry, f"only host paths, block devices and tmpfs convert, not a '{fstype}' mount of '{src}'")
    kind, source = _path_source(src)
    return _filesystem(kind, target, source=source, readonly="ro" in opts)


def _consoles(config: Config) -> list[Char]:
    entry = config.first("lxc.tty.max", "lxc.tty")
    if entry is None or not entry.value:
        return []
    count = integer(entry, 0, _MAX_TTYS)
    made: list[Char] = []
    for port in range(count):
        console = Char()
        console.type = "pty"
        target = CharTarget()
        target.type = "lxc"
        target.port = port
        console.target = target
        made.append(console)
    return made


def _idmap(config: Config) -> etree._Element | None:
    uids: list[etree._Element] = []
    gids: list[etree._Element] = []
    for entry in config.all("lxc.idmap", "lxc.id_map"):
        fields = entry.value.split()
        if len(fields) != 4 or fields[0] not in ("u", "g") or not all(f.isdigit() for f in fields[1:]):
            raise bad_value(entry, "expected 'u|g CONTAINER_ID HOST_ID COUNT'")
        # LXC: the first id inside the container, then the host id it maps to; libvirt: start, target
        kind, start, target, count = fields
        mapping = etree.Element("uid" if kind == "u" else "gid", start=start, target=target, count=count)
        (uids if kind == "u" else gids).append(mapping)
    if not uids and not gids:
        return None
    idmap = etree.Element("idmap")
    idmap.extend(uids + gids)
    return idmap


def _capabilities(config: Config) -> etree._Element:
    drop = _cap_names(config.all("lxc.cap.drop"))
    keep = _cap_names(config.all("lxc.cap.keep"))
    if drop and keep:
        raise fail(
            ErrorNumber.CONFIG_UNSUPPORTED,
            f"{keep[0][1].where()}: lxc.cap.drop and lxc.cap.keep cannot both be given (LXC refuses it too)",
        )
    element = etree.Element("capabilities", policy="deny" if keep else "allow")
    chosen = {name for name, _ in drop or keep if name != "none"}
    state = "on" if keep else "off"
    for name in CAPABILITIES:
        if name in chosen:
            etree.SubElement(element, name, state=state)
    return element


def _cap_names(entries: list[Entry]) -> list[tuple[str, Entry]]:
    """The capabilities ``entries`` name, each with its line; an empty value forgets the earlier ones."""
    names: list[tuple[str, Entry]] = []
    for entry in entries:
        if not entry.value:
            names.clear()
            continue
        for word in entry.value.split():
            name = word.lower()
            if name not in CAPABILITIES and not (name == "none" and entry.key == "lxc.cap.keep"):
                raise fail(
                    ErrorNumber.CONFIG_UNSUPPORTED,
                    f"{entry.where()}: capability '{word}' cannot be written in domain XML",
                )
            names.append((name, entry))
    return names

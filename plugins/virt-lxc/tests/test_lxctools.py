"""The lxc-tools native format: LXC configurations to domains, against libvirt 9.0's own results.

Three references: the conformance corpus (libvirt's lxcconf2xml test data, read in place), the
same configurations rewritten with LXC 3's key names (libvirt's *-v3 tests do the same), and
Debian's real libvirtd with its LXC driver converting the same text (``virsh domxml-from-native``).
"""

from __future__ import annotations

import contextlib
import json
import random
import re
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import virt.xml
from lxml import etree
from virt.errors import ErrorDomain, ErrorNumber, VirtError
from virt.testing import conformance_dir, missing_dependency, require_corpus
from virt.xml import Domain
from virt.xml.schema import schema_available, schema_problems
from virt_lxc.lxctools import from_native

SUITE = "lxc-tools-to-xml"
# libvirt's lxcconf2xml test replaces the random UUID of every result with this one (testSanitizeDef)
HARNESS_UUID = uuid.UUID("c7a5fdbd-edaf-9455-926a-d65c16db1809")


def canon(xml: str) -> object:
    """A document as the corpus scorer compares it: whitespace-only text dropped, attributes in any order."""
    root = etree.fromstring(xml.encode(), etree.XMLParser(remove_blank_text=True))

    def walk(e: etree._Element) -> object:
        text = e.text if e.text and e.text.strip() else None
        return (e.tag, tuple(sorted(e.attrib.items())), text, tuple(walk(k) for k in e if isinstance(k.tag, str)))

    return walk(root)


def corpus() -> Path:
    return require_corpus(SUITE)


def corpus_cases() -> list[str]:
    found = conformance_dir()
    if found is None or not (found / SUITE / "MANIFEST.jsonl").is_file():
        return ["corpus-missing"]  # one case that skips, saying why
    lines = (found / SUITE / "MANIFEST.jsonl").read_text().splitlines()
    return [json.loads(line)["id"] for line in lines]


def case_files(case_id: str) -> tuple[str, str]:
    folder = corpus()
    for line in (folder / "MANIFEST.jsonl").read_text().splitlines():
        case = json.loads(line)
        if case["id"] == case_id:
            return (folder / case["input"]).read_text(), (folder / case["expected"]).read_text()
    raise AssertionError(f"no corpus case {case_id}")


def sanitized(domain: Domain) -> str:
    """The domain's XML with libvirt's test harness UUID in place of the conversion's random one."""
    domain.uuid = HARNESS_UUID
    return domain.to_xml()


BASE = "lxc.rootfs.path = /srv/rootfs\nlxc.uts.name = probe\n"


def convert(extra: str = "", base: str = BASE) -> Domain:
    return from_native(base + extra)


def refused(text: str) -> VirtError:
    with pytest.raises(VirtError) as caught:
        from_native(text)
    assert caught.value.domain == ErrorDomain.LXC
    return caught.value


# -- the corpus ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("case_id", corpus_cases())
def test_corpus_case(case_id: str) -> None:
    config, expected = case_files(case_id)
    domain = from_native(config)
    assert isinstance(domain.uuid, uuid.UUID)
    assert canon(sanitized(domain)) == canon(expected)


# LXC 3.0 renamed these keys (lxc-update-config's table); libvirt reads both spellings.
V3_NAMES = {
    "lxc.rootfs": "lxc.rootfs.path",
    "lxc.utsname": "lxc.uts.name",
    "lxc.tty": "lxc.tty.max",
    "lxc.id_map": "lxc.idmap",
}


def to_v3(config: str) -> str:
    """``config`` with LXC 3's key names, each legacy NIC numbered as lxc.net.N."""
    out: list[str] = []
    nic = -1
    for line in config.splitlines():
        key, equals, value = line.partition("=")
        name = key.strip()
        if not equals or name.startswith("#"):
            out.append(line)
            continue
        if name == "lxc.network.type":
            nic += 1
        if name.startswith("lxc.network."):
            name = f"lxc.net.{nic}." + name.removeprefix("lxc.network.")
        out.append(f"{V3_NAMES.get(name, name)} ={value}")
    return "\n".join(out) + "\n"


@pytest.mark.parametrize("case_id", corpus_cases())
def test_corpus_case_with_lxc3_names(case_id: str) -> None:
    config, expected = case_files(case_id)
    v3 = to_v3(config)
    assert "lxc.utsname" not in v3 and "lxc.network." not in v3
    assert canon(sanitized(from_native(v3))) == canon(expected)


@pytest.mark.parametrize("case_id", corpus_cases())
def test_corpus_case_through_the_public_api(case_id: str) -> None:
    """``virt.native.from_native("lxc-tools", ...)``: the format as the plugin registers it, XML text out."""
    import virt.native

    config, expected = case_files(case_id)
    xml = virt.native.from_native("lxc-tools", config)
    got = virt.xml.parse(xml)
    assert isinstance(got, Domain) and isinstance(got.uuid, uuid.UUID)
    assert canon(re.sub(r"<uuid>[^<]*</uuid>", f"<uuid>{HARNESS_UUID}</uuid>", xml)) == canon(expected)


def test_every_conversion_gets_a_new_uuid() -> None:
    assert convert().uuid != convert().uuid


def test_results_parse_back_and_pass_libvirt_schema() -> None:
    """The model is what parsing its own XML gives (post-parse defaults aside) and libvirt's schema takes it."""
    config = BASE + (
        "lxc.net.0.type = veth\nlxc.net.0.link = br0\nlxc.net.0.flags = up\nlxc.net.0.hwaddr = 00:16:3e:xx:xx:xx\n"
        "lxc.net.0.ipv4.address = 10.0.0.2/24\nlxc.net.0.ipv4.gateway = 10.0.0.1\nlxc.net.0.mtu = 1400\n"
        "lxc.net.1.type = phys\nlxc.net.1.link = eth1\nlxc.net.1.ipv6.address = fd00::2/64\n"
        "lxc.net.2.type = macvlan\nlxc.net.2.link = eth0\nlxc.net.2.macvlan.mode = bridge\n"
        "lxc.idmap = u 0 100000 65536\nlxc.idmap = g 0 100000 65536\nlxc.tty.max = 1\n"
        "lxc.mount.entry = tmpfs tmp tmpfs size=1G 0 0\nlxc.mount.entry = /dev/sdb1 mnt ext4 ro 0 0\n"
        "lxc.cgroup.memory.limit_in_bytes = 256M\nlxc.cgroup.cpu.shares = 512\nlxc.cap.keep = chown sys_admin\n"
        "lxc.arch = amd64\nlxc.init.cmd = /sbin/init --log-target=console\n"
    )
    domain = from_native(config)
    xml = domain.to_xml()
    again = virt.xml.parse(xml)
    assert isinstance(again, Domain)
    assert canon(again.to_xml()) == canon(xml)
    if not schema_available("domain"):
        missing_dependency("libvirt's RelaxNG schemas are not installed (Debian package libvirt0)")
    assert schema_problems(xml) == []


# -- what the conversion reads ------------------------------------------------------------------------


def devices_of(domain: Domain) -> virt.xml.Devices:
    assert domain.devices is not None
    return domain.devices


def test_defaults_of_a_minimal_config() -> None:
    domain = convert()
    assert (domain.type, domain.name, domain.memory, domain.current_memory) == ("lxc", "probe", 65536, 65536)
    assert domain.os is not None and domain.os.type is not None
    assert (domain.os.type.name, domain.os.type.arch, domain.os.init) == ("exe", None, "/sbin/init")
    assert domain.features is not None and domain.features.privnet
    capabilities = domain.features.capabilities
    assert capabilities is not None and capabilities.get("policy") == "allow" and len(capabilities) == 0
    devices = devices_of(domain)
    assert devices.emulator == "/usr/libexec/libvirt_lxc"
    (root,) = devices.filesystems
    assert root.type == "mount" and root.source is not None and root.source.get("dir") == "/srv/rootfs"
    assert not devices.interfaces and not devices.hostdevs and not devices.consoles


def test_new_names_win_over_legacy_ones_wherever_they_are() -> None:
    domain = from_native("lxc.utsname = old\nlxc.rootfs = /old\nlxc.uts.name = new\nlxc.rootfs.path = /new\n")
    assert domain.name == "new"
    (root,) = devices_of(domain).filesystems
    assert root.source is not None and root.source.get("dir") == "/new"


def test_rootfs_forms() -> None:
    (root,) = devices_of(convert(base="lxc.uts.name = a\nlxc.rootfs.path = dir:/var/lib/lxc/a/rootfs\n")).filesystems
    assert root.source is not None and root.source.get("dir") == "/var/lib/lxc/a/rootfs"
    (root,) = devices_of(convert(base="lxc.uts.name = a\nlxc.rootfs.path = /dev/vg0/a\n")).filesystems
    assert root.type == "block" and root.source is not None and root.source.get("dev") == "/dev/vg0/a"


def test_idmap_keeps_lxc_meaning() -> None:
    """LXC: container id, host id, count; libvirt's start is the container's id and target the host's.
    (libvirt 9.0's conversion swaps the two, mapping container uid 100000 to host root.)"""
    domain = convert("lxc.idmap = u 0 100000 65536\nlxc.id_map = g 0 200000 1000\nlxc.idmap = u 65536 300000 1\n")
    assert domain.idmap is not None
    got = [(e.tag, e.get("start"), e.get("target"), e.get("count")) for e in domain.idmap]
    assert got == [("uid", "0", "100000", "65536"), ("uid", "65536", "300000", "1"), ("gid", "0", "200000", "1000")]


def test_capabilities_drop_lines_add_up_and_keep_converts() -> None:
    domain = convert("lxc.cap.drop = sys_module\nlxc.cap.drop = MKNOD  sys_time\n")
    assert domain.features is not None and domain.features.capabilities is not None
    assert [(e.tag, e.get("state")) for e in domain.features.capabilities] == [
        ("mknod", "off"), ("sys_module", "off"), ("sys_time", "off"),
    ]  # fmt: skip
    domain = convert("lxc.cap.drop = sys_module\nlxc.cap.drop =\nlxc.cap.drop = mknod\n")
    assert domain.features is not None and domain.features.capabilities is not None
    assert [e.tag for e in domain.features.capabilities] == ["mknod"]
    domain = convert("lxc.cap.keep = sys_admin chown\n")
    caps = domain.features.capabilities if domain.features else None
    assert caps is not None and caps.get("policy") == "deny"
    assert [(e.tag, e.get("state")) for e in caps] == [("chown", "on"), ("sys_admin", "on")]
    caps = convert("lxc.cap.keep = none\n").features.capabilities  # type: ignore[union-attr]
    assert caps is not None and caps.get("policy") == "deny" and len(caps) == 0


def test_init_command_and_arch_names() -> None:
    domain = convert("lxc.init.cmd = /usr/bin/tini -- /app 'with space'\nlxc.arch = arm64\n")
    assert domain.os is not None and domain.os.type is not None
    assert (domain.os.init, domain.os.initargs) == ("/usr/bin/tini", ["--", "/app", "with space"])
    assert domain.os.type.arch == "aarch64"
    assert convert("lxc.init_cmd = /bin/sh\nlxc.arch = x86_64\n").os == virt.xml.OS.from_xml(
        "<os><type arch='x86_64'>exe</type><init>/bin/sh</init></os>"
    )


def test_network_types() -> None:
    domain = convert(
        "lxc.net.0.type = veth\nlxc.net.0.hwaddr = 00:16:3E:AA:bb:0c\nlxc.net.0.veth.pair = vethA\n"
        "lxc.net.0.mtu = 9000\n"
        "lxc.net.1.type = macvlan\nlxc.net.1.link = eth0\nlxc.net.1.macvlan.mode = passthru\n"
        "lxc.net.2.type = vlan\nlxc.net.2.link = bond0\nlxc.net.2.vlan.id = 100\n"
        "lxc.net.3.type = empty\n"
    )
    devices = devices_of(domain)
    veth, macvlan = devices.interfaces
    assert veth.type == "ethernet" and veth.mac is not None and veth.mac.address == "00:16:3e:aa:bb:0c"
    assert veth.target is not None and veth.target.dev == "vethA"
    assert veth.mtu is not None and veth.mtu.get("size") == "9000"
    assert veth.link is not None and veth.link.get("state") == "down" and veth.guest is None
    assert macvlan.type == "direct" and macvlan.mac is None  # given a MAC when it is defined
    assert macvlan.source is not None and (macvlan.source.dev, macvlan.source.mode) == ("eth0", "passthrough")
    (vlan,) = devices.hostdevs
    assert vlan.source is not None and vlan.source.findtext("interface") == "bond0.100"
    assert domain.features is not None and not domain.features.privnet


def test_nics_come_in_the_order_of_their_first_line() -> None:
    devices = devices_of(
        convert("lxc.net.1.type = veth\nlxc.net.1.link = br1\nlxc.net.0.type = veth\nlxc.net.0.link = br0\n")
    )
    assert [i.source.bridge for i in devices.interfaces if i.source] == ["br1", "br0"]


def test_mac_placeholders_are_filled() -> None:
    (iface,) = devices_of(convert("lxc.net.0.type = veth\nlxc.net.0.hwaddr = 00:16:3e:xx:xx:xx\n")).interfaces
    assert iface.mac is not None and iface.mac.address is not None
    assert re.fullmatch(r"00:16:3e(:[0-9a-f]{2}){3}", iface.mac.address)


def test_network_empty_keeps_a_private_namespace_and_none_shares_the_host() -> None:
    """formatdomain: privnet "always create a private network namespace" -- what LXC's 'empty' makes."""
    features = convert("lxc.net.0.type = empty\n").features
    assert features is not None and features.privnet
    features = convert("lxc.net.0.type = none\n").features
    assert features is not None and not features.privnet


def test_bare_network_key_forgets_earlier_nics() -> None:
    devices = devices_of(
        convert("lxc.network.type = veth\nlxc.network =\nlxc.network.type = phys\nlxc.network.link = eth1\n")
    )
    assert not devices.interfaces and len(devices.hostdevs) == 1


def test_mount_entries() -> None:
    devices = devices_of(
        convert(
            "lxc.mount.entry = proc proc proc nodev 0 0\n"
            "lxc.mount.entry = /dev/sdb1 mnt/data ext4 defaults,ro 0 0\n"
            "lxc.mount.entry = tmpfs /dev/shm tmpfs size=64MiB,mode=1777\n"
            "lxc.mount.entry = mqueue dev/mqueue mqueue rw,create=dir,optional 0 0\n"
            "lxc.mount.entry = /srv/data\tsrv//data/\tnone\tbind 0 0\n"
        )
    )
    _, block, shm, data = devices.filesystems
    assert block.type == "block" and block.readonly and block.source is not None
    assert (block.source.get("dev"), block.target.get("dir") if block.target is not None else None) == (
        "/dev/sdb1", "/mnt/data",
    )  # fmt: skip
    assert shm.type == "ram" and shm.source is not None and shm.source.attrib == {"usage": "65536", "units": "KiB"}
    assert data.type == "mount" and not data.readonly
    assert data.target is not None and data.target.get("dir") == "/srv/data"


def test_memory_and_cpu_tuning() -> None:
    domain = convert(
        "lxc.cgroup.memory.limit_in_bytes = 2G\nlxc.cgroup.memory.soft_limit_in_bytes = -1\n"
        "lxc.cgroup.cpu.cfs_period_us = 0\nlxc.cgroup.cpu.cfs_quota_us = 50000\n"
        "lxc.cgroup.cpuset.cpus = 0-3,^2\nlxc.cgroup.cpuset.mems =\n"
    )
    assert domain.memory == domain.current_memory == 2 * 1024 * 1024
    assert domain.memtune is not None and [(e.tag, e.text) for e in domain.memtune] == [("hard_limit", "2097152")]
    assert domain.cputune is not None and (domain.cputune.period, domain.cputune.quota) == (None, 50000)
    assert domain.vcpu is not None and domain.vcpu.cpuset == "0-1,3"
    assert domain.numatune is None


def test_blkio_devices_in_order_of_first_line() -> None:
    domain = convert(
        "lxc.cgroup.blkio.throttle.write_iops_device = 8:0 10\nlxc.cgroup.blkio.device_weight = 8:16 300\n"
        "lxc.cgroup.blkio.device_weight = 8:0 200\nlxc.cgroup.blkio.leaf_weight = 8:32 5\n"
    )
    assert domain.blkiotune is not None
    got = [[(c.tag, c.text) for c in device] for device in domain.blkiotune]
    assert got == [
        [("path", "/dev/block/8:0"), ("weight", "200"), ("write_iops_sec", "10")],
        [("path", "/dev/block/8:16"), ("weight", "300")],
    ]


def test_cgroup2_keys_map_as_libvirt_applies_the_xml_on_cgroup2() -> None:
    domain = convert(
        "lxc.cgroup2.memory.max = 1G\nlxc.cgroup2.memory.high = 536870912\nlxc.cgroup2.memory.swap.max = max\n"
        "lxc.cgroup2.cpu.weight = 200\nlxc.cgroup2.cpu.max = 50000 100000\n"
        "lxc.cgroup2.cpuset.cpus = 2-3\nlxc.cgroup2.cpuset.mems = 0\n"
        "lxc.cgroup2.io.weight = default 300\nlxc.cgroup2.io.bfq.weight = 8:16 200\n"
        "lxc.cgroup2.io.max = 8:0 rbps=1048576 wiops=max riops=10\n"
    )
    assert domain.memory == 1048576
    assert domain.memtune is not None
    assert [(e.tag, e.text) for e in domain.memtune] == [("hard_limit", "1048576"), ("soft_limit", "524288")]
    assert domain.cputune is not None
    assert (domain.cputune.shares, domain.cputune.quota, domain.cputune.period) == (200, 50000, 100000)
    assert domain.vcpu is not None and domain.vcpu.cpuset == "2-3"
    assert domain.numatune is not None and domain.numatune[0].get("nodeset") == "0"
    assert domain.blkiotune is not None
    got = [(e.tag, e.text) if e.tag == "weight" else [(c.tag, c.text) for c in e] for e in domain.blkiotune]
    assert got == [
        ("weight", "300"),
        [("path", "/dev/block/8:16"), ("weight", "200")],
        [("path", "/dev/block/8:0"), ("read_iops_sec", "10"), ("read_bytes_sec", "1048576")],
    ]
    unlimited = convert("lxc.cgroup2.cpu.max = max\n").cputune
    assert unlimited is not None and (unlimited.quota, unlimited.period) == (-1, None)


def test_cgroup_v1_keys_win_over_v2_ones() -> None:
    domain = convert(
        "lxc.cgroup2.memory.max = 1G\nlxc.cgroup.memory.limit_in_bytes = 2G\n"
        "lxc.cgroup2.cpu.max = 1000 2000\nlxc.cgroup.cpu.cfs_quota_us = 3000\n"
        "lxc.cgroup2.io.weight = 700\nlxc.cgroup.blkio.weight = 500\n"
    )
    assert domain.memory == 2097152
    assert domain.cputune is not None and (domain.cputune.quota, domain.cputune.period) == (3000, None)
    assert domain.blkiotune is not None and [(e.tag, e.text) for e in domain.blkiotune] == [("weight", "500")]


def test_unknown_lxc_keys_are_ignored_as_libvirt_does() -> None:
    domain = convert("lxc.apparmor.profile = unconfined\nlxc.hook.pre-start = /bin/true\nlxc.include = /x.conf\n")
    assert domain.name == "probe"


# -- what it refuses -----------------------------------------------------------------------------------

REFUSED = {
    # (configuration, words the message must hold)
    "no-equals": (BASE + "lxc.tty.max 2\n", ["line 3", "key = value"]),
    "bad-key": (BASE + "lxc.net.0.$type = veth\n", ["line 3", "lxc.net.0.$type"]),
    "not-lxc": (BASE + "lcx.rootfs = /x\n", ["line 3", "lcx.rootfs"]),
    "no-name": ("lxc.rootfs.path = /srv\n", ["lxc.uts.name"]),
    "no-rootfs": ("lxc.uts.name = x\n", ["lxc.rootfs.path"]),
    "rootfs-backend": ("lxc.uts.name = x\nlxc.rootfs.path = overlayfs:/a:/b\n", ["line 2", "overlayfs"]),
    "fstab": (BASE + "lxc.mount.fstab = /var/lib/lxc/x/fstab\n", ["line 3", "lxc.mount.entry"]),
    "legacy-fstab": (BASE + "lxc.mount = /var/lib/lxc/x/fstab\n", ["line 3", "lxc.mount"]),
    "before-type": (BASE + "lxc.network.link = br0\nlxc.network.type = veth\n", ["line 3", "lxc.network.type"]),
    "nic-setting": (BASE + "lxc.network.type = veth\nlxc.network.script.up = /x\n", ["line 4", "script.up"]),
    "nic-no-type": (BASE + "lxc.net.0.link = br0\n", ["line 3", "no type"]),
    "nic-index": (BASE + "lxc.net.eth0.type = veth\n", ["line 3", "lxc.net.<index>"]),
    "nic-mixed": (BASE + "lxc.network.type = veth\nlxc.net.0.type = veth\n", ["line 4", "line 3"]),
    "nic-type": (BASE + "lxc.net.0.type = ipvlan\nlxc.net.0.link = eth0\n", ["line 3", "ipvlan"]),
    "macvlan-no-link": (BASE + "lxc.net.0.type = macvlan\n", ["line 3", "link"]),
    "macvlan-mode": (BASE + "lxc.net.0.type = macvlan\nlxc.net.0.link = e\nlxc.net.0.macvlan.mode = x\n", ["line 5"]),
    "phys-mtu": (BASE + "lxc.net.0.type = phys\nlxc.net.0.link = e\nlxc.net.0.mtu = 1500\n", ["line 5", "mtu"]),
    "vlan-id": (BASE + "lxc.net.0.type = vlan\nlxc.net.0.link = e\nlxc.net.0.vlan.id = 5000\n", ["line 5", "VLAN"]),
    "mac": (BASE + "lxc.net.0.type = veth\nlxc.net.0.hwaddr = 00:16:3e:00:00\n", ["line 4", "MAC"]),
    "mtu": (BASE + "lxc.net.0.type = veth\nlxc.net.0.mtu = jumbo\n", ["line 4", "MTU"]),
    "flags": (BASE + "lxc.net.0.type = veth\nlxc.net.0.flags = down\n", ["line 4", "flags"]),
    "cidr": (BASE + "lxc.net.0.type = veth\nlxc.net.0.ipv4.address = 10.0.0.2\n", ["line 4", "address/prefix"]),
    "prefix": (BASE + "lxc.net.0.type = veth\nlxc.net.0.ipv4.address = 10.0.0.2/33\n", ["line 4"]),
    "family": (BASE + "lxc.net.0.type = veth\nlxc.net.0.ipv4 = fd00::1/64\n", ["line 4", "IPv4"]),
    "gateway": (BASE + "lxc.net.0.type = veth\nlxc.net.0.ipv4.gateway = auto\n", ["line 4", "auto"]),
    "gateway-family": (BASE + "lxc.net.0.type = veth\nlxc.net.0.ipv6.gateway = 10.0.0.1\n", ["line 4", "IPv6"]),
    "tmpfs-size": (BASE + "lxc.mount.entry = tmpfs run tmpfs mode=0755 0 0\n", ["line 3", "size"]),
    "tmpfs-relative": (BASE + "lxc.mount.entry = tmpfs run tmpfs size=50% 0 0\n", ["line 3", "relative"]),
    "tmpfs-unit": (BASE + "lxc.mount.entry = tmpfs run tmpfs size=8q 0 0\n", ["line 3", "unit"]),
    "mount-fields": (BASE + "lxc.mount.entry = /a b none\n", ["line 3"]),
    "mount-pseudo": (BASE + "lxc.mount.entry = devpts dev/pts devpts rw 0 0\n", ["line 3", "devpts"]),
    "tty": (BASE + "lxc.tty.max = two\n", ["line 3", "integer"]),
    "tty-negative": (BASE + "lxc.tty = -1\n", ["line 3", "range"]),
    "idmap": (BASE + "lxc.idmap = u 0 100000\n", ["line 3", "CONTAINER_ID"]),
    "cap": (BASE + "lxc.cap.drop = sys_modul\n", ["line 3", "sys_modul"]),
    "cap-keep-and-drop": (BASE + "lxc.cap.drop = mknod\nlxc.cap.keep = chown\n", ["line 4", "both"]),
    "arch": (BASE + "lxc.arch = pdp11\n", ["line 3", "architecture"]),
    "memory": (BASE + "lxc.cgroup.memory.limit_in_bytes = lots\n", ["line 3", "size"]),
    "shares": (BASE + "lxc.cgroup.cpu.shares = 1.5\n", ["line 3", "integer"]),
    "cpuset": (BASE + "lxc.cgroup.cpuset.cpus = 3-1\n", ["line 3", "CPU list"]),
    "cpuset-range": (BASE + "lxc.cgroup.cpuset.mems = 0-5000\n", ["line 3", "4096"]),
    "blkio": (BASE + "lxc.cgroup.blkio.device_weight = sda 100\n", ["line 3", "MAJOR:MINOR"]),
    "cpu-weight": (BASE + "lxc.cgroup2.cpu.weight = 0\n", ["line 3", "range"]),
    "cpu-max": (BASE + "lxc.cgroup2.cpu.max = 1 2 3\n", ["line 3", "QUOTA"]),
    "io-max": (BASE + "lxc.cgroup2.io.max = 8:0 rbps=1 bps=2\n", ["line 3", "bps=2"]),
    "io-max-empty": (BASE + "lxc.cgroup2.io.max = 8:0\n", ["line 3", "rbps"]),
    "io-weight": (BASE + "lxc.cgroup2.io.weight = 8:0 1 2\n", ["line 3", "WEIGHT"]),
    "init": (BASE + "lxc.init.cmd = 'unterminated\n", ["line 3"]),
    "init-relative": (BASE + "lxc.init.cmd = init\n", ["line 3", "absolute"]),
}


@pytest.mark.parametrize("case", REFUSED.values(), ids=REFUSED.keys())
def test_refused(case: tuple[str, list[str]]) -> None:
    config, words = case
    error = refused(config)
    for word in words:
        assert word in error.message, error.message


def test_syntax_errors_are_conf_syntax() -> None:
    assert refused(BASE + "just words\n").code == ErrorNumber.CONF_SYNTAX
    error = refused(BASE + "lxc.net.0.type = veth\r\nlxc.net.0.name = eth\x0b0\n")
    assert error.code == ErrorNumber.CONF_SYNTAX and "line 4: lxc.net.0.name" in error.message
    assert refused(BASE + "lxc.net.0.type = ipvlan\n").code == ErrorNumber.CONFIG_UNSUPPORTED


def test_damaged_configs_fail_only_with_virt_errors() -> None:
    """Lines of the corpus cut, swapped and garbled at random: a VirtError or a domain, never a traceback."""
    folder = corpus()
    texts = [path.read_text() for path in sorted(folder.glob("*.config"))]
    texts += [to_v3(text) for text in texts]
    texts.append(
        BASE + "lxc.cgroup2.memory.max = 1G\nlxc.cgroup2.cpu.max = max 100000\nlxc.cgroup2.io.max = 8:0 rbps=1\n"
        "lxc.cgroup2.io.weight = default 10\nlxc.idmap = u 0 1000 10\nlxc.cap.keep = chown\nlxc.init.cmd = /a b\n"
        "lxc.net.0.type = macvlan\nlxc.net.0.link = e\nlxc.net.0.mtu = 1500\nlxc.net.0.hwaddr = 00:16:3e:xx:00:01\n"
    )
    rng = random.Random(20240611)
    noise = [
        "",
        "=",
        " = ",
        "lxc.",
        "lxc.net.0.",
        "x",
        "/",
        "-1",
        "%",
        "0:0",
        "::",
        "\t",
        "é",
        "\x01",
        "\x7f",
        "99999999999999999999",
    ]
    for _ in range(4000):
        lines = rng.choice(texts).splitlines()
        for _ in range(rng.randint(1, 4)):
            n = rng.randrange(len(lines))
            cut = rng.randrange(len(lines[n]) + 1)
            lines[n] = lines[n][:cut] + rng.choice(noise) + lines[n][cut + rng.randint(0, 3) :]
            if rng.random() < 0.3:
                lines.insert(rng.randrange(len(lines) + 1), rng.choice(lines))
        with contextlib.suppress(VirtError):
            from_native("\n".join(lines)).to_xml()


# -- Debian's libvirt 9.0 converting the same text ----------------------------------------------------


LXC_DRIVER = Path("/usr/lib/x86_64-linux-gnu/libvirt/connection-driver/libvirt_driver_lxc.so")


@pytest.fixture(scope="module")
def libvirt_lxc() -> Iterator[str]:
    """The URI of a private libvirtd with libvirt's LXC driver (it converts without running anything)."""
    from virt.testing import start_libvirtd

    if shutil.which("virsh") is None:
        missing_dependency("virsh is not installed (apt-get install libvirt-clients)")
    if not LXC_DRIVER.exists():
        missing_dependency("libvirt's LXC driver is not installed (apt-get install libvirt-daemon-driver-lxc)")
    with start_libvirtd(drivers=("lxc",)) as daemon:
        yield f"lxc:///system?socket={daemon.socket}"


def libvirt_converts(uri: str, config: str, tmp_path: Path) -> str:
    path = tmp_path / "config"
    path.write_text(config)
    done = subprocess.run(
        ["virsh", "-c", uri, "domxml-from-native", "lxc-tools", str(path)], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


# Configurations on which virt and libvirt agree (see the module docstring of the converter for the
# cases where virt differs on purpose), beyond the corpus and its LXC 3 spellings.
AGREED = {
    "macvlan": "lxc.net.0.type = macvlan\nlxc.net.0.link = eth0\nlxc.net.0.hwaddr = 02:00:15:8f:05:c1\n"
    "lxc.net.0.flags = up\nlxc.net.0.macvlan.mode = bridge\n",
    "block-mounts": "lxc.mount.entry = /dev/sdb1 mnt/data ext4 defaults,ro 0 0\n"
    "lxc.mount.entry = tmpfs dev/shm tmpfs size=1G 0 0\nlxc.mount.entry = /srv/a srv/a none bind 0 0\n",
    "arch-amd64": "lxc.arch = amd64\nlxc.tty.max = 0\n",
    "cpus": "lxc.cgroup.cpuset.cpus = 0-3,^2\nlxc.cgroup.cpu.cfs_period_us = 0\nlxc.cgroup.cpu.shares = 2\n",
    "memory-units": "lxc.cgroup.memory.limit_in_bytes = 3G\nlxc.cgroup.memory.memsw.limit_in_bytes = 4096M\n",
    "ipv6-compressed": "lxc.net.0.type = veth\nlxc.net.0.hwaddr = 02:00:15:8f:05:c1\n"
    "lxc.net.0.ipv6.address = fd00:0:0:0::0:2/64\nlxc.net.0.ipv6.gateway = FD00::1\n",
    "drop-one-line": "lxc.cap.drop = sys_module sys_time sys_rawio\n",
    "nic-order": "lxc.net.1.type = phys\nlxc.net.1.link = eth1\nlxc.net.0.type = vlan\nlxc.net.0.link = eth0\n"
    "lxc.net.0.vlan.id = 7\n",
}


def comparable(xml: str) -> object:
    """A conversion with what depends on the run and the host (UUID, libvirt_lxc's path) blanked."""
    xml = re.sub(r"<uuid>[^<]*</uuid>", "<uuid/>", xml)
    return canon(re.sub(r"<emulator>[^<]*</emulator>", "<emulator/>", xml))


def differential_cases() -> list[str]:
    return [f"corpus:{case}" for case in corpus_cases()] + [f"v3:{case}" for case in corpus_cases()] + list(AGREED)


@pytest.mark.parametrize("name", differential_cases())
def test_same_result_as_libvirt(name: str, libvirt_lxc: str, tmp_path: Path) -> None:
    kind, _, case = name.partition(":")
    if kind == "corpus":
        config = case_files(case)[0]
    elif kind == "v3":
        config = to_v3(case_files(case)[0])
    else:
        config = BASE + AGREED[name]
    assert comparable(from_native(config).to_xml()) == comparable(libvirt_converts(libvirt_lxc, config, tmp_path))

"""Domain XML -> ContainerSpec: everything outside ``<devices>`` (those are ``parse_devices``).

Only what the driver can honour is accepted; anything else is refused with its element path,
so a definition either starts as written or is refused before anything is made.
"""

from __future__ import annotations

import platform
import uuid as uuid_module
from typing import TYPE_CHECKING, NamedTuple

from lxml import etree
from virt.xml.convert import CPUSET
from virt.xml.domain import LXC_NS

from virt_lxc import capabilities as caps_module
from virt_lxc import errors
from virt_lxc.parse_devices import Devices, parse_devices
from virt_lxc.spec import BlkioDevice, Capabilities, ContainerSpec, IdMap, Resources, SharedNamespace
from virt_lxc.xmlcheck import (
    absolute_path,
    bad,
    elements,
    integer,
    kib,
    one_of,
    only_attributes,
    only_children,
    refuse,
    required,
)

if TYPE_CHECKING:
    from virt.xml import Domain

# VM-only features with no meaning for a container: accepted, and nothing is done for them.
IGNORED_FEATURES = ("acpi", "apic", "pae")
# Pure description: nothing for the driver to do.
DESCRIPTIVE = ("name", "uuid", "title", "description", "metadata", "genid", "currentMemory")
HANDLED = (
    *DESCRIPTIVE, "memory", "memtune", "blkiotune", "vcpu", "cputune", "numatune", "os", "idmap",
    "features", "clock", "on_poweroff", "on_reboot", "on_crash", "devices", "seclabel", "resource",
    f"{{{LXC_NS}}}namespace",
)  # fmt: skip
DEFAULT_PARTITION = "/machine"
"""What libvirt fills into <resource><partition>; accepted (the driver uses its own partition)."""


def host_arches() -> tuple[str, ...]:
    """The architectures a container can run as here: the host's, and i686 on x86_64 (PER_LINUX32)."""
    machine = platform.machine().lower()
    arch = {"amd64": "x86_64", "arm64": "aarch64"}.get(machine, machine)
    return (arch, "i686") if arch == "x86_64" else (arch,)


def check_name(name: str | None, where: etree._Element) -> str:
    """A name that can be a file, a cgroup and a socket: no '/', no control character, no leading dot."""
    if not name:
        raise bad(where, "a domain needs a <name>")
    if "/" in name or name.startswith(".") or any(ord(c) < 32 for c in name) or len(name.encode()) > 200:
        raise bad(
            where,
            f"name '{name}' cannot be used for a container (no '/', no control character, no leading '.', "
            "at most 200 bytes)",
        )
    return name


def container_spec(domain: Domain) -> ContainerSpec:
    """Every setting of ``domain`` the driver uses; VirtError naming the element for anything else."""
    return _parse(domain.to_element())


def _parse(root: etree._Element) -> ContainerSpec:
    if root.get("type") != "lxc":
        raise refuse(root, f"domain type '{root.get('type')}' is not an LXC container (<domain type='lxc'>)", "type")
    for child in elements(root):
        if child.tag not in HANDLED:
            raise refuse(child, "this element is not supported by the LXC driver")
    name = check_name(root.findtext("name"), root)
    uuid_text = root.findtext("uuid")
    if not uuid_text:
        raise bad(root, "a container needs a <uuid> (the driver fills one in at define)")
    os_el = root.find("os")
    if os_el is None:
        raise bad(root, "<os> with <type>exe</type> and <init> is required")
    os_fields = _os(os_el)
    memory = root.find("memory")
    if memory is None:
        raise bad(root, "<memory> is required: it is the container's memory limit")
    devices_el = root.find("devices")
    devices = parse_devices(devices_el) if devices_el is not None else Devices()
    uid_map, gid_map = _idmap(root.find("idmap"))
    capabilities, privnet = _features(root.find("features"))
    _lifecycle(root)
    _clock(root.find("clock"))
    _seclabels(root)
    _resource(root.find("resource"))
    vcpus, resources = _resources(root, memory)
    namespace = root.find(f"{{{LXC_NS}}}namespace")
    shared = _namespaces(namespace)
    if devices.interfaces and any(s.kind == "net" for s in shared):
        assert namespace is not None
        raise refuse(namespace, "a container sharing another's network (lxc:sharenet) cannot have <interface>s")
    return ContainerSpec(
        name=name,
        uuid=str(uuid_module.UUID(uuid_text)),
        vcpus=vcpus,
        resources=resources,
        root=devices.root,
        mounts=devices.mounts,
        interfaces=devices.interfaces,
        consoles=devices.consoles,
        uid_map=uid_map,
        gid_map=gid_map,
        capabilities=capabilities,
        privnet=privnet,
        shared=shared,
        init=os_fields.init,
        init_args=os_fields.init_args,
        init_env=os_fields.init_env,
        init_dir=os_fields.init_dir,
        init_user=os_fields.init_user,
        init_group=os_fields.init_group,
        cmdline=os_fields.cmdline,
        arch=os_fields.arch,
    )


class _OS(NamedTuple):
    init: str
    init_args: tuple[str, ...]
    init_env: tuple[tuple[str, str], ...]
    init_dir: str | None
    init_user: str | None
    init_group: str | None
    cmdline: str | None
    arch: str | None


def _os(os_el: etree._Element) -> _OS:
    only_attributes(os_el, ())
    only_children(os_el, ("type", "init", "initarg", "initenv", "initdir", "inituser", "initgroup", "cmdline"))
    type_el = os_el.find("type")
    if type_el is None or (type_el.text or "").strip() != "exe":
        where = type_el if type_el is not None else os_el
        raise refuse(where, "a container's OS type is 'exe' (<type>exe</type>)")
    only_attributes(type_el, ("arch", "machine"))
    arch = type_el.get("arch")
    if arch is not None and arch not in host_arches():
        raise refuse(type_el, f"arch '{arch}' cannot run on this host (it runs {', '.join(host_arches())})", "arch")
    init = os_el.findtext("init")
    if not init:
        raise errors.xml_error("init binary must be specified")
    absolute_path(os_el.find("init"), init)  # type: ignore[arg-type]
    env: list[tuple[str, str]] = []
    for item in os_el.findall("initenv"):
        only_attributes(item, ("name",))
        key = required(item, "name")
        if "=" in key or not key.replace("_", "a").isalnum() or key[0].isdigit():
            raise bad(item, f"'{key}' is not an environment variable name", "name")
        env.append((key, item.text or ""))
    initdir = os_el.findtext("initdir")
    if initdir is not None:
        absolute_path(os_el.find("initdir"), initdir)  # type: ignore[arg-type]
    return _OS(
        init=init,
        init_args=tuple(a.text or "" for a in os_el.findall("initarg")),
        init_env=tuple(env),
        init_dir=initdir,
        init_user=os_el.findtext("inituser") or None,
        init_group=os_el.findtext("initgroup") or None,
        cmdline=os_el.findtext("cmdline"),
        arch=arch,
    )


def _idmap(idmap: etree._Element | None) -> tuple[tuple[IdMap, ...], tuple[IdMap, ...]]:
    if idmap is None:
        return (), ()
    only_attributes(idmap, ())
    only_children(idmap, ("uid", "gid"))
    maps: dict[str, list[IdMap]] = {"uid": [], "gid": []}
    for entry in elements(idmap):
        only_attributes(entry, ("start", "target", "count"))
        start = integer(entry, required(entry, "start"), attribute="start")
        target = integer(entry, required(entry, "target"), attribute="target")
        count = integer(entry, required(entry, "count"), minimum=1, attribute="count")
        maps[str(entry.tag)].append(IdMap(start, target, count))
    if not maps["uid"] or not maps["gid"]:
        raise bad(idmap, "a user namespace needs both <uid> and <gid> mappings")
    for kind, entries in maps.items():
        if not any(m.start == 0 for m in entries):
            raise bad(idmap, f"the {kind} mappings must map the container's root (start='0')")
        if len(entries) > 340:
            raise bad(idmap, f"at most 340 {kind} mappings fit in the kernel's map")
    return tuple(maps["uid"]), tuple(maps["gid"])


def _features(features: etree._Element | None) -> tuple[Capabilities, bool]:
    if features is None:
        return Capabilities(), False
    only_children(features, ("privnet", "capabilities", *IGNORED_FEATURES))
    privnet = features.find("privnet") is not None
    found = features.find("capabilities")
    if found is None:
        return Capabilities(), privnet
    only_attributes(found, ("policy",))
    policy = one_of(found, "policy", ("default", "allow", "deny"), default="default")
    states: list[tuple[int, bool]] = []
    for cap in elements(found):
        number = caps_module.NUMBERS.get(str(cap.tag))
        if number is None:
            raise bad(cap, f"unknown capability '{cap.tag}' (names as in capabilities(7), without CAP_)")
        only_attributes(cap, ("state",))
        states.append((number, one_of(cap, "state", ("on", "off")) == "on"))
    return Capabilities(policy, tuple(states)), privnet


def _lifecycle(root: etree._Element) -> None:
    allowed = {"on_poweroff": ("destroy",), "on_reboot": ("restart", "destroy"), "on_crash": ("destroy",)}
    for tag, values in allowed.items():
        el = root.find(tag)
        if el is not None and (el.text or "").strip() not in values:
            raise refuse(el, f"'{el.text}' is not supported for a container (only {', '.join(values)})")


def _clock(clock: etree._Element | None) -> None:
    if clock is None:
        return
    only_attributes(clock, ("offset",))
    only_children(clock, ())
    if clock.get("offset", "utc") != "utc":
        raise refuse(clock, "a container shares the host's clock: only offset 'utc' is possible", "offset")


def _seclabels(root: etree._Element) -> None:
    for label in root.findall("seclabel"):
        if label.get("type") != "none" and label.get("model") != "none":
            raise refuse(label, "security labels (SELinux, AppArmor) are not supported: use type='none'")


def _resource(resource: etree._Element | None) -> None:
    if resource is None:
        return
    only_children(resource, ("partition",))
    partition = resource.findtext("partition")
    if partition not in (None, DEFAULT_PARTITION):
        raise refuse(
            resource.find("partition"),  # type: ignore[arg-type]
            f"only the default partition {DEFAULT_PARTITION} is supported (containers go under the driver's own)",
        )


def _resources(root: etree._Element, memory: etree._Element) -> tuple[int, Resources]:
    values: dict[str, object] = {"memory_kib": kib(memory)}
    memtune = root.find("memtune")
    if memtune is not None:
        only_children(memtune, ("hard_limit", "soft_limit", "swap_hard_limit"))
        for el in elements(memtune):
            values[f"{el.tag}_kib"] = kib(el)
    vcpus = 1
    vcpu = root.find("vcpu")
    if vcpu is not None:
        only_attributes(vcpu, ("placement", "cpuset", "current"))
        one_of(vcpu, "placement", ("static",), default="static")
        vcpus = integer(vcpu, vcpu.text, minimum=1)
        if vcpu.get("cpuset"):
            values["cpuset"] = _cpus(vcpu, vcpu.get("cpuset", ""), "cpuset")
    cputune = root.find("cputune")
    if cputune is not None:
        only_children(cputune, ("shares", "period", "quota"))
        for el in elements(cputune):
            minimum = {"shares": 2, "period": 1000, "quota": -1}[str(el.tag)]
            values[f"cpu_{el.tag}"] = integer(el, el.text, minimum=minimum)
    numatune = root.find("numatune")
    if numatune is not None:
        only_children(numatune, ("memory",))
        mem = numatune.find("memory")
        if mem is not None:
            only_attributes(mem, ("mode", "nodeset"))
            one_of(mem, "mode", ("strict",), default="strict")
            values["memory_nodes"] = _cpus(mem, required(mem, "nodeset"), "nodeset")
    blkiotune = root.find("blkiotune")
    if blkiotune is not None:
        values.update(_blkio(blkiotune))
    return vcpus, Resources(**values)  # type: ignore[arg-type]


def _cpus(el: etree._Element, text: str, attribute: str) -> tuple[int, ...]:
    try:
        found: tuple[int, ...] = CPUSET.parse(text)
    except ValueError as exc:
        raise bad(el, str(exc), attribute) from None
    if not found:
        raise bad(el, "the list is empty", attribute)
    return found


def _blkio(blkiotune: etree._Element) -> dict[str, object]:
    only_children(blkiotune, ("weight", "device"))
    found: dict[str, object] = {}
    weight = blkiotune.find("weight")
    if weight is not None:
        found["blkio_weight"] = integer(weight, weight.text, minimum=100)
    devices = []
    for device in blkiotune.findall("device"):
        only_children(
            device, ("path", "weight", "read_bytes_sec", "write_bytes_sec", "read_iops_sec", "write_iops_sec")
        )
        path_el = device.find("path")
        if path_el is None or not path_el.text:
            raise bad(device, "<path> of the block device is required")
        settings = {
            str(el.tag): integer(el, el.text, minimum=100 if el.tag == "weight" else 0)
            for el in elements(device)
            if el.tag != "path"
        }
        devices.append(BlkioDevice(path=absolute_path(path_el, path_el.text), **settings))  # type: ignore[arg-type]
    found["blkio_devices"] = tuple(devices)
    return found


def _namespaces(namespace: etree._Element | None) -> tuple[SharedNamespace, ...]:
    if namespace is None:
        return ()
    kinds = {f"{{{LXC_NS}}}share{kind}": kind for kind in ("net", "uts", "ipc")}
    shared: list[SharedNamespace] = []
    for el in elements(namespace):
        kind = kinds.get(str(el.tag))
        if kind is None:
            raise refuse(el, "only lxc:sharenet, lxc:shareuts and lxc:shareipc are known")
        only_attributes(el, ("type", "value"))
        type_ = one_of(el, "type", ("netns", "name", "pid"))
        if type_ == "netns" and kind != "net":
            raise refuse(el, "type 'netns' names a network namespace: only lxc:sharenet takes it", "type")
        value = required(el, "value")
        if type_ == "pid":
            integer(el, value, minimum=1, attribute="value")
        if type_ == "netns" and ("/" in value or value.startswith(".")):
            raise bad(el, f"'{value}' is not a network namespace name", "value")
        if any(s.kind == kind for s in shared):
            raise bad(el, f"the {kind} namespace is shared twice")
        shared.append(SharedNamespace(kind, type_, value))
    return tuple(shared)

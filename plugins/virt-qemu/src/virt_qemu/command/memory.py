"""The guest's memory on the command line: ``-m`` (with ``slots``/``maxmem`` for memory hotplug),
NUMA cells (a ``memory-backend-ram`` each, ``-numa node``) and DIMMs (``memory-backend-ram`` +
``pc-dimm``), as libvirt 9.0 writes them for QEMU 7.2. Sizes are rounded as at start
(``virt_qemu.memdevices``): cells to 1 MiB, DIMMs to 2 MiB."""

from __future__ import annotations

from typing import Any

from virt.xml.convert import CPUSET
from virt.xml.devices import MemoryDevice

from virt_qemu import memdevices as md
from virt_qemu.command.context import Context, kv
from virt_qemu.command.errors import Node, raw_node, refuse_raw_extra, refuse_unhandled

_CELL_ATTRIBUTES = ("id", "cpus", "memory", "unit")


def memory_option(ctx: Context) -> None:
    domain = ctx.domain
    node = Node.of("/domain", domain)
    found = _cells(ctx)
    limits = md.max_memory(domain)
    initial = sum(md.round_up(cell.memory, md.CELL_ALIGN) for cell in found) if found else domain.memory
    if limits is None or not limits[0]:
        if md.dimms(domain) or (domain.devices is not None and domain.devices.memories):
            raise node.child("devices").child("memory").refuse("memory devices need <maxMemory>")
        ctx.args.add("-m", f"size={initial}k")
        return
    size, slots = limits
    el = domain.max_memory
    assert el is not None
    refuse_raw_extra(el, raw_node(node, el, "maxMemory"), ("slots", "unit"))
    if not found:
        raise raw_node(node, el, "maxMemory").refuse("memory hotplug needs NUMA cells (<cpu><numa>)")
    maxmem = md.round_up(size, md.CELL_ALIGN)
    ctx.args.add("-m", kv(f"size={initial}k", [("slots", slots), ("maxmem", f"{maxmem}k")]))


def _cells(ctx: Context) -> list[md.Cell]:
    cpu = ctx.domain.cpu
    numa = cpu.numa if cpu is not None else None
    if numa is None:
        return []
    node = raw_node(Node.of("/domain/cpu", cpu), numa, "numa")
    refuse_raw_extra(numa, node, children=True)
    for el in numa:
        if isinstance(el.tag, str) and el.tag != "cell":
            raise raw_node(node, el, el.tag).not_yet(f"<{el.tag}> is")
        if isinstance(el.tag, str):
            refuse_raw_extra(el, raw_node(node, el, "cell"), _CELL_ATTRIBUTES)
    return md.cells(ctx.domain)


def numa_options(ctx: Context) -> None:
    """A RAM backend and a ``-numa node`` per cell."""
    for cell in _cells(ctx):
        backend = f"ram-node{cell.id}"
        size = md.round_up(cell.memory, md.CELL_ALIGN) * 1024
        ctx.args.add("-object", {"qom-type": "memory-backend-ram", "id": backend, "size": size})
        cpus = [("cpus", group) for group in _ranges(cell.cpus, Node(f"/domain/cpu/numa/cell[{cell.id + 1}]"))]
        ctx.args.add("-numa", kv("node", [("nodeid", cell.id), *cpus, ("memdev", backend)]))


def _ranges(text: str, node: Node) -> list[str]:
    """``0-1,3`` as QEMU's repeated ``cpus=`` values (``0-1``, ``3``)."""
    if not text:
        return []
    try:
        cpus = sorted(CPUSET.parse(text))
    except ValueError:
        raise node.attr("cpus").refuse(f"'{text}' is not a list of vCPUs") from None
    groups: list[list[int]] = []
    for cpu in cpus:
        if groups and cpu == groups[-1][-1] + 1:
            groups[-1].append(cpu)
        else:
            groups.append([cpu])
    return [str(g[0]) if len(g) == 1 else f"{g[0]}-{g[-1]}" for g in groups]


def dimm_devices(ctx: Context) -> None:
    devices = ctx.domain.devices
    for n, memory in enumerate(devices.memories if devices is not None else []):
        node = Node.of("/domain/devices", devices).child("memory", memory, n)
        if memory.model != "dimm":
            raise node.attr("model").not_yet(f"memory devices of model '{memory.model}' are")
        refuse_unhandled(memory, node, ("model", "target", "alias", "address"))
        if memory.target is not None:
            refuse_raw_extra(memory.target, node.child("target"), children=True)
            for el in memory.target:
                if isinstance(el.tag, str) and el.tag not in ("size", "node"):
                    raise raw_node(node.child("target"), el, el.tag).not_yet(f"<{el.tag}> is")
        if memory.address is not None and memory.address.type != "dimm":
            raise node.child("address").refuse("only 'dimm' addresses are supported for the pc-dimm device")
        backend, device = props(memory)
        ctx.args.add("-object", backend)
        ctx.args.device(device)


def props(memory: MemoryDevice, *, align: int = md.DIMM_ALIGN) -> tuple[dict[str, Any], dict[str, Any]]:
    """The ``memory-backend-ram`` object and the ``pc-dimm`` device of a DIMM (``align``: KiB its
    size is rounded up to; a hotplug gives QEMU the size as it is said, as libvirt does)."""
    alias = md.alias_of(memory)
    size = md.round_up(md.size_of(memory), align) * 1024
    backend = {"qom-type": "memory-backend-ram", "id": f"mem{alias}", "size": size}
    device: dict[str, Any] = {"driver": "pc-dimm", "node": md.node_of(memory), "memdev": f"mem{alias}", "id": alias}
    slot = md.slot_of(memory)
    if slot is not None:
        device["slot"] = slot
    base = md.base_of(memory)
    if base is not None:
        device["addr"] = base
    return backend, device

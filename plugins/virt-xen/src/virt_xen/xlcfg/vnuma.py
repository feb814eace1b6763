"""xl's vNUMA setting: a list of nodes, each a list of pnode=, size= (MiB), vcpus= and
vdistances= strings, and domain XML's ``<cpu><numa>`` cells."""

from __future__ import annotations

from lxml import etree

from virt_xen.xlcfg.errors import BadValue
from virt_xen.xlcfg.models import element
from virt_xen.xlcfg.syntax import Item
from virt_xen.xlcfg.values import cpu_list

MAX_VCPUS = 1024  # libvirt's VIR_DOMAIN_CPUMASK_LEN: the vCPU ids a node may list


def parse_vnuma(nodes: list[Item]) -> tuple[etree._Element, int]:
    """The ``<numa>`` element of the nodes, and how many vCPUs they hold."""
    count = sum(1 for node in nodes if isinstance(node.value, list))
    numa = element("numa")
    vcpus = 0
    for n, node in enumerate(nodes):
        fields: dict[str, str] = {}
        for member in node.value if isinstance(node.value, list) else []:
            if not isinstance(member.value, str):
                break
            key, equals, value = member.value.rpartition("=")
            if not equals:
                raise BadValue(f"vnuma vnode invalid format '{member.value}'")
            if value:
                name = next((k for k in ("pnode", "size", "vcpus", "vdistances") if key.startswith(k)), None)
                if name is None:
                    raise BadValue(f"Invalid vnuma configuration for vnode {n}")
                fields[name] = value
        if not all(k in fields for k in ("pnode", "size", "vcpus")):
            raise BadValue(f"Incomplete vnuma configuration for vnode {n}")
        pnode = _number(fields["pnode"], "pnode", n)
        if pnode >= count:
            raise BadValue(f"vnuma vnode {n} contains invalid pnode value '{fields['pnode']}'")
        size = _number(fields["size"], "size", n)
        if size == 0:
            raise BadValue(f"Incomplete vnuma configuration for vnode {n}")
        try:
            cpus = cpu_list(fields["vcpus"], MAX_VCPUS)
        except ValueError as e:
            raise BadValue(f"vnuma vnode {n} vcpus '{fields['vcpus']}': {e}") from None
        vcpus += len(cpus)
        cell = element("cell", id=str(n), cpus=fields["vcpus"], memory=str(size * 1024), unit="KiB")
        if "vdistances" in fields:
            distances = fields["vdistances"].split(",")
            if len(distances) != count:
                raise BadValue(
                    f"vnuma pnode {pnode} configured '{fields['vdistances']}' (count {len(distances)}) "
                    f"doesn't fit the number of specified vnodes {count}"
                )
            siblings = element("distances")
            for m, distance in enumerate(distances):
                siblings.append(element("sibling", id=str(m), value=str(_number(distance, "vdistances", n))))
            cell.append(siblings)
        numa.append(cell)
    return numa, vcpus


def _number(text: str, what: str, node: int) -> int:
    if not text.isascii() or not text.isdigit():
        raise BadValue(f"vnuma vnode {node} {what} '{text}' is not a number")
    return int(text, 10)

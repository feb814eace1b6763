"""UnsupportedConfig, and the check that nothing in the domain is silently left out of the command.

Each builder says which fields of a model it turns into arguments; ``refuse_unhandled`` refuses
every other field that holds something (and every element or attribute the model keeps as
unknown), naming its path and line, so an unsupported setting is never dropped quietly.
"""

from __future__ import annotations

from collections.abc import Collection

import attrs
from lxml import etree
from virt.errors import ErrorDomain, ErrorNumber, VirtError
from virt.xml.base import ATTR, TEXT, XmlModel, source_line

# the metadata key virt.xml.base files each field's declaration under
_SPEC_KEY = "virt.xml"


class UnsupportedConfig(VirtError):
    """A domain setting virt-qemu cannot (yet) turn into a QEMU command line."""

    default_code = ErrorNumber.CONFIG_UNSUPPORTED

    def __init__(self, message: str) -> None:
        super().__init__(message, ErrorNumber.CONFIG_UNSUPPORTED, ErrorDomain.QEMU)


@attrs.frozen
class Node:
    """Where something is in the domain document: its path and line, for error messages."""

    path: str
    line: int | None = None

    @classmethod
    def of(cls, path: str, obj: XmlModel | None) -> Node:
        return cls(path, None if obj is None else source_line(obj))

    def child(self, tag: str, obj: XmlModel | None = None, index: int | None = None) -> Node:
        path = f"{self.path}/{tag}" if index is None else f"{self.path}/{tag}[{index + 1}]"
        line = source_line(obj) if obj is not None else None
        return Node(path, line if line is not None else self.line)

    def attr(self, name: str) -> Node:
        return Node(f"{self.path}/@{name}", self.line)

    def refuse(self, reason: str) -> UnsupportedConfig:
        line = f" (line {self.line})" if self.line else ""
        return UnsupportedConfig(f"{self.path}: {reason}{line}")

    def not_yet(self, what: str) -> UnsupportedConfig:
        return self.refuse(f"{what} not supported by virt-qemu yet")


def _local(tag: object) -> str:
    return etree.QName(tag).localname if isinstance(tag, str) else str(tag)


def _element_path(el: etree._Element, fallback: str) -> str:
    try:
        path = str(el.getroottree().getpath(el))
    except (ValueError, TypeError):
        return fallback
    # lxml writes namespaced elements as /*[n]; the parent path plus the local name reads better
    return path if path.startswith("/domain") and "*" not in path else fallback


def _is_empty(value: object) -> bool:
    return value is None or value is False or (isinstance(value, list) and not value)


def refuse_unhandled(
    obj: XmlModel,
    node: Node,
    handled: Collection[str] = (),
    *,
    unknown_attrs: Collection[str] = (),
    unknown_elements: Collection[str] = (),
) -> None:
    """Raise UnsupportedConfig for the first field of ``obj`` outside ``handled`` that holds a
    value, and for any unknown attribute or element outside ``unknown_attrs``/``unknown_elements``."""
    for f in attrs.fields(type(obj)):
        spec = f.metadata.get(_SPEC_KEY)
        if spec is None or f.name in handled or _is_empty(getattr(obj, f.name)):
            continue
        if spec.kind == ATTR:
            raise node.attr(spec.tag).not_yet(f"attribute '{spec.tag}' is")
        if spec.kind == TEXT and spec.tag is None:
            raise node.not_yet("the text of this element is")
        line = source_line(obj, f.name)
        raise Node(f"{node.path}/{spec.tag}", line or node.line).not_yet(f"<{_local(spec.tag)}> is")
    unknown = obj._unknown
    if not unknown:
        return
    for name in unknown.attrs:
        if name not in unknown_attrs:
            raise node.attr(_local(name)).not_yet(f"attribute '{_local(name)}' is")
    for elements in unknown.elements.values():
        for el in elements:
            tag = _local(el.tag)
            if tag in unknown_elements or not isinstance(el.tag, str):
                continue
            path = _element_path(el, f"{node.path}/{tag}")
            raise Node(path, el.sourceline or node.line).not_yet(f"<{tag}> is")
    if unknown.child_attrs:
        raise node.not_yet("extra attributes on the children of this element are")


def unknown_attr(obj: XmlModel, name: str) -> str | None:
    """An attribute the model does not declare (kept in its unknown store), or None."""
    unknown = obj._unknown
    return None if unknown is None else unknown.attrs.get(name)


def unknown_element(obj: XmlModel, tag: str) -> etree._Element | None:
    """The first element ``tag`` the model does not declare, or None."""
    unknown = obj._unknown
    if unknown is None:
        return None
    for elements in unknown.elements.values():
        for el in elements:
            if isinstance(el.tag, str) and _local(el.tag) == tag:
                return el
    return None


def raw_node(parent: Node, el: etree._Element, tag: str) -> Node:
    return Node(f"{parent.path}/{tag}", el.sourceline or parent.line)


def refuse_raw_extra(el: etree._Element, node: Node, attributes: Collection[str] = (), children: bool = False) -> None:
    """Refuse attributes (and children, unless allowed) of a kept raw element beyond those handled."""
    for name in el.attrib:
        if _local(name) not in attributes:
            raise node.attr(_local(name)).not_yet(f"attribute '{_local(name)}' is")
    if not children:
        for sub in el:
            if isinstance(sub.tag, str):
                raise Node(f"{node.path}/{_local(sub.tag)}", sub.sourceline or node.line).not_yet(
                    f"<{_local(sub.tag)}> is"
                )

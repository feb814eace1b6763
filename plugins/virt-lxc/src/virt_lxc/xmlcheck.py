"""Reading domain XML strictly: every refusal names the element (and attribute) it is about.

The driver never drops part of a definition silently: an element, attribute or value it cannot
honour is an error naming its path (``/domain/devices/filesystem[2]/source/@dir``).
"""

from __future__ import annotations

from collections.abc import Iterable

from lxml import etree
from virt.errors import VirtError
from virt.xml.convert import scale
from virt.xml.domain import LXC_NS

from virt_lxc import errors


def path(el: etree._Element, attribute: str | None = None) -> str:
    """``/domain/devices/interface[2]/ip``: the element's place, ``[n]`` only among same-named siblings."""
    parts: list[str] = []
    node: etree._Element | None = el
    while node is not None:
        qname = etree.QName(node)
        name = f"lxc:{qname.localname}" if qname.namespace == LXC_NS else qname.localname
        parent = node.getparent()
        if parent is not None:
            same = [c for c in parent if c.tag == node.tag]
            if len(same) > 1:
                name += f"[{same.index(node) + 1}]"
        parts.append(name)
        node = parent
    text = "/" + "/".join(reversed(parts))
    return f"{text}/@{attribute}" if attribute else text


def refuse(el: etree._Element, what: str, attribute: str | None = None) -> VirtError:
    """A configuration the LXC driver cannot honour (raise the result)."""
    return errors.unsupported(f"{path(el, attribute)}: {what}")


def bad(el: etree._Element, what: str, attribute: str | None = None) -> VirtError:
    """A malformed value (raise the result)."""
    return errors.xml_error(f"{path(el, attribute)}: {what}")


def elements(el: etree._Element) -> list[etree._Element]:
    """The element children (comments and processing instructions left out)."""
    return [c for c in el if isinstance(c.tag, str)]


def only_attributes(el: etree._Element, allowed: Iterable[str]) -> None:
    known = set(allowed)
    for name in el.attrib:
        if name not in known:
            raise refuse(el, "this attribute is not supported by the LXC driver", str(name))


def only_children(el: etree._Element, allowed: Iterable[str]) -> None:
    known = set(allowed)
    for child in elements(el):
        if child.tag not in known:
            raise refuse(child, "this element is not supported by the LXC driver")


def one_of(el: etree._Element, attribute: str, values: Iterable[str], default: str | None = None) -> str:
    """An attribute that must take one of ``values`` (``default`` when absent, an error if that is None)."""
    value = el.get(attribute, default)
    choices = tuple(values)
    if value is None:
        raise bad(el, f"a value is required (one of {', '.join(choices)})", attribute)
    if value not in choices:
        raise refuse(el, f"'{value}' is not supported (the LXC driver knows {', '.join(choices)})", attribute)
    return str(value)


def required(el: etree._Element, attribute: str) -> str:
    value = el.get(attribute)
    if value is None or not value.strip():
        raise bad(el, "this attribute is required", attribute)
    return str(value)


def integer(el: etree._Element, text: str | None, *, minimum: int = 0, attribute: str | None = None) -> int:
    """A decimal integer of at least ``minimum``, from an attribute's or an element's text."""
    try:
        value = int((text or "").strip(), 10)
    except ValueError:
        raise bad(el, f"'{text}' is not an integer", attribute) from None
    if value < minimum:
        raise bad(el, f"{value} is below the minimum {minimum}", attribute)
    return value


def kib(el: etree._Element, *, unit_attribute: str = "unit", default_unit: str = "KiB", text: str | None = None) -> int:
    """A scaled size (``<hard_limit unit='MiB'>64</hard_limit>``) in KiB, rounded up as libvirt does."""
    value = el.text if text is None else text
    unit = el.get(unit_attribute, default_unit)
    try:
        return scale((value or "").strip(), unit, 1024)
    except ValueError as exc:
        raise bad(el, f"'{value}' {unit} is not a size: {exc}") from None


def absolute_path(el: etree._Element, value: str, attribute: str | None = None) -> str:
    if not value.startswith("/") or "\0" in value:
        raise bad(el, f"'{value}' is not an absolute path", attribute)
    return value

"""Building domain model objects, and the XML elements the model keeps verbatim."""

from __future__ import annotations

from lxml import etree
from virt.xml.base import Unknown, XmlModel, kept_attribute, set_kept_attribute
from virt.xml.base import build as make

__all__ = ["add_kept_element", "element", "kept_attribute", "make", "set_kept_attribute"]


def element(tag: str, text: str | None = None, *children: etree._Element, **attrib: str) -> etree._Element:
    """An element for a field the model keeps as XML: its text, child elements and attributes
    (in the order given)."""
    el = etree.Element(tag)
    for name, value in attrib.items():
        el.set(name, value)
    el.text = text
    el.extend(children)
    return el


def add_kept_element(obj: XmlModel, el: etree._Element) -> None:
    """Add a child element the model does not declare but keeps, before the declared ones."""
    if obj._unknown is None:
        obj._unknown = Unknown()
    obj._unknown.elements.setdefault((-1, 0), []).append(el)

"""Building domain model objects and the XML elements the model keeps verbatim."""

from __future__ import annotations

from typing import Any, TypeVar

from lxml import etree
from virt.xml.base import Unknown, XmlModel

M = TypeVar("M", bound=XmlModel)


def make(cls: type[M], **fields: Any) -> M:
    """A model object with ``fields`` set (type checkers do not see the initialiser @model makes)."""
    obj = cls()
    for name, value in fields.items():
        setattr(obj, name, value)
    return obj


def element(tag: str, text: str | None = None, *children: etree._Element, **attrib: str) -> etree._Element:
    """An element for a field the model keeps as XML: its text, child elements and attributes
    (in the order given)."""
    el = etree.Element(tag)
    for name, value in attrib.items():
        el.set(name, value)
    el.text = text
    el.extend(children)
    return el


def kept_attribute(obj: XmlModel, name: str) -> str | None:
    """An attribute the model does not declare but keeps, or None."""
    return obj._unknown.attrs.get(name) if obj._unknown is not None else None


def set_kept_attribute(obj: XmlModel, name: str, value: str) -> None:
    """Set an attribute the model does not declare but keeps (a SPICE display's tlsPort...)."""
    if obj._unknown is None:
        obj._unknown = Unknown()
    obj._unknown.attrs[name] = value


def add_kept_element(obj: XmlModel, el: etree._Element) -> None:
    """Add a child element the model does not declare but keeps, after the declared ones it has."""
    if obj._unknown is None:
        obj._unknown = Unknown()
    obj._unknown.elements.setdefault((-1, 0), []).append(el)

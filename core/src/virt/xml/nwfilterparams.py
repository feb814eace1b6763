"""What ``<filter>`` and ``<filterbinding>`` share: filterref parameters, MAC text and escaping.

Both documents carry ``<filterref filter=...>`` with ``<parameter name= value=>`` children, which
libvirt reads and writes with the same code, so one parser and one formatter serve both models.
"""

from __future__ import annotations

import string
from xml.sax.saxutils import escape as xml_escape

from lxml import etree

VARIABLE_NAME_CHARS = frozenset(string.ascii_letters + string.digits + "_")
"""What a parameter (variable) name may hold."""
VARIABLE_VALUE_CHARS = VARIABLE_NAME_CHARS | frozenset(".:")
"""What a parameter value may hold (it may not be empty)."""

Parameters = dict[str, list[str]]
"""Parameter name -> its values in document order (a name may repeat: a list of values)."""


def parse_parameters(filterref: etree._Element) -> Parameters:
    """The ``<parameter>`` children of ``filterref``. As libvirt does, a parameter lacking its
    name or value, or holding characters a variable cannot, is skipped rather than refused."""
    parameters: Parameters = {}
    for param in filterref.iterchildren("parameter"):
        name, value = param.get("name"), param.get("value")
        if name is None or value is None or not value:
            continue
        if not set(name) <= VARIABLE_NAME_CHARS or not set(value) <= VARIABLE_VALUE_CHARS:
            continue
        parameters.setdefault(name, []).append(value)
    return parameters


def filterref_lines(filter_name: str, parameters: Parameters, indent: str) -> list[str]:
    """``<filterref>`` as libvirt formats it: parameters sorted by name (its hash table's sorted
    walk), a repeated name's values in their order, an empty element when there are none."""
    if not parameters:
        return [f"{indent}<filterref filter={attr(filter_name)}/>"]
    lines = [f"{indent}<filterref filter={attr(filter_name)}>"]
    for name in sorted(parameters):
        for value in parameters[name]:
            lines.append(f"{indent}  <parameter name={attr(name)} value={attr(value)}/>")
    lines.append(f"{indent}</filterref>")
    return lines


def parse_mac(text: str) -> str | None:
    """A MAC address as libvirt formats it (lower-case, two digits an octet), or None when ``text``
    is not six colon-separated groups of one or two hex digits (trailing blanks allowed)."""
    parts = text.rstrip(" \t\n\r").split(":")
    if len(parts) != 6 or not all(1 <= len(p) <= 2 and all(c in string.hexdigits for c in p) for p in parts):
        return None
    return ":".join(f"{int(p, 16):02x}" for p in parts)


def escape(value: str) -> str:
    """The five entities virBufferEscapeString writes."""
    return xml_escape(value, {"'": "&apos;", '"': "&quot;"})


def attr(value: str) -> str:
    """``value`` escaped, in the single quotes libvirt writes attributes with."""
    return f"'{escape(value)}'"

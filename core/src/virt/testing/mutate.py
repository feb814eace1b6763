"""Broken variants of a document, for tests that check bad input is refused by name."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from lxml import etree


def attribute_variants(document: bytes, values: Iterable[str]) -> Iterator[bytes]:
    """``document`` once per (element, attribute, value): that one attribute set to the value."""
    original = etree.fromstring(document)
    count = sum(1 for el in original.iter() if isinstance(el.tag, str))
    bad = tuple(values)
    for n in range(count):
        names = list([el for el in original.iter() if isinstance(el.tag, str)][n].attrib)
        for name in names:
            for value in bad:
                copy = etree.fromstring(document)
                [el for el in copy.iter() if isinstance(el.tag, str)][n].set(name, value)
                yield etree.tostring(copy)

"""Reading properties through the PropertyCollector: many objects and properties per round trip.

pyVmomi's attribute access (``vm.runtime.powerState``) costs one request per property read; the
driver never uses it on its hot paths. ``retrieve`` asks for every wanted property of every object
reached from a start object in one RetrievePropertiesEx (pages continued when the server splits).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import attrs
from pyVmomi import vmodl

PC = vmodl.query.PropertyCollector


@attrs.frozen
class Found:
    """One object's answer: the properties the server had, and the paths it could not give."""

    obj: Any
    props: Mapping[str, Any]
    missing: frozenset[str] = frozenset()

    @property
    def moref(self) -> str:
        return str(self.obj._moId)

    def get(self, path: str, default: Any = None) -> Any:
        return self.props.get(path, default)


def traversal(name: str, type: type, path: str, *follow: str) -> Any:
    """A step from objects of ``type`` through their ``path`` property, then the steps named ``follow``."""
    return PC.TraversalSpec(
        name=name, type=type, path=path, skip=False, selectSet=[PC.SelectionSpec(name=step) for step in follow]
    )


def filter_spec(
    start: Any, wanted: Mapping[Any, Sequence[str]], steps: Sequence[Any] = (), *, skip_start: bool = False
) -> Any:
    """Ask for ``wanted`` properties (by object type) of ``start`` and of what ``steps`` reach from it."""
    return PC.FilterSpec(
        objectSet=[PC.ObjectSpec(obj=start, skip=skip_start, selectSet=list(steps))],
        propSet=[PC.PropertySpec(type=kind, pathSet=list(paths), all=False) for kind, paths in wanted.items()],
    )


def _found(content: Any) -> Found:
    props = {prop.name: prop.val for prop in content.propSet or ()}
    missing = frozenset(m.path for m in content.missingSet or ())
    return Found(content.obj, props, missing)


def retrieve(collector: Any, specs: Iterable[Any]) -> list[Found]:
    """Every object the filter specs reach, with its properties (RetrievePropertiesEx, continued)."""
    result = collector.RetrievePropertiesEx(list(specs), PC.RetrieveOptions())
    found: list[Found] = []
    while result is not None:
        found.extend(_found(content) for content in result.objects or ())
        token = result.token
        result = collector.ContinueRetrievePropertiesEx(token) if token else None
    return found


def retrieve_one(collector: Any, obj: Any, kind: type, paths: Sequence[str]) -> Found | None:
    """The ``paths`` of one object, None when the server has no such object any more."""
    try:
        found = retrieve(collector, [filter_spec(obj, {kind: paths})])
    except vmodl.fault.ManagedObjectNotFound:
        return None
    return found[0] if found else None

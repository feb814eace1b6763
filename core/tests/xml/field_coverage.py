"""Which XML fields of the models the test session exercised (virt-manager's "every XML property is tested").

A field counts as exercised once the parser read a non-default value into it from some document,
and some formatted object held one too: ``XmlModel.from_element`` (with ``post_parse``) and
``XmlModel.to_xml`` are wrapped for the session and each object tree they parse or format is
walked. The declared
fields are found by walking every model class of the ``virt.xml.*`` modules, so fields other
people add are picked up without touching this file.
"""

from __future__ import annotations

import difflib
import importlib
import pkgutil
from collections.abc import Callable, Iterator
from typing import Any

import attrs
import pytest
import virt.xml
from corpus_support import canon
from virt.xml import base
from virt.xml.base import XmlModel

Key = tuple[type[XmlModel], str]

_KINDS = {
    base.ATTR: "attribute",
    base.TEXT: "text",
    base.TEXTS: "texts",
    base.CHILD: "child",
    base.CHILDREN: "children",
    base.FLAG: "flag",
    base.RAW: "raw",
    base.RAWS: "raws",
    base.SCALED: "scaled",
}
_MODEL_KINDS = (base.CHILD, base.CHILDREN)


def _spec(f: attrs.Attribute[Any]) -> base.Spec | None:
    return f.metadata.get(base._SPEC)  # type: ignore[no-any-return]


def model_classes() -> list[type[XmlModel]]:
    """Every model class (``@model``-compiled XmlModel subclass) defined in a ``virt.xml.*`` module."""
    for info in pkgutil.iter_modules(virt.xml.__path__, "virt.xml."):
        importlib.import_module(info.name)
    found: dict[type[XmlModel], None] = {}
    todo = list(XmlModel.__subclasses__())
    while todo:
        cls = todo.pop()
        todo.extend(cls.__subclasses__())
        # test modules define throwaway models of their own; only the library's count
        if cls.__module__.startswith("virt.xml.") and "_xml" in cls.__dict__:
            found[cls] = None
    return sorted(found, key=lambda c: (c.__module__, c.__qualname__))


def location(spec: base.Spec) -> str:
    """Where a field lives, as a reader of the XML would look for it."""
    kind = _KINDS.get(spec.kind, str(spec.kind))
    tag = spec.tag  # namespaced ones in Clark notation, {uri}name
    if spec.kind == base.ATTR:
        return f"@{tag} {kind}"
    if tag is None:
        return f"own {kind}"
    if spec.kind == base.FLAG:
        return f"<{tag}/> {kind}"
    return f"<{tag}> {kind}"


def declared_fields() -> dict[Key, str]:
    """(model, field name) -> its XML location, for every field with a Spec of every model."""
    return {
        (cls, f.name): location(spec)
        for cls in model_classes()
        for f in attrs.fields(cls)
        if (spec := _spec(f)) is not None
    }


def _non_default(default: Any) -> Callable[[Any], bool]:
    """A test of whether a value differs from a field's default."""
    if isinstance(default, attrs.Factory):  # type: ignore[arg-type]
        if default.factory is list:
            return bool
        empty = default.factory()
        return lambda v: bool(v != empty)
    if default is None:
        # lxml elements (raw fields) must not be compared with ==, only tested for presence
        return lambda v: v is not None
    return lambda v: bool(v != default)


class _Side:
    """The (model, field) pairs seen non-default in the object trees handed to ``walk``."""

    def __init__(self) -> None:
        self.seen: set[Key] = set()
        # per class, the plain fields not yet seen (a field once seen is not looked at again, so
        # that a corpus-wide test pays little for the recording) and the fields holding models
        self._todo: dict[type, tuple[tuple[str, Callable[[Any], bool]], ...]] = {}
        self._nested: dict[type, tuple[str, ...]] = {}

    def _plan(self, cls: type) -> None:
        todo, nested = [], []
        for f in attrs.fields(cls):
            spec = _spec(f)
            if spec is None:
                continue
            if spec.kind in _MODEL_KINDS:
                nested.append(f.name)
            else:
                todo.append((f.name, _non_default(f.default)))
        self._todo[cls] = tuple(todo)
        self._nested[cls] = tuple(nested)

    def walk(self, root: XmlModel) -> None:
        stack: list[Any] = [root]
        seen = self.seen
        while stack:
            obj = stack.pop()
            cls = type(obj)
            todo = self._todo.get(cls)
            if todo is None:
                self._plan(cls)
                todo = self._todo[cls]
            if todo:
                found = {name for name, differs in todo if differs(getattr(obj, name))}
                if found:
                    seen.update((cls, name) for name in found)
                    self._todo[cls] = tuple(t for t in todo if t[0] not in found)
            for name in self._nested[cls]:
                value = getattr(obj, name)
                if value is None:
                    continue
                if isinstance(value, list):
                    if not value:
                        continue
                    stack.extend(v for v in value if isinstance(v, XmlModel))
                elif isinstance(value, XmlModel):
                    stack.append(value)
                else:
                    continue
                seen.add((cls, name))


class Recorder:
    """Wraps parsing and formatting of every model while installed, recording the fields used."""

    def __init__(self) -> None:
        self.parsed = _Side()
        self.formatted = _Side()
        self._undo: list[Callable[[], None]] = []
        self._parsing: list[bool] = []

    def exercised(self) -> set[Key]:
        return self.parsed.seen & self.formatted.seen

    def missing(self) -> dict[Key, str]:
        done = self.exercised()
        return {key: where for key, where in declared_fields().items() if key not in done}

    def _patch(self, cls: type, name: str, value: Any) -> None:
        had = name in cls.__dict__
        old = cls.__dict__.get(name)

        def undo() -> None:
            if had:
                setattr(cls, name, old)
            else:
                delattr(cls, name)

        setattr(cls, name, value)
        self._undo.append(undo)

    def install(self) -> None:
        # The base class's methods, and any model's own override of them (none today for
        # to_xml and from_element, but a model that formats itself differently must not escape).
        classes: list[type[XmlModel]] = [XmlModel, *model_classes()]
        for cls in classes:
            own = cls.__dict__
            if "to_xml" in own:
                self._patch(cls, "to_xml", self._wrap_to_xml(own["to_xml"]))
            if "from_element" in own:
                self._patch(cls, "from_element", classmethod(self._wrap_from_element(own["from_element"])))
            if "post_parse" in own:
                self._patch(cls, "post_parse", self._wrap_post_parse(own["post_parse"]))

    def uninstall(self) -> None:
        while self._undo:
            self._undo.pop()()

    def _wrap_to_xml(self, original: Callable[[XmlModel], str]) -> Callable[[XmlModel], str]:
        walk = self.formatted.walk

        def to_xml(self: XmlModel) -> str:
            out = original(self)
            walk(self)
            return out

        to_xml.__wrapped__ = original  # type: ignore[attr-defined]
        return to_xml

    # What the parser read is looked at before post_parse runs: libvirt's parser ignores some
    # elements it writes (a volume's <physical>, a pool's <freeExtent>), and post_parse drops
    # them likewise, yet reading them is still the parser's job. ``_parsing`` holds, per
    # from_element call in progress, whether its object has been walked yet.

    def _wrap_from_element(self, original: classmethod[Any, Any, Any]) -> Callable[..., Any]:
        func = original.__func__
        walk = self.parsed.walk
        parsing = self._parsing

        def from_element(cls: type[XmlModel], el: Any) -> XmlModel:
            parsing.append(False)
            try:
                obj = func(cls, el)
            finally:
                walked = parsing.pop()
            if not walked:  # an override that skips post_parse
                walk(obj)
            return obj  # type: ignore[no-any-return]

        from_element.__wrapped__ = func  # type: ignore[attr-defined]
        return from_element

    def _wrap_post_parse(self, original: Callable[..., None]) -> Callable[..., None]:
        walk = self.parsed.walk
        parsing = self._parsing

        def post_parse(self: XmlModel, *args: Any, **kwargs: Any) -> None:
            # the first post_parse of a from_element call is its root's, before any part's
            if parsing and not parsing[-1]:
                parsing[-1] = True
                walk(self)
            original(self, *args, **kwargs)

        post_parse.__wrapped__ = original  # type: ignore[attr-defined]
        return post_parse


def report(missing: dict[Key, str]) -> Iterator[str]:
    """``Class.field (location)`` lines, grouped by module."""
    for (cls, name), where in sorted(missing.items(), key=lambda kv: (kv[0][0].__module__, kv[0][0].__qualname__)):
        yield f"{cls.__module__}: {cls.__qualname__}.{name} ({where})"


# Shared between the conftest that installs the recorder and the test that reads it.
RECORDER = pytest.StashKey[Recorder]()
# Why the session does not run every test of this directory ("" when it does), set at collection.
PARTIAL = pytest.StashKey[str]()
DESELECTED = pytest.StashKey[list[str]]()
FINAL_TEST = "test_every_xml_field_is_exercised"


# -- for the test_fields_*.py modules -----------------------------------------------------------


def roundtrip(doc: str) -> XmlModel:
    """Parse ``doc`` (written as libvirt formats it) and check formatting gives it back; the parsed model."""
    obj = virt.xml.parse(doc)
    out = obj.to_xml()
    if canon(out) != canon(doc):
        diff = difflib.unified_diff(doc.splitlines(), out.splitlines(), "given", "formatted", lineterm="")
        raise AssertionError("formatting did not give the document back:\n" + "\n".join(diff))
    return obj


DOMAIN = """<domain type='{type}'>
  <name>fields</name>
  <uuid>c7a5fdbd-edaf-9455-926a-d65c16db1809</uuid>
  <memory unit='KiB'>219136</memory>
  <currentMemory unit='KiB'>219136</currentMemory>
  <vcpu placement='static'>1</vcpu>
  <os>
    <type arch='x86_64' machine='pc'>hvm</type>
{boot}  </os>
  <clock offset='utc'/>
  <on_poweroff>destroy</on_poweroff>
  <on_reboot>restart</on_reboot>
  <on_crash>destroy</on_crash>
  <devices>
    <emulator>/usr/bin/qemu-system-x86_64</emulator>
{devices}
  </devices>
</domain>
"""


def domain_with(devices: str, type: str = "qemu") -> str:
    """A small domain holding ``devices`` (their XML, indented as libvirt writes it inside <devices>)."""
    # libvirt boots from the first disk unless a device has a boot order of its own
    boot = "" if "<boot order=" in devices else "    <boot dev='hd'/>\n"
    return DOMAIN.format(type=type, devices=devices.strip("\n"), boot=boot)

"""RelaxNG validation against libvirt's schemas (domain.rng, network.rng, ...) with lxml.

The schemas are not shipped with virt: they are read from ``$VIRT_SCHEMA_DIR`` when it is set,
else from where libvirt installs them (``/usr/share/libvirt/schemas``, Debian's ``libvirt0``).
Validating a document whose schema is not there raises XMLError saying so: a check that cannot be
made is never reported as passed. Each schema compiles once per folder (domain.rng takes a good
fraction of a second) and is kept. Errors come back in the form of the semantic checks
(``virt.xml.validate.Problem``): the path of the element and the line in the text validated.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

from lxml import etree

from virt.errors import ErrorDomain, ErrorNumber, VirtError, XMLError
from virt.xml.base import XmlModel, parse_document
from virt.xml.validate import Problem

# The schema of each document type, by root element.
SCHEMAS: dict[str, str] = {
    "domain": "domain.rng",
    "network": "network.rng",
    "pool": "storagepool.rng",
    "volume": "storagevol.rng",
    "domainsnapshot": "domainsnapshot.rng",
    "capabilities": "capability.rng",
    "domainCapabilities": "domaincaps.rng",
    "domaincheckpoint": "domaincheckpoint.rng",
    "domainbackup": "domainbackup.rng",
    "interface": "interface.rng",
    "networkport": "networkport.rng",
    "device": "nodedev.rng",
    "filter": "nwfilter.rng",
    "filterbinding": "nwfilterbinding.rng",
    "secret": "secret.rng",
    "storagepoolCapabilities": "storagepoolcaps.rng",
}

_cache: dict[Path, etree.RelaxNG] = {}
# Compiling is done once under the lock; validating shares a compiled schema, and lxml's
# validators keep their error log on the instance, so validation takes the lock too.
_lock = threading.Lock()


# Where libvirt installs its schemas (Debian: package libvirt0).
INSTALLED_SCHEMA_DIR = Path("/usr/share/libvirt/schemas")


def schema_dir() -> Path | None:
    """The folder of libvirt's schemas: ``$VIRT_SCHEMA_DIR`` when set, else libvirt's installed
    folder; None when that folder does not exist."""
    explicit = os.environ.get("VIRT_SCHEMA_DIR")
    folder = Path(explicit) if explicit else INSTALLED_SCHEMA_DIR
    return folder if folder.is_dir() else None


def _where() -> str:
    explicit = os.environ.get("VIRT_SCHEMA_DIR")
    if explicit:
        return f"VIRT_SCHEMA_DIR={explicit}"
    return f"{INSTALLED_SCHEMA_DIR} (libvirt's schemas: install libvirt, or set VIRT_SCHEMA_DIR)"


def required_schema(tag: str, directory: Path | None = None) -> etree.RelaxNG:
    """The compiled schema of ``<tag>`` documents; XMLError naming what is missing when there is
    no such schema, or no schema folder."""
    name = SCHEMAS.get(tag)
    if name is None:
        raise XMLError(f"cannot validate <{tag}>: libvirt has no RelaxNG schema for that document type")
    schema = schema_for(tag, directory)
    if schema is None:
        where = str(directory) if directory is not None else _where()
        raise XMLError(f"cannot validate <{tag}>: RelaxNG schema {name} not found in {where}")
    return schema


def schema_for(tag: str, directory: Path | None = None) -> etree.RelaxNG | None:
    """The compiled schema of documents whose root element is ``tag``; None when there is no
    schema folder or no schema for that document type. A schema that does not compile raises XMLError."""
    name = SCHEMAS.get(tag)
    folder = directory if directory is not None else schema_dir()
    if name is None or folder is None:
        return None
    path = (folder / name).resolve()
    if not path.is_file():
        return None
    with _lock:
        schema = _cache.get(path)
        if schema is None:
            try:
                schema = etree.RelaxNG(etree.parse(str(path)))
            except (etree.RelaxNGParseError, etree.XMLSyntaxError, OSError) as e:
                raise XMLError(f"cannot load the RelaxNG schema {path}: {e}") from None
            _cache[path] = schema
    return schema


def schema_problems(document: str | bytes | etree._Element | XmlModel, directory: Path | None = None) -> list[Problem]:
    """What the RelaxNG schema of ``document``'s type finds wrong in it; empty when it validates.
    XMLError when there is no schema to validate it with (see ``schema_available``). Lines are
    those of the text given (a model is formatted first, so they are lines of its formatted XML)."""
    if isinstance(document, XmlModel):
        document = document.to_xml()
    root = document if isinstance(document, etree._Element) else parse_document(document)
    schema = required_schema(str(root.tag), directory)
    with _lock:
        if schema.validate(root):
            return []
        entries = list(schema.error_log)
    found = []
    for entry in entries:
        # RelaxNG reports most failures twice, once at the element and once at each ancestor
        # whose content then fails; the innermost one is the useful one, the others are noise
        # libvirt's own validator (virsh define --validate) prints as well, so keep them all.
        path = entry.path or "/" + root.tag
        found.append(Problem(path, entry.message, entry.line or None))
    return found


def schema_available(tag: str = "domain", directory: Path | None = None) -> bool:
    """Whether documents of type ``tag`` can be validated (a schema folder with its schema exists)."""
    return schema_for(tag, directory) is not None


def validate_schema(document: str | bytes | etree._Element | XmlModel, directory: Path | None = None) -> None:
    """Raise XMLError listing what the schema finds wrong in ``document``, one problem a line."""
    found = schema_problems(document, directory)
    if found:
        raise XMLError("\n".join(str(p) for p in found))


def refuse_invalid(xml: str | bytes, *, located: bool = True) -> None:
    """The VALIDATE flags of define and create: raise libvirt's XML_INVALID_SCHEMA error listing
    what the schema finds wrong in ``xml``, each problem with its element path and line
    (``located``) or in the schema's bare words, as libvirt's network parser gives them. Without a
    schema to check against the request is refused: claiming the XML valid unchecked would be a lie
    the client cannot detect."""
    root = parse_document(xml)
    try:
        problems = schema_problems(root)
    except XMLError as exc:
        raise VirtError(
            f"XML document failed to validate against schema: {exc.message}",
            ErrorNumber.XML_INVALID_SCHEMA,
            ErrorDomain.XML,
        ) from None
    if problems:
        folder = schema_dir()
        schema = folder / SCHEMAS[str(root.tag)] if folder is not None else SCHEMAS[str(root.tag)]
        detail = "".join(f"{problem if located else problem.message}\n" for problem in problems)
        raise VirtError(
            f"XML document failed to validate against schema: Unable to validate doc against {schema}\n{detail}",
            ErrorNumber.XML_INVALID_SCHEMA,
            ErrorDomain.XML,
        )

"""The VALIDATE flags of define and create: the XML checked against libvirt's RelaxNG schema first."""

from __future__ import annotations

from pathlib import Path

from virt.errors import ErrorDomain, ErrorNumber, VirtError

# Where Debian's libvirt installs its schemas: used when virt is not pointed at another copy.
_SYSTEM_SCHEMAS = Path("/usr/share/libvirt/schemas")


def _schema_folder() -> Path | None:
    from virt.xml.schema import schema_dir

    found = schema_dir()
    if found is None and _SYSTEM_SCHEMAS.is_dir():
        found = _SYSTEM_SCHEMAS
    return found


def validated(xml: str) -> None:
    """Raise libvirt's XML_INVALID_SCHEMA error listing what the schema finds wrong in ``xml``.

    Without a schema to check against the request is refused: claiming the XML valid unchecked
    would be a lie the client cannot detect.
    """
    from virt.xml.base import parse_document
    from virt.xml.schema import SCHEMAS, schema_problems

    root = parse_document(xml)
    folder = _schema_folder()
    name = SCHEMAS.get(str(root.tag))
    schema = folder / name if folder is not None and name is not None else None
    if schema is None or not schema.is_file():
        raise VirtError(
            "XML document failed to validate against schema: no RelaxNG schema for "
            f"<{root.tag}> is installed (set VIRT_SCHEMA_DIR to libvirt's schemas folder)",
            ErrorNumber.XML_INVALID_SCHEMA,
            ErrorDomain.XML,
        )
    problems = schema_problems(root, folder)
    if problems:
        detail = "".join(f"{problem}\n" for problem in problems)
        raise VirtError(
            f"XML document failed to validate against schema: Unable to validate doc against {schema}\n{detail}",
            ErrorNumber.XML_INVALID_SCHEMA,
            ErrorDomain.XML,
        )

"""The VALIDATE flags of define and create: the XML checked against libvirt's RelaxNG schema first."""

from __future__ import annotations

from virt.errors import ErrorDomain, ErrorNumber, VirtError, XMLError


def validated(xml: str) -> None:
    """Raise libvirt's XML_INVALID_SCHEMA error listing what the schema finds wrong in ``xml``.

    Without a schema to check against the request is refused: claiming the XML valid unchecked
    would be a lie the client cannot detect.
    """
    from virt.xml.base import parse_document
    from virt.xml.schema import SCHEMAS, schema_dir, schema_problems

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
        detail = "".join(f"{problem}\n" for problem in problems)
        raise VirtError(
            f"XML document failed to validate against schema: Unable to validate doc against {schema}\n{detail}",
            ErrorNumber.XML_INVALID_SCHEMA,
            ErrorDomain.XML,
        )

"""The VALIDATE flag of virNetworkCreateXMLFlags / virNetworkDefineXMLFlags: the text checked
against libvirt's network.rng before it is parsed, failing in libvirt's words (the schema's
messages, one a line, as libxml2 gives them to libvirt: without the element's path or line)."""

from __future__ import annotations

from virt.errors import ErrorDomain, ErrorNumber, VirtError, XMLError


def validate(xml: str | bytes) -> None:
    """Raise libvirt's XML_INVALID_SCHEMA error when ``xml`` does not match its schema; without a
    schema to check against the request is refused (claiming it valid unchecked would be a lie)."""
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
        detail = "".join(f"{problem.message}\n" for problem in problems)
        raise VirtError(
            f"XML document failed to validate against schema: Unable to validate doc against {schema}\n{detail}",
            ErrorNumber.XML_INVALID_SCHEMA,
            ErrorDomain.XML,
        )

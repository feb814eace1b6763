"""UEFI variable stores: where a domain's lives, and its creation from the firmware's template.

As libvirt 9.0 does: at define, a ``<loader type='pflash' readonly='yes'>`` that is not stateless
and has no ``<nvram>`` path gets ``STATE/nvram/NAME_VARS.fd``; at start, the running definition
gets the template the store is made from (the loader's sibling ``*_VARS*`` file, unless one is
given), and the file is copied from it the first time. A store given as ``<nvram type='file'>``
keeps its ``<source file>``.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import TYPE_CHECKING

from lxml import etree
from virt.errors import ErrorNumber

from virt_qemu import errors

if TYPE_CHECKING:
    from virt.xml import Domain


def _needs_store(domain: Domain) -> bool:
    os_ = domain.os
    loader = os_.loader if os_ is not None else None
    if loader is None or loader.type != "pflash" or not loader.readonly:
        return False
    stateless = loader._unknown.attrs.get("stateless") if loader._unknown is not None else None
    return stateless != "yes"


def store_path(nvram: etree._Element) -> str | None:
    """The local file of a variable store: the element's text, or a file-type store's source; None
    for a store elsewhere (type='network') or not named yet."""
    kind = nvram.get("type")
    if kind is None:
        return (nvram.text or "").strip() or None
    source = nvram.find("source")
    return (source.get("file") or None) if kind == "file" and source is not None else None


def fill_path(domain: Domain, nvram_dir: Path) -> None:
    """Give a pflash firmware its variable store's path when the definition has none (define time)."""
    if not _needs_store(domain) or domain.os is None:
        return
    nvram = domain.os.nvram
    if nvram is None:
        nvram = etree.Element("nvram")
        domain.os.nvram = nvram
    if nvram.get("type") is None and not (nvram.text or "").strip():
        nvram.text = str(nvram_dir / f"{domain.name}_VARS.fd")


def fill_template(domain: Domain) -> None:
    """Name the template of a local variable store in the definition being started."""
    nvram = domain.os.nvram if domain.os is not None else None
    if nvram is None or nvram.get("template") or store_path(nvram) is None:
        return
    template = default_template(domain.os.loader.path if domain.os is not None and domain.os.loader else None)
    if template is not None:
        nvram.set("template", str(template))


def default_template(loader_path: str | None) -> Path | None:
    """The variable store shipped beside ``loader_path`` (OVMF_CODE_4M.fd -> OVMF_VARS_4M.fd)."""
    if not loader_path:
        return None
    loader = Path(loader_path)
    for candidate in (loader.name.replace("CODE", "VARS"), loader.name.replace("code", "vars")):
        path = loader.with_name(candidate)
        if candidate != loader.name and path.exists():
            return path
    return None


def ensure_store(domain: Domain) -> None:
    """Create the domain's variable store from its template before QEMU needs it."""
    if domain.os is None or domain.os.nvram is None:
        return
    named = store_path(domain.os.nvram)
    if named is None:
        return
    path = Path(named)
    if path.exists():
        return
    template = domain.os.nvram.get("template")
    if not template:
        raise errors.error(
            ErrorNumber.OPERATION_FAILED, f"unable to find any master var store for loader and no template for {path}"
        )
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    partial = path.with_name(f".{path.name}.tmp")
    try:
        shutil.copyfile(template, partial)
        partial.replace(path)
    except OSError as exc:
        partial.unlink(missing_ok=True)
        raise errors.error(
            ErrorNumber.OPERATION_FAILED, f"cannot create the NVRAM store {path} from {template}: {exc.strerror or exc}"
        ) from exc

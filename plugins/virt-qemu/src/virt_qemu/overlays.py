"""The image files of external snapshots: qcow2 overlays made, merged and described with ``qemu-img``.

An external snapshot leaves the disk's image as it was (the snapshot's point in time) and puts a new
qcow2 overlay on top of it for the writes that follow; the domain's XML then names the overlay as the
disk's source and the images below it in ``<backingStore>``, as libvirt writes a backing chain.
``qemu-img`` runs with ``-U`` where it only reads: QEMU may hold the images open.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

from lxml import etree
from virt.errors import ErrorDomain, ErrorNumber, libvirt_error

from virt_qemu import errors

OVERLAY_FORMATS = ("qcow2", "qed")
"""The formats an overlay may have (libvirt's: the others keep no backing file)."""


def qemu_img(*args: str) -> str:
    """Run ``qemu-img``; its output, or libvirt's operation failure with QEMU's words."""
    done = subprocess.run(["qemu-img", *args], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise errors.operation_failed(f"qemu-img {' '.join(args)} failed: {done.stderr.strip()}")
    return done.stdout


def info(path: str) -> dict[str, Any]:
    """``qemu-img info`` of one image (not its chain)."""
    found = json.loads(qemu_img("info", "-U", "--output=json", path))
    assert isinstance(found, dict)
    return found


def chain(path: str) -> list[dict[str, Any]]:
    """The image and those below it, top first (``qemu-img info --backing-chain``)."""
    found = json.loads(qemu_img("info", "-U", "--backing-chain", "--output=json", path))
    return found if isinstance(found, list) else [found]


def backing_of(path: str) -> str | None:
    """The image right below ``path`` (absolute), or None."""
    found = info(path)
    below = found.get("full-backing-filename") or found.get("backing-filename")
    if not below:
        return None
    return str(Path(path).parent / below) if not below.startswith("/") else str(below)


def default_name(source: str, snapshot: str) -> str:
    """libvirt's name for an overlay nobody named: the image's path, its suffix replaced by the
    snapshot's name (``/var/vm/disk.qcow2`` -> ``/var/vm/disk.SNAP``)."""
    dot = source.rfind(".")
    stem = source[:dot] if dot > source.rfind("/") else source
    return f"{stem}.{snapshot}"


def create(overlay: str, backing: str, backing_format: str, fmt: str = "qcow2") -> None:
    """A new empty ``fmt`` overlay on ``backing``, of its size; ``-u`` as QEMU may hold ``backing``
    (its size is read without opening it for writing)."""
    size = int(info(backing)["virtual-size"])
    qemu_img("create", "-q", "-f", fmt, "-u", "-b", backing, "-F", backing_format, overlay, str(size))


def rebase_unsafe(image: str, backing: str, backing_format: str) -> None:
    """Point ``image`` at another backing file holding the same data (only its header changes)."""
    qemu_img("rebase", "-u", "-f", image_format(image), "-b", backing, "-F", backing_format, image)


def commit(overlay: str) -> None:
    """Write ``overlay``'s data into the image below it (neither open by QEMU)."""
    qemu_img("commit", "-q", "-d", overlay)


def image_format(path: str) -> str:
    return str(info(path).get("format") or "raw")


def check_new(overlay: str, disk: str, *, reuse: bool) -> None:
    """libvirt's checks of an overlay file before it is made (or, ``reuse``, used as it is)."""
    target = Path(overlay)
    if not target.exists():
        if reuse:
            raise libvirt_error(
                ErrorNumber.SYSTEM_ERROR,
                f"missing existing file for disk {disk}: {overlay}: No such file or directory",
                ErrorDomain.QEMU,
            )
        return
    if not target.is_file():
        raise libvirt_error(
            ErrorNumber.CONFIG_UNSUPPORTED,
            f"mismatch between configured type for snapshot disk '{disk}' and the type of existing file '{overlay}'",
            ErrorDomain.QEMU,
        )
    if not reuse and target.stat().st_size > 0:
        raise libvirt_error(
            ErrorNumber.CONFIG_UNSUPPORTED,
            f"external snapshot file for disk {disk} already exists and is not a block device: {overlay}",
            ErrorDomain.QEMU,
        )


def backing_store(top: str, *, live: bool) -> etree._Element:
    """``<backingStore>`` for the images below ``top`` as libvirt writes a chain: each layer its
    format and source; in a running domain's XML the chain ends with an empty ``<backingStore/>``
    (libvirt knows it is complete), not in a definition."""
    layers = chain(top)[1:]
    root = etree.Element("backingStore")
    layer = root
    for n, image in enumerate(layers):
        layer.set("type", "file")
        etree.SubElement(layer, "format", type=str(image.get("format") or "raw"))
        etree.SubElement(layer, "source", file=str(image["filename"]))
        if live or n + 1 < len(layers):
            layer = etree.SubElement(layer, "backingStore")
    return root

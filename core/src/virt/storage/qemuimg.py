"""Image work through ``qemu-img``: virt never writes an image format by hand."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from virt.errors import ErrorDomain, ErrorNumber, libvirt_error

QEMU_IMG = "qemu-img"


def _binary() -> str:
    found = shutil.which(QEMU_IMG)
    if found is None:
        raise libvirt_error(
            ErrorNumber.INTERNAL_ERROR,
            "creating volumes of this format needs qemu-img, which is not installed (apt-get install qemu-utils)",
            ErrorDomain.STORAGE,
        )
    return found


def run(args: Sequence[str]) -> str:
    """Run ``qemu-img ARGS``; a failure raises libvirt's error with qemu-img's own words."""
    command = [_binary(), *args]
    done = subprocess.run(command, capture_output=True, text=True, check=False, stdin=subprocess.DEVNULL)
    if done.returncode != 0:
        said = (done.stderr or done.stdout).strip().replace("\n", " ")
        raise libvirt_error(
            ErrorNumber.INTERNAL_ERROR,
            f"{' '.join(command)} failed with status {done.returncode}: {said}",
            ErrorDomain.STORAGE,
        )
    return done.stdout


def info(path: Path, format: str | None = None) -> dict[str, Any]:
    """``qemu-img info --output=json`` of ``path`` (``-U``: a running guest may hold its lock)."""
    args = ["info", "--output=json", "-U"]
    if format:
        args += ["-f", format]
    found: dict[str, Any] = json.loads(run([*args, str(path)]))
    return found


def create_options(
    *,
    compat: str | None = None,
    cluster_size: int | None = None,
    lazy_refcounts: bool = False,
    preallocation: str | None = None,
    backing: str | None = None,
    backing_format: str | None = None,
) -> list[str]:
    """The ``-o`` option of a qcow2 create or convert, empty when nothing is asked."""
    options = []
    if compat:
        options.append(f"compat={compat}")
    if cluster_size:
        options.append(f"cluster_size={cluster_size}")
    if lazy_refcounts:
        options.append("lazy_refcounts=on")
    if preallocation:
        options.append(f"preallocation={preallocation}")
    if backing:
        options.append(f"backing_file={backing.replace(',', ',,')}")
        if backing_format:
            options.append(f"backing_fmt={backing_format}")
    return ["-o", ",".join(options)] if options else []


def create(path: Path, format: str, capacity: int, options: list[str]) -> None:
    run(["create", "-q", "-f", format, *options, str(path), str(capacity)])


def convert(source: Path, source_format: str, target: Path, format: str, options: list[str]) -> None:
    run(["convert", "-q", "-f", source_format, "-O", format, *options, str(source), str(target)])


def resize(path: Path, format: str, capacity: int, *, shrink: bool, preallocation: str | None = None) -> None:
    args = ["resize", "-q", "-f", format]
    if shrink:
        args.append("--shrink")
    if preallocation:
        args.append(f"--preallocation={preallocation}")
    run([*args, str(path), str(capacity)])

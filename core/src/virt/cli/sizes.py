"""virsh's scaled integers (virScaleInteger's suffixes): ``10M``, ``2GiB``, ``500KB``."""

from __future__ import annotations

SUFFIXES = {
    "b": 1, "byte": 1, "bytes": 1,
    "k": 1024, "kib": 1024, "kb": 1000,
    "m": 1024**2, "mib": 1024**2, "mb": 1000**2,
    "g": 1024**3, "gib": 1024**3, "gb": 1000**3,
    "t": 1024**4, "tib": 1024**4, "tb": 1000**4,
    "p": 1024**5, "pib": 1024**5, "pb": 1000**5,
    "e": 1024**6, "eib": 1024**6, "eb": 1000**6,
}  # fmt: skip
"""Each suffix's multiplier; what a bare number means is the command's (KiB for memory, bytes for volumes)."""

"""The comma-separated ``key=value`` specs inside xl settings (vif, channel, usbdev, usbctrl, vfb)."""

from __future__ import annotations


def split_pairs(text: str) -> list[str]:
    """The parts of a spec, blanks after each comma and empty parts skipped (as libvirt reads)."""
    return [part for part in (p.lstrip(" \t") for p in text.split(",")) if part]


def key_values(text: str) -> dict[str, str] | None:
    """The spec's keys and values; None when a part is not ``key=value`` (libvirt skips such a spec)."""
    fields = {}
    for part in split_pairs(text):
        key, equals, value = part.partition("=")
        if not equals:
            return None
        fields[key] = value
    return fields

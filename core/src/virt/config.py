"""Which URI to open when none is given: ``-c``, then ``VIRT_DEFAULT_URI``, then the
configuration file (``uri_default``, ``uri_aliases``), then probing the installed drivers."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from virt.errors import ErrorNumber, VirtError


def config_path() -> Path:
    """``$VIRT_CONFIG``, else ``$XDG_CONFIG_HOME/virt/virt.toml``, else ``/etc/virt/virt.toml`` for root."""
    explicit = os.environ.get("VIRT_CONFIG")
    if explicit:
        return Path(explicit)
    if os.geteuid() == 0 and "XDG_CONFIG_HOME" not in os.environ:
        return Path("/etc/virt/virt.toml")
    base = os.environ.get("XDG_CONFIG_HOME")
    return (Path(base) if base else Path.home() / ".config") / "virt" / "virt.toml"


def load_config(path: Path | None = None) -> dict[str, Any]:
    """The configuration file's settings; {} when there is none."""
    path = path or config_path()
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return {}
    except OSError as exc:
        raise VirtError(f"cannot read configuration file {path}: {exc.strerror}", ErrorNumber.CONF_SYNTAX) from exc
    import tomllib

    try:
        config = tomllib.loads(data.decode())
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise VirtError(f"configuration file {path}: {exc}", ErrorNumber.CONF_SYNTAX) from exc
    default = config.get("uri_default")
    if default is not None and not isinstance(default, str):
        raise VirtError(f"configuration file {path}: uri_default must be a string", ErrorNumber.CONF_SYNTAX)
    aliases = config.get("uri_aliases", {})
    if not isinstance(aliases, dict) or not all(isinstance(v, str) for v in aliases.values()):
        raise VirtError(
            f'configuration file {path}: uri_aliases must be a table of name = "uri"', ErrorNumber.CONF_SYNTAX
        )
    return config


def resolve_alias(name: str, config: dict[str, Any]) -> str:
    """The URI an alias stands for; ``name`` itself when it is a URI or no alias matches."""
    if "://" in name:
        return name
    aliases: dict[str, str] = config.get("uri_aliases", {})
    return aliases.get(name, name)


def configured_default_uri(config: dict[str, Any]) -> str | None:
    """``VIRT_DEFAULT_URI`` or the configuration file's ``uri_default``."""
    return os.environ.get("VIRT_DEFAULT_URI") or config.get("uri_default")

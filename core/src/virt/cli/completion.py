"""Shell completion through argcomplete (``pip install 'virt-core[completion]'``).

Enable it in bash with ``eval "$(virt completion bash)"`` (or argcomplete's
``register-python-argcomplete virt``). ``main`` imports this module only when the shell asks,
that is when ``_ARGCOMPLETE`` is set.
"""

from __future__ import annotations

from virt.cli.registry import CommandRegistry


def autocomplete(registry: CommandRegistry) -> None:
    """Answer the shell's completion request and exit (argcomplete's protocol); return when not asked."""
    try:
        import argcomplete
    except ImportError:
        return
    from virt.cli.parser import full_parser

    argcomplete.autocomplete(full_parser(registry))


def shellcode(shell: str) -> str:
    """The script that makes ``shell`` complete ``virt`` command lines."""
    from argcomplete.shell_integration import shellcode as make_shellcode

    return make_shellcode(["virt"], shell=shell)

"""The ``virt`` command's auth callback: drivers' questions asked on the terminal, as virsh asks them."""

from __future__ import annotations

import sys
from typing import TextIO

from virt.driver import Credential, CredentialType

_SECRET = frozenset({CredentialType.PASSPHRASE, CredentialType.NOECHOPROMPT})


def _read_line(prompt: str, stdin: TextIO, stderr: TextIO) -> str | None:
    stderr.write(prompt)
    stderr.flush()
    try:
        line = stdin.readline()
    except (OSError, ValueError):  # a closed or unreadable standard input: nobody to answer
        return None
    return None if not line else line.rstrip("\r\n")


def terminal_auth(credentials: list[Credential], *, stdin: TextIO | None = None, stderr: TextIO | None = None) -> None:
    """Answer each credential from the terminal: secrets without echo, the default when the answer is empty.

    Without a terminal the answers are lines read from standard input (``printf 'root\\npw\\n' | virt ...``);
    at its end the remaining questions stay unanswered, which the driver reports as an auth failure.
    """
    stdin = stdin or sys.stdin
    stderr = stderr or sys.stderr
    for credential in credentials:
        prompt = f"{credential.prompt}: "
        if credential.type in _SECRET and stdin.isatty():
            import getpass

            try:
                answer: str | None = getpass.getpass(prompt, stream=stderr)
            except EOFError:
                answer = None
        else:
            answer = _read_line(prompt, stdin, stderr)
        if answer is None:
            return
        credential.result = answer or credential.default or ""

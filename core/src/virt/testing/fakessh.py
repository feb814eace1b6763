"""A stand-in for OpenSSH's ``ssh`` for tests of the ssh transport: it takes ssh's options, then runs
the remote command here with ``sh -c`` as sshd would on the remote host, so that everything after
the hop (the remote command line, netcat to the daemon's socket, the protocol over the pipes) is
real. Each command line is logged as JSON to ``ssh-calls.log`` beside the program; the host
``nosuchhost`` fails as an unknown host does. A shared connection is always there: ``-O check``
and a master started with ``-N`` succeed at once (there is nothing to keep open)."""

from __future__ import annotations

from pathlib import Path

FAKE_SSH = """#!/bin/sh
python3 -c 'import json, sys; print(json.dumps(sys.argv[1:]))' "$@" >> "$(dirname "$0")/ssh-calls.log"
control=""
while [ $# -gt 0 ]; do
    case "$1" in
        --) shift; break ;;
        -O) control="$2"; shift 2 ;;
        -N) control=master; shift ;;
        -p|-l|-i|-o|-e) shift 2 ;;
        -*) shift ;;
        *) break ;;
    esac
done
host="$1"; shift
if [ "$host" = nosuchhost ]; then
    echo "ssh: Could not resolve hostname nosuchhost: Name or service not known" >&2
    exit 255
fi
if [ -n "$control" ]; then
    exit 0
fi
exec sh -c "$*"
"""


def write_fake_ssh(folder: Path, name: str = "ssh") -> Path:
    """The stand-in written as an executable ``folder/name``; its path."""
    program = folder / name
    program.write_text(FAKE_SSH)
    program.chmod(0o755)
    return program

"""A bhyve-argv text as libvirt cuts it up (bhyveCommandLineToArgv): a backslash before a line
break joins the lines; each remaining line is one command; arguments are separated by spaces, and
an argument that starts with a quote runs to the next such quote (no escapes inside)."""

from __future__ import annotations


def unescape(text: str) -> str:
    """Join lines ending in a backslash (LF, CR or CRLF after it)."""
    return text.replace("\\\r\n", "").replace("\\\n", "").replace("\\\r", "")


def lines(text: str) -> list[str]:
    """The non-empty lines (a run of line breaks is one break)."""
    return [line for line in unescape(text).replace("\r", "\n").split("\n") if line]


def arguments(line: str) -> list[str]:
    """The arguments of one line, split as libvirt splits them."""
    args: list[str] = []
    pos = 0
    while pos < len(line):
        quote = line[pos] if line[pos] in "'\"" else None
        if quote is not None:
            end = line.find(quote, pos + 1)
            args.append(line[pos + 1 :] if end < 0 else line[pos + 1 : end])
            pos = len(line) if end < 0 else end + 1
        else:
            end = line.find(" ", pos)
            args.append(line[pos:] if end < 0 else line[pos:end])
            pos = len(line) if end < 0 else end
        while pos < len(line) and line[pos].isspace():
            pos += 1
    return args

"""The lexical part of libvirt's configuration language (virconf), shared by the native formats
built on it (VMware's .vmx, Xen's xl.cfg and xm configs): a cursor over the text that counts
lines, skips blanks and comments, and reads quoted strings -- ``'...'`` and ``"..."`` on one line,
``\"\"\"...\"\"\"`` across lines -- as virconf does. Each format adds its names, values and separators,
and every error names its line."""

from __future__ import annotations

from virt.errors import ErrorDomain, ErrorNumber, VirtError

BLANKS = " \t"
EOL = "\r\n"


class ConfLexer:
    """A position in config ``text``; ``label`` names the file kind in errors ("vmx line 3")."""

    def __init__(self, text: str, label: str = "line") -> None:
        self.text = text
        self.pos = 0
        self.line = 1
        self.label = label

    def error(self, reason: str, line: int | None = None) -> VirtError:
        where = self.line if line is None else line
        return VirtError(
            f"configuration file syntax error: {self.label} {where}: {reason}",
            ErrorNumber.CONF_SYNTAX,
            ErrorDomain.CONF,
        )

    def at_end(self) -> bool:
        return self.pos >= len(self.text)

    def peek(self) -> str:
        return self.text[self.pos] if self.pos < len(self.text) else ""

    def skip_blanks(self, blanks: str = BLANKS) -> None:
        while self.pos < len(self.text) and self.text[self.pos] in blanks:
            self.pos += 1

    def skip_comment(self) -> None:
        """To the end of the line (the line break stays)."""
        while self.pos < len(self.text) and self.text[self.pos] not in EOL:
            self.pos += 1

    def string(self) -> str:
        """The quoted string at the cursor, which is on its opening quote."""
        text = self.text
        if text.startswith('"""', self.pos):
            end = text.find('"""', self.pos + 3)
            if end < 0:
                raise self.error("unterminated string")
            value = text[self.pos + 3 : end]
            self.line += value.count("\n")
            self.pos = end + 3
            return value
        quote = text[self.pos]
        end = start = self.pos + 1
        while end < len(text) and text[end] != quote and text[end] not in EOL:
            end += 1
        if end >= len(text) or text[end] != quote:
            raise self.error("unterminated string")
        self.pos = end + 1
        return text[start:end]

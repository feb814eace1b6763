"""virsh's vshTable: left-aligned columns sized to their content, a leading space, a dashes line."""

from __future__ import annotations

from collections.abc import Sequence


def _width(text: str) -> int:
    if text.isascii():
        return len(text)
    import unicodedata

    return sum(0 if unicodedata.combining(ch) else 2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def format_table(headers: Sequence[str], rows: Sequence[Sequence[str]], *, header: bool = True) -> str:
    """The table as virsh prints it (no trailing blank line: the command loop adds it)."""
    all_rows = [list(headers), *(list(r) for r in rows)] if header else [list(r) for r in rows]
    ncols = len(headers)
    widths = [[_width(cell) for cell in row] for row in all_rows]
    maxwidths = [max((w[i] for w in widths), default=0) for i in range(ncols)]
    lines = []
    for index, (row, row_widths) in enumerate(zip(all_rows, widths, strict=True)):
        parts = []
        for i, cell in enumerate(row):
            parts.append(" " + cell)
            if i < ncols - 1:
                parts.append(" " * (maxwidths[i] - row_widths[i] + 2))
        lines.append("".join(parts))
        if header and index == 0:
            lines.append("-" * sum(w + 3 for w in maxwidths))
    return "".join(line + "\n" for line in lines)

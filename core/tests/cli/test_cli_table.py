"""virsh's table layout."""

from __future__ import annotations

from virt.cli.table import format_table


def test_list_layout_matches_virsh() -> None:
    text = format_table(["Id", "Name", "State"], [["1", "test", "running"]])
    assert text == " Id   Name   State\n----------------------\n 1    test   running\n"


def test_widest_cell_sets_the_column_and_the_dashes() -> None:
    text = format_table(["Id", "Name", "State"], [["-", "test", "shut off"]])
    assert text.splitlines()[1] == "-" * 23


def test_empty_table_has_header_and_dashes() -> None:
    assert format_table(["Name", "Path"], []) == " Name   Path\n--------------\n"


def test_without_header_the_widths_come_from_the_rows() -> None:
    assert format_table(["Id", "Name", "State"], [["1", "test", "running"]], header=False) == " 1   test   running\n"


def test_wide_characters_count_twice() -> None:
    text = format_table(["Name", "X"], [["日本", "y"]])
    assert text.splitlines()[2] == " 日本   y"

"""Meta-tests in the datasette manner: every hook is typed, documented and exercised by a test."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import pytest
from virt import hookspecs

REPO = Path(__file__).resolve().parents[2]
HOOKS = sorted(name for name, value in vars(hookspecs).items() if hasattr(value, "virt_spec"))
TESTS = [p for p in Path(__file__).resolve().parents[2].rglob("tests/**/*.py") if p.name != Path(__file__).name]


def test_there_are_hooks() -> None:
    assert "register_drivers" in HOOKS and "register_commands" in HOOKS


@pytest.mark.parametrize("hook", HOOKS)
def test_hook_is_typed_and_has_one_line_docstring(hook: str) -> None:
    func = getattr(hookspecs, hook)
    signature = inspect.signature(func)
    assert all(p.annotation is not inspect.Parameter.empty for p in signature.parameters.values())
    assert signature.return_annotation is not inspect.Signature.empty
    doc = inspect.getdoc(func) or ""
    assert doc and "\n" not in doc.strip(), f"{hook} needs a one-line docstring"
    firstresult = func.virt_spec.get("firstresult", False)
    assert ("firstresult" in doc) == firstresult, f"{hook}'s docstring must state firstresult"


@pytest.mark.parametrize("hook", HOOKS)
def test_hook_is_documented(hook: str) -> None:
    docs = (REPO / "docs" / "plugins.md").read_text()
    assert re.search(rf"^#+ `?{hook}\(", docs, re.MULTILINE), f"docs/plugins.md has no section for {hook}"


@pytest.mark.parametrize("hook", HOOKS)
def test_hook_is_exercised_by_a_test(hook: str) -> None:
    implemented = [p for p in TESTS if re.search(rf"def {hook}\(", p.read_text())]
    assert implemented, f"no test implements {hook} in a throwaway plugin"

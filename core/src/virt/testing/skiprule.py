"""The skip rule of every virt test suite: a pytest plugin, loaded through the ``pytest11`` entry point.

A skipped test hides whatever it was meant to check, so a skip is judged here, for every test of
every distribution (third-party plugins' suites included), whatever helper or marker raised it:

- a test that cannot apply to this host (``virt.testing.not_applicable``) stays skipped;
- a test needing libvirt's conformance corpus (``@pytest.mark.corpus``, ``virt.testing.require_corpus``)
  is skipped with one common reason when the corpus is absent, unless ``CI`` or
  ``VIRT_CONFORMANCE_DIR`` says it must be there: then it fails;
- any other skip is a missing dependency: with ``VIRT_REQUIRE_INTEGRATION=1`` (as ``.ci/run`` sets)
  it fails, naming its reason.

Expected failures (``xfail``) are not skips and are left to pytest.
"""

from __future__ import annotations

import os
import re
from collections.abc import Generator
from typing import Any

import pytest

from virt.testing import conformance_dir

CORPUS_REASON = (
    "libvirt's conformance corpus is absent: put libvirt 9.0's test data beside the clone as "
    "../shared/conformance, or set VIRT_CONFORMANCE_DIR"
)
NOT_APPLICABLE = "not applicable here: "
_CORPUS_SKIPS = pytest.StashKey[int]()


class NotApplicable(pytest.skip.Exception):  # type: ignore[name-defined,misc]
    """The test cannot apply to this host (not a missing dependency): it stays a skip everywhere."""


class CorpusAbsent(pytest.skip.Exception):  # type: ignore[name-defined,misc]
    """libvirt's conformance corpus is not there."""


def require_integration() -> bool:
    """Whether a missing dependency is a failure (``VIRT_REQUIRE_INTEGRATION=1``, as CI sets)."""
    return os.environ.get("VIRT_REQUIRE_INTEGRATION") == "1"


def corpus_required() -> str:
    """Why the corpus must be present ("" when its absence is a skip): CI, or an explicit folder."""
    explicit = os.environ.get("VIRT_CONFORMANCE_DIR")
    if explicit:
        return f"VIRT_CONFORMANCE_DIR={explicit} is set"
    if os.environ.get("CI", "").lower() not in ("", "0", "false", "no"):
        return f"CI={os.environ['CI']} is set"
    return ""


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "corpus: needs libvirt's conformance corpus (../shared/conformance or VIRT_CONFORMANCE_DIR)"
    )
    config.stash[_CORPUS_SKIPS] = 0


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    if item.get_closest_marker("corpus") is not None and conformance_dir() is None:
        raise CorpusAbsent(CORPUS_REASON)


def _fail(report: pytest.TestReport | pytest.CollectReport, message: str) -> None:
    report.outcome = "failed"
    report.longrepr = message


def _skip_reason(report: pytest.TestReport | pytest.CollectReport) -> str:
    longrepr: Any = report.longrepr
    text = str(longrepr[2]) if isinstance(longrepr, tuple) and len(longrepr) == 3 else str(longrepr)
    # pytest words a skip as its exception's line: "Skipped: why" or "package.Subclass: why"
    return re.sub(r"^[\w.]*(Skipped|NotApplicable|CorpusAbsent): ", "", text)


def _judge(
    report: pytest.TestReport | pytest.CollectReport, config: pytest.Config, *, corpus: bool, applicable: bool
) -> None:
    if corpus:
        must = corpus_required()
        if must:
            _fail(report, f"{must}, so the conformance corpus must be present, but {CORPUS_REASON.lower()}")
            return
        config.stash[_CORPUS_SKIPS] = config.stash.get(_CORPUS_SKIPS, 0) + 1
        longrepr: Any = report.longrepr
        if isinstance(longrepr, tuple) and len(longrepr) == 3:
            report.longrepr = (longrepr[0], longrepr[1], f"Skipped: {CORPUS_REASON}")
        return
    if applicable:
        return
    if require_integration():
        _fail(report, f"VIRT_REQUIRE_INTEGRATION=1 turns this skip into a failure: {_skip_reason(report)}")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    if report.skipped and not hasattr(report, "wasxfail"):
        raised = call.excinfo
        # a corpus-marked test whose cases come from the corpus has an empty parameter set when it is
        # absent, and pytest's own skip for that may come first: the marker decides, not the exception
        corpus = (raised is not None and raised.errisinstance(CorpusAbsent)) or (
            item.get_closest_marker("corpus") is not None and conformance_dir() is None
        )
        applicable = raised is not None and raised.errisinstance(NotApplicable)
        _judge(report, item.config, corpus=corpus, applicable=applicable)
    return report


@pytest.hookimpl(wrapper=True)
def pytest_make_collect_report(
    collector: pytest.Collector,
) -> Generator[None, pytest.CollectReport, pytest.CollectReport]:
    report = yield
    if report.skipped:
        # a module skipped whole: only its reason is left to tell what kind of skip it was
        reason = _skip_reason(report)
        _judge(report, collector.config, corpus=reason == CORPUS_REASON, applicable=reason.startswith(NOT_APPLICABLE))
    return report


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    skipped = config.stash.get(_CORPUS_SKIPS, 0)
    if skipped:
        terminalreporter.write_line(f"virt: {skipped} tests skipped because {CORPUS_REASON}")

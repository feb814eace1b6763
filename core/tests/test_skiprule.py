"""The suite-wide skip rule (virt.testing.skiprule), run on throwaway test files with pytester."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest_plugins = ["pytester"]

SUITE = """
import pytest
import virt.testing

def test_missing_tool():
    virt.testing.missing_dependency("frobnicator is not installed")

def test_plain_skip():
    pytest.skip("no frobnicator here")

@pytest.mark.skipif(True, reason="frobnicator absent")
def test_skipif():
    pass

def test_host():
    virt.testing.not_applicable("this host has no block device")

def test_needs_corpus():
    assert virt.testing.require_corpus("schemas").name == "schemas"

@pytest.mark.corpus
@pytest.mark.parametrize("case", [])
def test_corpus_cases(case):
    pass

@pytest.mark.xfail(reason="known", strict=True)
def test_known_failure():
    assert False
"""


@pytest.fixture
def run(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, tmp_path: Path):  # type: ignore[no-untyped-def]
    for name in ("VIRT_REQUIRE_INTEGRATION", "CI", "VIRT_CONFORMANCE_DIR", "VIRT_SHARED_DIR"):
        monkeypatch.delenv(name, raising=False)
    # no corpus: shared_dir() must not find the project's own ../shared
    monkeypatch.setenv("VIRT_SHARED_DIR", str(tmp_path / "no-shared"))
    pytester.makepyfile(test_suite=SUITE)

    def run(**env: str) -> pytest.RunResult:
        for key, value in env.items():
            monkeypatch.setenv(key, value)
        return pytester.runpytest_subprocess("-ra")

    return run


def test_outside_ci_every_skip_stays_a_skip(run) -> None:  # type: ignore[no-untyped-def]
    result = run()
    result.assert_outcomes(skipped=6, xfailed=1)
    result.stdout.fnmatch_lines(["*virt: 2 tests skipped because libvirt's conformance corpus is absent*"])


def test_required_integration_fails_missing_dependencies_however_skipped(run) -> None:  # type: ignore[no-untyped-def]
    result = run(VIRT_REQUIRE_INTEGRATION="1")
    # a skip raised while setting up (skipif, markers) fails the setup: an error
    result.assert_outcomes(failed=2, errors=1, skipped=3, xfailed=1)
    for line in (
        "*VIRT_REQUIRE_INTEGRATION=1 turns this skip into a failure: frobnicator is not installed*",
        "*VIRT_REQUIRE_INTEGRATION=1 turns this skip into a failure: no frobnicator here*",
        "*VIRT_REQUIRE_INTEGRATION=1 turns this skip into a failure: frobnicator absent*",
        "SKIPPED*not applicable here: this host has no block device*",
    ):
        result.stdout.fnmatch_lines([line])


def test_the_corpus_skips_with_one_reason(run) -> None:  # type: ignore[no-untyped-def]
    result = run(VIRT_REQUIRE_INTEGRATION="1")
    skipped = [line for line in result.stdout.lines if line.startswith("SKIPPED") and "corpus" in line]
    assert len(skipped) == 2
    assert all(line.endswith("or set VIRT_CONFORMANCE_DIR") for line in skipped), skipped


@pytest.mark.parametrize(
    ("env", "why"),
    [({"CI": "true"}, "CI=true is set"), ({"VIRT_CONFORMANCE_DIR": "/nonexistent"}, "VIRT_CONFORMANCE_DIR")],
)
def test_a_missing_corpus_fails_where_it_must_be_there(run, env: dict[str, str], why: str) -> None:  # type: ignore[no-untyped-def]
    result = run(**env)
    result.assert_outcomes(failed=1, errors=1, skipped=4, xfailed=1)
    result.stdout.fnmatch_lines([f"*{why}*so the conformance corpus must be present*"])


def test_a_present_corpus_runs(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "corpus" / "schemas").mkdir(parents=True)
    result = run(VIRT_CONFORMANCE_DIR=str(tmp_path / "corpus"), VIRT_REQUIRE_INTEGRATION="1")
    # the empty parameter set stays pytest's skip, now a failure: a corpus suite with no case is a bug
    result.assert_outcomes(passed=1, failed=2, errors=2, skipped=1, xfailed=1)


def test_a_module_skipped_whole_is_judged_too(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VIRT_REQUIRE_INTEGRATION", "1")
    pytester.makepyfile(
        test_dependency="import pytest\npytest.importorskip('no_such_module_here')\ndef test_x(): pass\n",
        test_host="import virt.testing\nvirt.testing.not_applicable('no such device')\ndef test_y(): pass\n",
    )
    result = pytester.runpytest_subprocess("-ra")
    result.assert_outcomes(errors=1, skipped=1)
    result.stdout.fnmatch_lines(["*turns this skip into a failure: could not import 'no_such_module_here'*"])

"""Sessions for every distribution of the repository, each in its own virtualenv (uv when present)."""

from __future__ import annotations

import os
from pathlib import Path

import nox

nox.options.default_venv_backend = "uv|virtualenv"
nox.options.sessions = ["tests", "lint"]
nox.options.reuse_existing_virtualenvs = True

ROOT = Path(__file__).resolve().parent
PLUGINS = sorted(p for p in (ROOT / "plugins").glob("virt-*") if (p / "pyproject.toml").exists())
SHARED = ROOT.parent / "shared"


INTEGRATION = ROOT / "tests" / "integration"


def _distributions() -> list[tuple[str, Path]]:
    return [("core", ROOT / "core")] + [(p.name.removeprefix("virt-"), p) for p in PLUGINS]


def _test_suites() -> list[tuple[str, Path]]:
    """Each distribution's tests, then the cross-driver ones (QEMU guests with LXC containers)."""
    return [*_distributions(), ("integration", INTEGRATION)]


@nox.session
@nox.parametrize("dist", [name for name, _ in _test_suites()])
def tests(session: nox.Session, dist: str) -> None:
    """Run one distribution's tests (or the cross-driver ones) in its own virtualenv, with only what they use."""
    path = dict(_test_suites())[dist]
    installs = [str(ROOT / "core") + "[test]"]
    if dist == "integration":
        installs += [str(ROOT / "plugins" / "virt-qemu"), str(ROOT / "plugins" / "virt-lxc")]
    elif dist != "core":
        installs.append(str(path))
    session.install(*installs)
    session.chdir(path)
    session.run("pytest", *(session.posargs or ["-q"]), env={"PYTHONDONTWRITEBYTECODE": "1"})


@nox.session
def demo(session: nox.Session) -> None:
    """Define, start, list, suspend, resume, destroy and undefine a domain on test:///default."""
    session.install(str(ROOT / "core"))
    session.run("python", str(ROOT / "demo" / "demo.py"))


@nox.session
def lint(session: nox.Session) -> None:
    """ruff over everything."""
    session.install("ruff")
    session.run("ruff", "check", str(ROOT))


@nox.session
def types(session: nox.Session) -> None:
    """mypy over every distribution's sources, each with its own [tool.mypy] settings."""
    session.install("mypy", str(ROOT / "core") + "[test]", *[str(p) for p in PLUGINS])
    for _, path in _distributions():
        session.chdir(path)
        session.run("mypy", *[str(p.relative_to(path)) for p in (path / "src").iterdir() if p.is_dir()])


@nox.session
def bench(session: nox.Session) -> None:
    """The benchmarks, each side by side with libvirt 9.0 (virsh, python3-libvirt, libvirtd) in one run."""
    session.install(str(ROOT / "core"), *[str(p) for p in PLUGINS])
    for script in sorted((ROOT / "bench").glob("bench_*.py")):
        session.run("python", str(script), *session.posargs)


@nox.session
def conformance(session: nox.Session) -> None:
    """Score the packages against libvirt's own test data in ../shared/conformance."""
    if not (SHARED / "tools" / "conformance.py").exists():
        session.skip(f"{SHARED} is absent: the conformance corpus comes with the project's shared folder")
    session.install(str(ROOT / "core"), *[str(p) for p in PLUGINS])
    session.run("python", str(SHARED / "tools" / "conformance.py"), *session.posargs, env=dict(os.environ))

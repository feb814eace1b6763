"""Whole-process `virt list --all` against `virsh list --all`, both on test:///default, via hyperfine.

Before timing, the bytecode of everything on the import path of virt's interpreter is compiled
(``compileall``, as pip does at install time): with PYTHONDONTWRITEBYTECODE set, as on these machines,
every run would otherwise compile virt anew and the figure would measure the compiler.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

TARGET = 3.0


def interpreter_of(script: str) -> str:
    """The Python a console script runs under (its #! line), or this one."""
    with open(script, "rb") as f:
        first = f.readline().decode(errors="replace")
    return first[2:].strip().split()[0] if first.startswith("#!") and first[2:].strip() else sys.executable


def compile_bytecode(python: str) -> None:
    """Compile every folder on ``python``'s import path (standard library, packages, editable source trees)."""
    found = subprocess.run(
        [python, "-c", "import json, sys; print(json.dumps(sys.path))"], cwd="/", capture_output=True, text=True,
        check=True,
    )  # fmt: skip
    folders = [path for path in json.loads(found.stdout) if path and Path(path).is_dir()]
    # files that do not compile (tests for other Python versions in some packages) are no concern here
    subprocess.run(
        [python, "-m", "compileall", "-q", "-j", "0", *folders], cwd="/", stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL, check=False,
    )  # fmt: skip


def main() -> int:
    virt = shutil.which("virt", path=str(Path(sys.executable).parent)) or shutil.which("virt")
    virsh = shutil.which("virsh")
    hyperfine = shutil.which("hyperfine")
    missing = [name for name, path in (("virt", virt), ("virsh", virsh), ("hyperfine", hyperfine)) if not path]
    if missing:
        print(f"bench_cli_list: skipped, missing {', '.join(missing)}")
        return 0
    assert virt is not None and virsh is not None and hyperfine is not None
    compile_bytecode(interpreter_of(virt))
    commands = {
        "virt": f"{virt} -c test:///default list --all",
        "virsh": f"{virsh} -c test:///default list --all",
    }
    with tempfile.TemporaryDirectory() as tmp:
        export = Path(tmp) / "results.json"
        subprocess.run(
            [hyperfine, "-N", "--warmup", "10", "--runs", "100", "--export-json", str(export), "--style", "none",
             *commands.values()],
            check=True, stdout=subprocess.DEVNULL,
        )
        results = json.loads(export.read_text())["results"]
    mean = {name: r["mean"] for name, r in zip(commands, results, strict=True)}
    ratio = mean["virt"] / mean["virsh"]
    print(f"list --all, whole process: virt {mean['virt'] * 1000:.1f} ms, virsh {mean['virsh'] * 1000:.1f} ms, "
          f"ratio {ratio:.2f}x (target <= {TARGET}x) {'OK' if ratio <= TARGET else 'OVER TARGET'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Whole-process `virt list --all` against `virsh list --all`, both on test:///default, via hyperfine."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

TARGET = 3.0


def main() -> int:
    virt = shutil.which("virt", path=str(Path(sys.executable).parent)) or shutil.which("virt")
    virsh = shutil.which("virsh")
    hyperfine = shutil.which("hyperfine")
    missing = [name for name, path in (("virt", virt), ("virsh", virsh), ("hyperfine", hyperfine)) if not path]
    if missing:
        print(f"bench_cli_list: skipped, missing {', '.join(missing)}")
        return 0
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

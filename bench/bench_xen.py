"""Real Xen: start and destroy of the PV guest through ``xen+ssh://`` against plain ``xl create`` /
``xl destroy`` run the same way, in one run.

The Xen 4.17 test host of virt-xen's tests (booted under QEMU TCG, ``plugins/virt-xen/tests/xenhost.py``),
or an existing dom0 with ``--uri xen+ssh://root@HOST:PORT/system?keyfile=...`` and its PV guest's
kernel and initramfs at the test host's paths. Both sides go over the same ssh connection (the
driver's ControlMaster):
- ours: ``conn.create_domain(xml)`` (the xl.cfg generated from the XML, written to dom0 and
  ``xl create``d in one ssh call, the new domid read, the status file written) and ``dom.destroy()``
  (``xl destroy``, the state settled), in process, timed from the call to its return;
- plain: ``xl create -q FILE`` of the very xl.cfg ours wrote (already on dom0) and ``xl destroy NAME``,
  each one ssh command.
The sides take turns, round by round; the guest runs ``--settle`` seconds between start and destroy.
Medians of ``--runs`` (5) after a warm-up round. Needs qemu-system-x86_64, ssh, apt (the host image is
built from Debian packages and cached) unless ``--uri`` is given, and the virt-xen plugin.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

TARGET = 1.5
TESTS = Path(__file__).resolve().parent.parent / "plugins" / "virt-xen" / "tests"


def preconditions(uri: str | None) -> str | None:
    try:
        import virt_xen  # noqa: F401
    except ImportError:
        return "the virt-xen plugin is not installed"
    if uri is None:
        for tool in ("qemu-system-x86_64", "ssh", "ssh-keygen", "apt-get", "dpkg-deb"):
            if shutil.which(tool) is None:
                return f"{tool} is not installed (the Xen test host is booted under QEMU)"
    return None


def ms(seconds: float) -> float:
    return seconds * 1000.0


def run(uri: str, runs: int, settle: float) -> dict[str, list[float]]:
    import virt
    from virt_xen.paths import XenPaths

    sys.path.insert(0, str(TESTS))
    from xen_driver_support import pv_domain_xml

    times: dict[str, list[float]] = {"ours start": [], "ours destroy": [], "xl start": [], "xl destroy": []}
    with virt.open(uri) as conn:
        dom0 = conn.driver.xen.dom0  # type: ignore[attr-defined]
        for n in range(runs + 1):
            name = f"xbench{n}"
            began = time.perf_counter()
            dom = conn.create_domain(pv_domain_xml(name, vcpus=1))
            started = time.perf_counter() - began
            time.sleep(settle)
            began = time.perf_counter()
            dom.destroy()
            destroyed = time.perf_counter() - began
            config = XenPaths.dom0_config(name)
            began = time.perf_counter()
            made = dom0.run(["xl", "create", "-q", config])
            plain_started = time.perf_counter() - began
            if made.status != 0:
                raise RuntimeError(f"xl create {config}: {made.error_text}")
            time.sleep(settle)
            began = time.perf_counter()
            gone = dom0.run(["xl", "destroy", name])
            plain_destroyed = time.perf_counter() - began
            if gone.status != 0:
                raise RuntimeError(f"xl destroy {name}: {gone.error_text}")
            dom0.run(["rm", "-f", config])
            if n:  # the first round loads modules and warms dom0's caches
                times["ours start"].append(ms(started))
                times["ours destroy"].append(ms(destroyed))
                times["xl start"].append(ms(plain_started))
                times["xl destroy"].append(ms(plain_destroyed))
    return times


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5, help="start/destroy rounds per side (default 5)")
    parser.add_argument("--settle", type=float, default=2.0, help="seconds the guest runs before destroy")
    parser.add_argument("--uri", help="an existing dom0's xen+ssh:// URI instead of booting the test host")
    parser.add_argument("--count", type=int, default=None, help=argparse.SUPPRESS)  # nox hands every bench the same
    args = parser.parse_args()
    problem = preconditions(args.uri)
    if problem:
        print(f"bench_xen: skipped: {problem}")
        return 0
    with tempfile.TemporaryDirectory(prefix="vx", dir="/tmp") as folder:
        os.environ["VIRT_XEN_ROOT"] = str(Path(folder) / "state")
        if args.uri:
            times = run(args.uri, args.runs, args.settle)
        else:
            sys.path.insert(0, str(TESTS))
            from xenhost import boot, build_xen_host

            host = boot(build_xen_host(), Path(folder) / "host", qemu=shutil.which("qemu-system-x86_64") or "")
            try:
                times = run(host.uri, args.runs, args.settle)
            finally:
                host.stop()
    medians = {key: statistics.median(values) for key, values in times.items()}
    print(f"bench_xen: medians of {args.runs} runs, the PV guest (96 MiB, 1 vcpu) on Xen under QEMU TCG, over ssh")
    ok = True
    for step in ("start", "destroy"):
        ratio = medians[f"ours {step}"] / medians[f"xl {step}"]
        ok = ok and ratio <= TARGET
        print(
            f"  {step + ':':9}ours {medians[f'ours {step}']:8.1f} ms   plain xl {medians[f'xl {step}']:8.1f} ms"
            f"   ratio {ratio:5.2f}x"
        )
    print(f"  target: each at most {TARGET}x plain xl: {'met' if ok else 'NOT met'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

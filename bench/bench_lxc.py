"""Real Linux containers: the lxc:/// driver against the floor, a raw ``unshare --fork``, in one run.

libvirt 9.0's own LXC driver cannot start a container on this host's cgroup layout, so the floor is
the kernel's own price: ``unshare --fork --pid --mount --uts --ipc --net`` of the same command in the
same busybox root, with nothing else (no cgroups, no /dev, no console, no controller). Each side runs
``sh -c 'echo ready; exec sleep 1000'``:
- start: ours is ``conn.create_domain(xml)`` (returns once the container's init has executed; the
  container gets its cgroups, a private network with lo up, /proc, /sys, /dev, a console pty and its
  controller); the floor is spawning ``unshare`` until the command's ``ready`` is read from its pipe;
- destroy: ours is ``dom.destroy()`` (every task killed through the cgroup, the controller gone, the
  cgroups removed), once the controller answers; the floor is SIGKILL to the command (PID 1 of its
  namespace) until ``unshare`` has exited.
Medians of ``--runs`` (20). Ours runs under a temporary ``VIRT_LXC_ROOT`` (its own cgroup partition),
never touching real state. Needs root, ``unshare`` (util-linux), apt for busybox-static, virt-lxc.
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

START_MS = 100.0
START_VS_RAW = 10.0
COMMAND = "echo ready; exec sleep 1000"
FLOOR = ["unshare", "--fork", "--pid", "--mount", "--uts", "--ipc", "--net"]

TEMPLATE = """<domain type='lxc'>
  <name>{name}</name>
  <memory unit='MiB'>64</memory>
  <os>
    <type>exe</type>
    <init>/bin/sh</init>
    <initarg>-c</initarg>
    <initarg>{command}</initarg>
  </os>
  <features><privnet/></features>
  <devices>
    <filesystem type='mount'><source dir='{root}'/><target dir='/'/></filesystem>
    <console type='pty'/>
  </devices>
</domain>
"""


def preconditions() -> str | None:
    if os.geteuid() != 0:
        return "needs root (containers are namespaces and cgroups)"
    if subprocess.run(["which", "unshare"], capture_output=True, check=False).returncode != 0:
        return "unshare (util-linux) is not installed"
    try:
        import virt_lxc  # noqa: F401
    except ImportError:
        return "the virt-lxc plugin is not installed"
    return None


def ms(seconds: float) -> float:
    return seconds * 1000.0


def ours(root: Path, runs: int) -> tuple[list[float], list[float]]:
    import virt
    from virt_lxc import protocol

    starts, destroys = [], []
    with virt.open("lxc:///") as conn:
        for n in range(runs + 1):
            xml = TEMPLATE.format(name=f"bench{n}", command=COMMAND, root=root)
            began = time.perf_counter()
            dom = conn.create_domain(xml)
            started = time.perf_counter() - began
            socket_path = conn.driver.lxc.paths.socket_path(dom.name)  # type: ignore[attr-defined]
            deadline = time.monotonic() + 10
            while True:  # the controller answers once its own interpreter is up
                try:
                    sock, _, _ = protocol.request(socket_path, {"op": "info"}, timeout=1)
                    sock.close()
                    break
                except protocol.ProtocolError:
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.01)
            began = time.perf_counter()
            dom.destroy()
            destroyed = time.perf_counter() - began
            if n:  # the first round loads the driver's modules
                starts.append(ms(started))
                destroys.append(ms(destroyed))
    return starts, destroys


def floor(root: Path, runs: int) -> tuple[list[float], list[float]]:
    starts, destroys = [], []
    for n in range(runs + 1):
        began = time.perf_counter()
        process = subprocess.Popen(
            [*FLOOR, str(root / "bin" / "sh"), "-c", COMMAND], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL
        )
        assert process.stdout is not None
        line = process.stdout.readline()
        started = time.perf_counter() - began
        if line.strip() != b"ready":
            raise RuntimeError(f"unshare's command said {line!r}")
        children = Path(f"/proc/{process.pid}/task/{process.pid}/children").read_text().split()
        began = time.perf_counter()
        os.kill(int(children[0]), signal.SIGKILL)
        process.wait()
        destroyed = time.perf_counter() - began
        process.stdout.close()
        if n:
            starts.append(ms(started))
            destroys.append(ms(destroyed))
    return starts, destroys


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=20, help="start/destroy rounds per side (default 20)")
    parser.add_argument("--count", type=int, default=None, help=argparse.SUPPRESS)  # nox hands every bench the same
    args = parser.parse_args()
    problem = preconditions()
    if problem:
        print(f"bench_lxc: skipped: {problem}")
        return 0
    from virt_lxc.testing import busybox, make_root

    with tempfile.TemporaryDirectory(prefix="vl", dir="/tmp") as folder:
        base = Path(folder)
        root = make_root(base / "root", busybox())
        os.environ["VIRT_LXC_ROOT"] = str(base / "state")
        mine = ours(root, args.runs)
        raw = floor(root, args.runs)
    start_ours, start_raw = statistics.median(mine[0]), statistics.median(raw[0])
    stop_ours, stop_raw = statistics.median(mine[1]), statistics.median(raw[1])
    print(f"bench_lxc: medians of {args.runs} runs, one busybox container (sh -c '{COMMAND}')")
    print(
        f"  start:   ours {start_ours:7.2f} ms   raw unshare {start_raw:6.2f} ms   ratio {start_ours / start_raw:5.2f}x"
    )
    print(f"  destroy: ours {stop_ours:7.2f} ms   raw unshare {stop_raw:6.2f} ms   ratio {stop_ours / stop_raw:5.2f}x")
    ok = start_ours < START_MS and start_ours <= START_VS_RAW * start_raw
    print(
        f"  target: start under {START_MS:.0f} ms and within {START_VS_RAW:.0f}x of the raw floor: "
        f"{'met' if ok else 'NOT met'}"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

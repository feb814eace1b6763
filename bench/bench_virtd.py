"""virtd against libvirtd 9.0, both serving test:///default, through the same client: python3-libvirt.

Latency: one client, lookupByName + info() per operation, median of --runs batches.
Throughput: 1, 8 and 32 client processes at once, each looping lookupByName + info() for
--seconds; operations per second over all of them. Both daemons run side by side in this one run
(libvirtd privately, see virt.testing.start_libvirtd; virtd from this installation).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys

LIBVIRT_PYTHON = "/usr/bin/python3"
CLIENTS = (1, 8, 32)

# Runs under Debian's python3 (which has python3-libvirt); prints JSON.
LATENCY = """
import json, sys, time, libvirt
conn = libvirt.open(sys.argv[1])
count, runs = int(sys.argv[2]), int(sys.argv[3])
for _ in range(200):  # warm up: the daemon's first calls pay for imports and caches
    conn.lookupByName("test").info()
batches = []
for _ in range(runs):
    start = time.perf_counter()
    for _ in range(count):
        conn.lookupByName("test").info()
    batches.append((time.perf_counter() - start) / count)
print(json.dumps(batches))
"""

WORKER = """
import json, sys, time, libvirt
conn = libvirt.open(sys.argv[1])
conn.lookupByName("test").info()
print("ready", flush=True)
sys.stdin.readline()  # every worker starts together
deadline = time.perf_counter() + float(sys.argv[2])
done = 0
while time.perf_counter() < deadline:
    conn.lookupByName("test").info()
    done += 1
print(done, flush=True)
"""


def latency(uri: str, count: int, runs: int) -> float:
    out = subprocess.run(
        [LIBVIRT_PYTHON, "-c", LATENCY, uri, str(count), str(runs)], capture_output=True, text=True, check=True
    ).stdout
    return statistics.median(json.loads(out))


def throughput(uri: str, clients: int, seconds: float) -> float:
    workers = [
        subprocess.Popen(
            [LIBVIRT_PYTHON, "-c", WORKER, uri, str(seconds)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(clients)
    ]
    for worker in workers:
        assert worker.stdout is not None
        if worker.stdout.readline().strip() != "ready":
            raise RuntimeError(f"a client could not connect to {uri}")
    for worker in workers:
        assert worker.stdin is not None
        worker.stdin.write("go\n")
        worker.stdin.flush()
    total = 0
    for worker in workers:
        out, _ = worker.communicate(timeout=seconds + 60)
        total += int(out.strip())
    return total / seconds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=2000, help="operations per latency batch")
    parser.add_argument("--runs", type=int, default=5, help="latency batches (median reported)")
    parser.add_argument("--seconds", type=float, default=3.0, help="length of each throughput run")
    args = parser.parse_args()

    from virt.daemon.testing import start_virtd
    from virt.testing import start_libvirtd

    try:
        subprocess.run([LIBVIRT_PYTHON, "-c", "import libvirt"], check=True, capture_output=True)
    except (OSError, subprocess.CalledProcessError):
        print("bench_virtd: python3-libvirt is missing under /usr/bin/python3; nothing to compare")
        return 0
    results: dict[str, dict[str, float]] = {}
    with start_virtd() as virtd, start_libvirtd() as libvirtd:
        sides = {"virtd": virtd.uri(), "libvirtd": libvirtd.uri()}
        for name, uri in sides.items():
            results[name] = {"latency": latency(uri, args.count, args.runs)}
        for clients in CLIENTS:
            for name, uri in sides.items():
                results[name][f"{clients} clients"] = throughput(uri, clients, args.seconds)

    print("python3-libvirt on test:///default through each daemon (unix socket)")
    ours, theirs = results["virtd"], results["libvirtd"]
    ratio = ours["latency"] / theirs["latency"]
    print(f"{'lookup+info latency':<24}{ours['latency'] * 1e6:9.1f} us{theirs['latency'] * 1e6:9.1f} us{ratio:8.2f}x")
    for clients in CLIENTS:
        key = f"{clients} clients"
        print(f"{'throughput ' + key:<24}{ours[key]:9.0f}/s {theirs[key]:9.0f}/s {ours[key] / theirs[key]:7.2f}x")
    eight = ours["8 clients"] / theirs["8 clients"]
    print(
        f"latency {ratio:.2f}x (target <= 1x) {'OK' if ratio <= 1 else 'OVER TARGET'}; "
        f"throughput at 8 clients {eight:.2f}x (target >= 1x) {'OK' if eight >= 1 else 'UNDER TARGET'}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())

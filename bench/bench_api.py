"""In-process API on test:///default: ours against python3-libvirt (libvirt's C library) in one run.

For N domains: define each, list all, lookup + info of each, lookup + XML of each, undefine each.
The libvirt side runs the same steps under Debian's /usr/bin/python3, which has python3-libvirt.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
import uuid
from collections.abc import Callable

TARGET = 2.0
LIBVIRT_PYTHON = "/usr/bin/python3"

TEMPLATE = """<domain type='test'>
  <name>bench-{i}</name>
  <uuid>{uuid}</uuid>
  <memory unit='KiB'>1048576</memory>
  <currentMemory unit='KiB'>1048576</currentMemory>
  <vcpu placement='static'>2</vcpu>
  <os>
    <type arch='x86_64'>hvm</type>
    <boot dev='hd'/>
  </os>
  <clock offset='utc'/>
  <on_poweroff>destroy</on_poweroff>
  <on_reboot>restart</on_reboot>
  <on_crash>destroy</on_crash>
  <devices>
    <disk type='file' device='disk'>
      <driver name='qemu' type='qcow2'/>
      <source file='/var/lib/images/bench-{i}.qcow2'/>
      <target dev='vda' bus='virtio'/>
    </disk>
    <interface type='network'>
      <mac address='52:54:00:{a:02x}:{b:02x}:{c:02x}'/>
      <source network='default'/>
      <model type='virtio'/>
    </interface>
    <console type='pty'/>
  </devices>
</domain>
"""


def documents(count: int) -> list[str]:
    return [
        TEMPLATE.format(i=i, uuid=uuid.UUID(int=i + 1), a=(i >> 16) & 255, b=(i >> 8) & 255, c=i & 255)
        for i in range(count)
    ]


# The same steps for both sides, as source text so the libvirt side can run it under another Python.
STEPS = '''
import json, sys, time

def timed(fn):
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start

def run(conn, docs, define, list_all, lookup, info, xml, undefine):
    names = [f"bench-{i}" for i in range(len(docs))]
    results = {}
    results["define"] = timed(lambda: [define(conn, d) for d in docs])
    results["list"] = timed(lambda: [list_all(conn) for _ in range(10)]) / 10 / len(docs)
    results["lookup+info"] = timed(lambda: [info(lookup(conn, n)) for n in names])
    results["lookup+xml"] = timed(lambda: [xml(lookup(conn, n)) for n in names])
    results["undefine"] = timed(lambda: [undefine(lookup(conn, n)) for n in names])
    for key in ("define", "lookup+info", "lookup+xml", "undefine"):
        results[key] /= len(docs)
    return results
'''

LIBVIRT_SIDE = STEPS + '''
import libvirt
docs = json.load(sys.stdin)
conn = libvirt.open("test:///default")
print(json.dumps(run(
    conn, docs,
    define=lambda c, d: c.defineXML(d),
    list_all=lambda c: c.listAllDomains(0),
    lookup=lambda c, n: c.lookupByName(n),
    info=lambda d: d.info(),
    xml=lambda d: d.XMLDesc(0),
    undefine=lambda d: d.undefine(),
)))
'''


def ours(docs: list[str]) -> dict[str, float]:
    import virt

    namespace: dict[str, Callable[..., dict[str, float]]] = {}
    exec(STEPS, namespace)  # the very same steps as the libvirt side
    with virt.open("test:///default") as conn:
        return namespace["run"](
            conn, docs,
            define=lambda c, d: c.define_domain(d),
            list_all=lambda c: c.list_domains(),
            lookup=lambda c, n: c.lookup_domain_by_name(n),
            info=lambda d: d.info(),
            xml=lambda d: d.xml(),
            undefine=lambda d: d.undefine(),
        )


def libvirt_side(docs: list[str]) -> dict[str, float] | None:
    try:
        result = subprocess.run(
            [LIBVIRT_PYTHON, "-c", LIBVIRT_SIDE], input=json.dumps(docs), capture_output=True, text=True, check=True
        )
    except (OSError, subprocess.CalledProcessError) as exc:
        print(f"bench_api: libvirt side unavailable ({exc}); is python3-libvirt installed?")
        return None
    return json.loads(result.stdout)  # type: ignore[no-any-return]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=1000)
    args = parser.parse_args()
    docs = documents(args.count)
    start = time.perf_counter()
    mine = ours(docs)
    theirs = libvirt_side(docs)
    elapsed = time.perf_counter() - start
    print(f"API on test:///default, {args.count} domains, microseconds per operation ({elapsed:.1f} s)")
    print(f"{'operation':<14}{'virt':>10}{'libvirt':>10}{'ratio':>9}")
    worst = 0.0
    for op, seconds in mine.items():
        other = theirs.get(op) if theirs else None
        ratio = seconds / other if other else float("nan")
        worst = max(worst, ratio) if other else worst
        other_text = f"{other * 1e6:10.1f}" if other else f"{'-':>10}"
        print(f"{op:<14}{seconds * 1e6:10.1f}{other_text}{ratio:8.2f}x")
    if theirs:
        print(f"worst ratio {worst:.2f}x (target <= {TARGET}x) {'OK' if worst <= TARGET else 'OVER TARGET'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

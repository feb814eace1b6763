"""Micro-benchmark of virt.xml: parse + format (``virt.xml.parse(text).to_xml()``) per document.

Prints µs per document for a few documents of the conformance corpus (skipped when the corpus is
absent), plus a small built-in domain, and lxml's bare parse of each for scale.

usage: python bench/bench_xml_micro.py [--number N]
"""

from __future__ import annotations

import argparse
import os
import sys
import timeit
from pathlib import Path

import virt.xml
from lxml import etree

SMALL = """<domain type='kvm'>
  <name>small</name>
  <uuid>1b826c23-8767-47ad-a6b5-c83a88277f71</uuid>
  <memory unit='KiB'>1048576</memory>
  <vcpu placement='static'>2</vcpu>
  <os>
    <type arch='x86_64' machine='q35'>hvm</type>
    <boot dev='hd'/>
  </os>
  <devices>
    <disk type='file' device='disk'>
      <driver name='qemu' type='qcow2'/>
      <source file='/var/lib/libvirt/images/small.qcow2'/>
      <target dev='vda' bus='virtio'/>
    </disk>
    <interface type='network'>
      <mac address='52:54:00:9a:e6:c6'/>
      <source network='default'/>
      <model type='virtio'/>
    </interface>
    <console type='pty'>
      <target type='serial' port='0'/>
    </console>
  </devices>
</domain>
"""

DOCUMENTS = [
    "domain-roundtrip/q35-virt-manager-basic.x86_64-latest.xml",
    "domain-roundtrip/disk-network-nbd.xml",
    "network-roundtrip/nat-network.xml",
    "domain-roundtrip/pcie-expander-bus.xml",
    "domaincaps-roundtrip/qemu_7.2.0-q35.x86_64.xml",
]


def _corpus() -> Path | None:
    explicit = os.environ.get("VIRT_CONFORMANCE_DIR")
    if explicit:
        return Path(explicit)
    for parent in Path(__file__).resolve().parents:
        candidate = parent / "shared" / "conformance"
        if candidate.is_dir():
            return candidate
    return None


def measure(text: str, number: int) -> tuple[float, float]:
    data = text.encode()
    assert virt.xml.parse(text).to_xml() is not None
    full = min(timeit.repeat(lambda: virt.xml.parse(text).to_xml(), number=number, repeat=5)) / number
    bare = min(timeit.repeat(lambda: etree.fromstring(data), number=number, repeat=5)) / number
    return full * 1e6, bare * 1e6


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--number", type=int, default=2000)
    args = ap.parse_args()
    docs: list[tuple[str, str]] = [("small domain (built in)", SMALL)]
    corpus = _corpus()
    if corpus is None:
        print("conformance corpus not found: corpus documents skipped", file=sys.stderr)
    else:
        for rel in DOCUMENTS:
            path = corpus / rel
            if path.is_file():
                docs.append((rel, path.read_text()))
            else:
                print(f"{rel}: not in the corpus, skipped", file=sys.stderr)
    print(f"{'document':60} {'bytes':>6} {'parse+format':>13} {'lxml parse':>11}")
    for name, text in docs:
        full, bare = measure(text, args.number)
        print(f"{name:60} {len(text):6d} {full:10.1f} µs {bare:8.1f} µs")
    return 0


if __name__ == "__main__":
    sys.exit(main())

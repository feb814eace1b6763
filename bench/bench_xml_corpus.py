"""Parse + format of the domain corpus: virt.xml against libvirt 9.0's own parser and formatter, in one run.

The documents are the inputs of libvirt 9.0's domain round-trip tests (every ``domain-roundtrip*``
suite of the conformance corpus). Ours: ``virt.xml.parse(text).to_xml()``. libvirt's: python3-libvirt
under Debian's /usr/bin/python3 on ``test:///default``, ``defineXML`` + ``XMLDesc(0)`` + ``undefine``,
the nearest the public API comes to its parse + format (the test driver adds little around them).
Both sides time only the documents libvirt's test driver accepts; the rest are counted as excluded.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time

TARGET = 1.0  # at least libvirt's documents per second
LIBVIRT_PYTHON = "/usr/bin/python3"


def corpus_documents() -> list[tuple[str, str]]:
    """(case id, text) of every domain round-trip input, in a stable order."""
    from virt.testing import conformance_dir

    corpus = conformance_dir()
    if corpus is None:
        raise SystemExit("bench_xml_corpus: conformance corpus not found (set VIRT_CONFORMANCE_DIR)")
    docs = []
    for manifest in sorted(corpus.glob("domain-roundtrip*/MANIFEST.jsonl")):
        for line in manifest.read_text().splitlines():
            case = json.loads(line)
            if case["kind"] == "roundtrip":
                text = (manifest.parent / case["input"]).read_text()
                docs.append((f"{manifest.parent.name}/{case['id']}", text))
    return docs


# Run under /usr/bin/python3. First an untimed pass finds the documents the test driver accepts
# (some need a hypervisor feature it lacks); then the timed rounds go over those only.
LIBVIRT_SIDE = """
import json, sys, time
import libvirt

libvirt.registerErrorHandler(lambda *args: None, None)  # rejections are expected: keep stderr quiet
docs, rounds = json.load(sys.stdin)
conn = libvirt.open("test:///default")
accepted = []
for i, doc in enumerate(docs):
    try:
        dom = conn.defineXML(doc)
    except libvirt.libvirtError:
        continue
    try:
        dom.XMLDesc(0)
    finally:
        dom.undefine()
    accepted.append(i)
chosen = [docs[i] for i in accepted]
best = float("inf")
for _ in range(rounds):
    start = time.perf_counter()
    for doc in chosen:
        dom = conn.defineXML(doc)
        dom.XMLDesc(0)
        dom.undefine()
    best = min(best, time.perf_counter() - start)
print(json.dumps({"accepted": accepted, "seconds": best}))
"""


def libvirt_side(docs: list[str], rounds: int) -> tuple[list[int], float] | None:
    try:
        result = subprocess.run(
            [LIBVIRT_PYTHON, "-c", LIBVIRT_SIDE],
            input=json.dumps([docs, rounds]),
            capture_output=True,
            text=True,
            check=True,
        )
    except (OSError, subprocess.CalledProcessError) as exc:
        print(f"bench_xml_corpus: libvirt side unavailable ({exc}); is python3-libvirt installed?")
        return None
    out = json.loads(result.stdout)
    return out["accepted"], out["seconds"]


def ours(docs: list[str], rounds: int) -> tuple[float, int]:
    """Best time per document of ``rounds`` passes of parse + format over ``docs``, and how many failed."""
    import virt.xml

    ok = []
    for doc in docs:  # warm-up: the models compile their parser and formatter on first use
        try:
            virt.xml.parse(doc).to_xml()
        except virt.xml.XMLError:
            continue
        ok.append(doc)
    best = float("inf")
    for _ in range(rounds):
        start = time.perf_counter()
        for doc in ok:
            virt.xml.parse(doc).to_xml()
        best = min(best, time.perf_counter() - start)
    # per document of those parsed: a document we reject must not make our side look faster
    return best / max(len(ok), 1), len(docs) - len(ok)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=10, help="passes over the corpus per side; the best counts")
    args = parser.parse_args()
    cases = corpus_documents()
    texts = [text for _, text in cases]
    start = time.perf_counter()
    theirs = libvirt_side(texts, args.rounds)
    if theirs is None:
        chosen, other = texts, None
    else:
        accepted, other = theirs
        chosen = [texts[i] for i in accepted]
    mine, failed = ours(chosen, args.rounds)  # seconds per document
    elapsed = time.perf_counter() - start
    size = sum(len(t.encode()) for t in chosen) / 1024
    print(
        f"domain corpus parse + format: {len(chosen)} documents ({size:.0f} KiB), "
        f"{len(texts) - len(chosen)} of {len(texts)} excluded (libvirt's test driver rejects them), "
        f"best of {args.rounds} ({elapsed:.1f} s)"
    )
    print(f"{'side':<34}{'docs/s':>10}{'us/doc':>10}")
    print(f"{'virt (virt.xml.parse + to_xml)':<34}{1 / mine:10.0f}{mine * 1e6:10.1f}")
    if failed:
        print(f"  virt rejected {failed} of them (left out of its rate)")
    if other is not None:
        theirs_per_doc = other / len(chosen)
        print(f"{'libvirt (define + XMLDesc + undef)':<34}{1 / theirs_per_doc:10.0f}{theirs_per_doc * 1e6:10.1f}")
        ratio = theirs_per_doc / mine  # our rate over libvirt's
        print(f"ratio {ratio:.2f}x libvirt's rate (target >= {TARGET}x) {'OK' if ratio >= TARGET else 'UNDER TARGET'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

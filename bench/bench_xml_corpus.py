"""The domain corpus through both test drivers: virt against libvirt 9.0, the same work in one run.

The documents are the inputs of libvirt 9.0's domain round-trip tests (every ``domain-roundtrip*``
suite of the conformance corpus). Each side opens its own ``test:///default`` and, for every
document, defines it, reads its XML description back and undefines it, in the same loop: virt with
``define_domain`` + ``xml()`` + ``undefine()``, libvirt with python3-libvirt under Debian's
/usr/bin/python3, ``defineXML`` + ``XMLDesc(0)`` + ``undefine``. That ratio is the headline.

Both sides time the same documents: those both test drivers accept (libvirt's rejects some that need
a hypervisor feature it lacks; any virt rejects on top are counted and named).

For scale, virt's bare parse + format (``virt.xml.parse(text).to_xml()``) of the same documents is
timed as well. libvirt has no like-for-like counterpart: its parser and formatter are not public API,
so no ratio is printed for that row.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from typing import Any

TARGET = 1.0  # at least libvirt's documents per second, define + XML description + undefine
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


# Run under /usr/bin/python3. With rounds == 0 it only reports which documents the test driver
# accepts (an untimed pass); otherwise it times `rounds` passes over the documents it is given.
LIBVIRT_SIDE = """
import json, sys, time
import libvirt

libvirt.registerErrorHandler(lambda *args: None, None)  # rejections are expected: keep stderr quiet
docs, rounds = json.load(sys.stdin)
conn = libvirt.open("test:///default")
if rounds == 0:
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
    print(json.dumps({"accepted": accepted}))
else:
    best = float("inf")
    for _ in range(rounds):
        start = time.perf_counter()
        for doc in docs:
            dom = conn.defineXML(doc)
            dom.XMLDesc(0)
            dom.undefine()
        best = min(best, time.perf_counter() - start)
    print(json.dumps({"seconds": best}))
"""


def run_libvirt_side(docs: list[str], rounds: int) -> dict[str, Any] | None:
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
    return json.loads(result.stdout)  # type: ignore[no-any-return]


def virt_accepts(docs: list[str]) -> list[int]:
    """Indexes of the documents virt's test driver defines, describes and undefines (an untimed pass)."""
    import virt
    from virt.errors import VirtError

    accepted = []
    with virt.open("test:///default") as conn:
        for i, doc in enumerate(docs):
            try:
                domain = conn.define_domain(doc)
            except VirtError:
                continue
            try:
                domain.xml()
            finally:
                domain.undefine()
            accepted.append(i)
    return accepted


def virt_test_driver(docs: list[str], rounds: int) -> float:
    """Best time of ``rounds`` passes of define + XML description + undefine over ``docs``."""
    import virt

    best = float("inf")
    with virt.open("test:///default") as conn:
        for _ in range(rounds):
            start = time.perf_counter()
            for doc in docs:
                domain = conn.define_domain(doc)
                domain.xml()
                domain.undefine()
            best = min(best, time.perf_counter() - start)
    return best


def virt_parse_format(docs: list[str], rounds: int) -> float:
    """Best time of ``rounds`` passes of parse + format over ``docs``."""
    import virt.xml

    best = float("inf")
    for _ in range(rounds):
        start = time.perf_counter()
        for doc in docs:
            virt.xml.parse(doc).to_xml()
        best = min(best, time.perf_counter() - start)
    return best


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=10, help="passes over the corpus per side; the best counts")
    args = parser.parse_args()
    cases = corpus_documents()
    texts = [text for _, text in cases]
    start = time.perf_counter()

    # Which documents to time: those both test drivers accept. The acceptance passes also warm
    # virt's models, which compile their parser and formatter on first use.
    libvirt_acceptance = run_libvirt_side(texts, 0)
    libvirt_ok = set(range(len(texts))) if libvirt_acceptance is None else set(libvirt_acceptance["accepted"])
    virt_ok = set(virt_accepts(texts))
    both = sorted(libvirt_ok & virt_ok)
    chosen = [texts[i] for i in both]
    if not chosen:
        print("bench_xml_corpus: no document is accepted by both test drivers")
        return 1

    ours = virt_test_driver(chosen, args.rounds) / len(chosen)
    ours_parse_format = virt_parse_format(chosen, args.rounds) / len(chosen)
    theirs_result = None if libvirt_acceptance is None else run_libvirt_side(chosen, args.rounds)
    theirs = None if theirs_result is None else float(theirs_result["seconds"]) / len(chosen)
    elapsed = time.perf_counter() - start

    size = sum(len(t.encode()) for t in chosen) / 1024
    print(
        f"domain round-trip corpus: {len(chosen)} of {len(texts)} documents ({size:.0f} KiB) timed, "
        f"best of {args.rounds} ({elapsed:.1f} s)"
    )
    if libvirt_acceptance is not None:
        print(f"  libvirt's test driver rejects {len(texts) - len(libvirt_ok)}")
    virt_only_rejects = sorted(libvirt_ok - virt_ok)
    if virt_only_rejects:
        print(f"  virt's test driver rejects {len(virt_only_rejects)} that libvirt's accepts:")
        for i in virt_only_rejects:
            print(f"    {cases[i][0]}")

    def row(label: str, seconds_per_doc: float) -> None:
        print(f"{label:<58}{1 / seconds_per_doc:10.0f}{seconds_per_doc * 1e6:10.1f}")

    print(f"{'side':<58}{'docs/s':>10}{'us/doc':>10}")
    row("virt test:///default (define + xml + undefine)", ours)
    if theirs is not None:
        row("libvirt test:///default (defineXML + XMLDesc + undefine)", theirs)
    row("virt bare parse + format (no libvirt counterpart)", ours_parse_format)

    if theirs is not None:
        ratio = theirs / ours  # our rate over libvirt's
        verdict = "OK" if ratio >= TARGET else "UNDER TARGET"
        print(f"define + xml + undefine: {ratio:.2f}x libvirt's rate (target >= {TARGET}x) {verdict}")
    print("bare parse + format: no ratio (libvirt's parser and formatter are not public API)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

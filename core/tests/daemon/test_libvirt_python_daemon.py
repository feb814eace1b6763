"""python3-libvirt (the C binding, under Debian's /usr/bin/python3) through virtd and through
Debian's libvirtd, both serving test:///default: one session's every answer compared.

One virtd and one private libvirtd serve the whole module.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from virt.daemon.testing import Virtd, start_virtd
from virt.testing import Libvirtd, missing_dependency, start_libvirtd

PYTHON = "/usr/bin/python3"
SESSION = Path(__file__).with_name("libvirt_python_session.py")
DOMAIN_XML = """<domain type='test'>
  <name>py1</name>
  <memory unit='KiB'>131072</memory>
  <vcpu>2</vcpu>
  <os><type arch='i686'>hvm</type></os>
</domain>
"""
# Where virt's XML parser words a malformed document its own way (libvirt quotes libxml2's
# report with a caret under the spot); both refuse it.
OWN_WORDING = ("errors", "bad xml")


def _need_binding() -> None:
    if not Path(PYTHON).exists() or subprocess.run([PYTHON, "-c", "import libvirt"], capture_output=True).returncode:
        missing_dependency(f"python3-libvirt is not installed for {PYTHON}")


@pytest.fixture(scope="module")
def virtd() -> Iterator[Virtd]:
    _need_binding()
    with start_virtd() as daemon:
        yield daemon


@pytest.fixture(scope="module")
def libvirtd() -> Iterator[Libvirtd]:
    _need_binding()
    with start_libvirtd() as daemon:
        yield daemon


def _run(code: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([PYTHON, "-c", code, *args], capture_output=True, text=True, timeout=120, check=False)


def _session(daemon: Virtd | Libvirtd, folder: Path) -> dict[str, Any]:
    xml = folder / "py1.xml"
    xml.write_text(DOMAIN_XML)
    done = subprocess.run(
        [PYTHON, str(SESSION), daemon.uri(), daemon.uri(readonly=True), str(xml)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def test_a_whole_session_answers_as_libvirtd(virtd: Virtd, libvirtd: Libvirtd, tmp_path: Path) -> None:
    ours, theirs = _session(virtd, tmp_path), _session(libvirtd, tmp_path)
    section, key = OWN_WORDING
    assert ours[section].pop(key)[0] == theirs[section].pop(key)[0] == "error"
    assert ours.keys() == theirs.keys()
    for part in ours:
        assert ours[part] == theirs[part], part
    assert ours["events"] == [
        ["py1", 0, 0],  # defined
        ["py1", 2, 0],  # started
        ["py1", 3, 0],  # suspended
        ["py1", 4, 0],  # resumed
        ["py1", 5, 0],  # stopped: shutdown
        ["py1", 2, 0],
        ["py1", 5, 1],  # stopped: destroyed
        ["py1", 1, 0],  # undefined
    ]


def test_a_procedure_virtd_lacks_reaches_the_caller_as_no_support(virtd: Virtd) -> None:
    code = """
import libvirt, sys
libvirt.registerErrorHandler(lambda c, e: None, None)
conn = libvirt.open(sys.argv[1])
try:
    conn.allocPages({2048: 1}, 0, 1, 0)  # reserving the host's huge pages: not served
except libvirt.libvirtError as e:
    print(e.get_error_code(), e.get_error_domain(), e.get_error_message())
"""
    done = _run(code, virtd.uri())
    assert done.stdout.strip() == "3 7 unknown procedure: 347", done.stderr  # VIR_ERR_NO_SUPPORT from VIR_FROM_RPC


def test_lookup_and_info_over_many_connections_at_once(virtd: Virtd) -> None:
    code = """
import libvirt, sys, threading
libvirt.registerErrorHandler(lambda c, e: None, None)
failures = []
def client():
    conn = libvirt.open(sys.argv[1])
    for _ in range(50):
        dom = conn.lookupByName("test")
        if dom.info()[0] != libvirt.VIR_DOMAIN_RUNNING:
            failures.append(dom.info())
    conn.close()
threads = [threading.Thread(target=client) for _ in range(8)]
for t in threads: t.start()
for t in threads: t.join()
print(len(failures))
"""
    done = _run(code, virtd.uri())
    assert done.stdout.strip() == "0", done.stderr

"""Debian's stock virsh against virtd serving test:///default, side by side with libvirtd 9.0: the
statistics and information commands print the same (the test driver's clock-driven counters hidden),
and python3-libvirt gets the same records through both daemons; a read-only client is refused
virDomainGetTime, and an ACL hides domains from bulk statistics.
"""

from __future__ import annotations

import json
import re
import subprocess

import pytest
from virsh_compare import Outcome, virsh
from virt.daemon.testing import Virtd, start_virtd
from virt.testing import Libvirtd, missing_dependency, need_virsh

LIBVIRT_PYTHON = "/usr/bin/python3"
CLOCK_FIGURES = re.compile(r"\d{6,}")

COMMANDS = [
    ["vcpuinfo", "test"],
    ["vcpuinfo", "test", "--pretty"],
    ["vcpupin", "test"],
    ["emulatorpin", "test"],
    ["dommemstat", "test"],
    ["domblkstat", "test", "vda"],
    ["domblkstat", "test", "vda", "--human"],
    ["domblkstat", "test"],
    ["domblkstat", "test", "nope"],
    ["domifstat", "test", "testnet0"],
    ["domifstat", "test", "aa:bb:cc:dd:ee:ff"],
    ["domifstat", "test", "vnet0"],
    ["domblkinfo", "test", "vda"],
    ["domblkinfo", "test", "vda", "--human"],
    ["domblkinfo", "test", "--all"],
    ["domblkinfo", "test", "nope"],
    ["domstats"],
    ["domstats", "test"],
    ["domstats", "--vcpu"],
    ["domstats", "--vcpu", "--enforce"],
    ["domstats", "--list-inactive"],
    ["domstats", "--state", "--list-running"],
    ["domjobinfo", "test"],
    ["domjobinfo", "test", "--completed"],
    ["domtime", "test"],
    ["domtime", "test", "--pretty"],
    ["-r", "domtime", "test"],
    # the balloon's statistics period (virDomainSetMemoryStatsPeriod, a change: refused read-only)
    ["dommemstat", "test", "--period", "2"],
    ["dommemstat", "test", "--period", "0", "--live"],
    ["dommemstat", "test", "--period", "2", "--live", "--config"],
    ["dommemstat", "nope", "--period", "2"],
    ["-r", "dommemstat", "test", "--period", "2"],
]


def _hidden(outcome: Outcome) -> Outcome:
    return Outcome(outcome.code, CLOCK_FIGURES.sub("N", outcome.stdout), outcome.stderr)


def _virsh(uri: str, command: list[str]) -> Outcome:
    if command[0] == "-r":
        done = subprocess.run(["virsh", "-r", "-c", uri, *command[1:]], capture_output=True, text=True, timeout=30)
        return _hidden(Outcome(done.returncode, done.stdout, done.stderr.replace(uri, "URI")))
    return _hidden(virsh(uri, *command))


@pytest.mark.parametrize("command", COMMANDS, ids=[" ".join(c) for c in COMMANDS])
def test_statistics_print_what_libvirtd_prints(virtd: Virtd, libvirtd: Libvirtd, command: list[str]) -> None:
    ours, theirs = _virsh(virtd.uri(), command), _virsh(libvirtd.uri(), command)
    assert ours == theirs, f"virsh {' '.join(command)}:\n virtd:   {ours}\n libvirtd: {theirs}"


CLIENT = r"""
import json, sys, libvirt
conn = libvirt.open(sys.argv[1])
dom = conn.lookupByName("test")
out = {
    "cpumap": conn.getCPUMap(),
    "vcpus": [[list(v[:2]) + [v[3]] for v in dom.vcpus()[0]], dom.vcpus()[1]],
    "pin": dom.vcpuPinInfo(),
    "emulator": dom.emulatorPinInfo(),
    "mem": dom.memoryStats(),
    "blockinfo": dom.blockInfo("vda"),
    "all": [(d.name(), s) for d, s in conn.getAllDomainStats(0)],
    "list": [(d.name(), s) for d, s in conn.domainListGetStats([dom], libvirt.VIR_DOMAIN_STATS_STATE)],
    "time": dom.getTime(),
}
print(json.dumps(out))
"""


def test_python_libvirt_reads_the_same_through_both(virtd: Virtd, libvirtd: Libvirtd) -> None:
    import shutil

    if shutil.which(LIBVIRT_PYTHON) is None:
        missing_dependency("python3-libvirt is not installed")
    results = []
    for uri in (virtd.uri(), libvirtd.uri()):
        done = subprocess.run([LIBVIRT_PYTHON, "-c", CLIENT, uri], capture_output=True, text=True, timeout=30)
        assert done.returncode == 0, done.stderr
        results.append(json.loads(done.stdout))
    assert results[0] == results[1]
    assert results[0]["all"] == [["test", {"state.state": 1, "state.reason": 0}]]


def test_an_acl_hides_domains_from_bulk_statistics() -> None:
    need_virsh()
    import getpass

    settings = f'[acl]\n[[acl.rule]]\nusers = ["{getpass.getuser()}"]\nallow = ["*"]\ndomains = ["other*"]\n'
    with start_virtd(settings=settings) as daemon:
        shown = virsh(daemon.uri(), "domstats")
        assert shown == Outcome(0, "\n", "")


PERIOD_CLIENT = r"""
import json, sys, libvirt
conn = libvirt.open(sys.argv[1])
dom = conn.lookupByName("test")
out = []
for period, flags in ((3, 0), (-1, 0), (-1, 4), (2, 4), (2, 3), (7, 2)):
    try:
        out.append(dom.setMemoryStatsPeriod(period, flags))
    except libvirt.libvirtError as exc:
        out.append([exc.get_error_code(), exc.get_error_domain(), exc.get_error_message()])
out.append(dom.XMLDesc(0).count("<stats period='3'/>"))
out.append(dom.XMLDesc(libvirt.VIR_DOMAIN_XML_INACTIVE).count("<stats period='7'/>"))
print(json.dumps(out))
"""


def test_the_statistics_period_is_checked_and_kept_as_libvirtd_does(virtd: Virtd, libvirtd: Libvirtd) -> None:
    """Checks virsh makes itself (a negative period) reach the daemon from python3-libvirt's call."""
    import shutil

    if shutil.which(LIBVIRT_PYTHON) is None:
        missing_dependency("python3-libvirt is not installed")
    results = []
    for uri in (virtd.uri(), libvirtd.uri()):
        done = subprocess.run([LIBVIRT_PYTHON, "-c", PERIOD_CLIENT, uri], capture_output=True, text=True, timeout=30)
        assert done.returncode == 0, done.stderr
        results.append(json.loads(done.stdout))
    assert results[0] == results[1]
    assert results[0][0] == 0 and results[0][-2:] == [1, 1]

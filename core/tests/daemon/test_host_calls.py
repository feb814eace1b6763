"""The host calls (virt.hostcalls) on the test driver, which like libvirt 9.0's has none of them:
through python3-libvirt over virtd and libvirtd, read-write and read-only (the read-only refusals
and the "not supported" words alike), and virt's CLI verbs against stock virsh. The CPU comparison
itself (virt.cpucompare) on given host features."""

from __future__ import annotations

import pytest
from binding_sides import cli_as_virsh, same_through_daemons
from virt.cpucompare import compare
from virt.daemon.testing import Virtd
from virt.errors import VirtError
from virt.hostcalls import CPUCompareResult
from virt.testing import Libvirtd

CALLS = r"""
dom = conn.lookupByName("test")
calls = [
    ("from native", lambda: conn.domainXMLFromNative("qemu-argv", "qemu-system-x86_64", 0)),
    ("to native", lambda: conn.domainXMLToNative("qemu-argv", dom.XMLDesc(0), 0)),
    ("compare", lambda: conn.compareCPU("<cpu><model>qemu64</model></cpu>", 0)),
    ("labels", lambda: dom.securityLabelList()),
    ("node suspend", lambda: conn.suspendForDuration(0, 60, 0)),
    ("pm suspend", lambda: dom.pMSuspendForDuration(0, 0, 0)),
    ("pm wakeup", lambda: dom.pMWakeup(0)),
    ("scsi host", lambda: conn.nodeDeviceLookupSCSIHostByWWN("2000000012341234", "1000000012341234", 0).name()),
]
"""


@pytest.mark.parametrize("readonly", [False, True], ids=["read-write", "read-only"])
def test_python3_libvirt_through_virtd_as_through_libvirtd(daemons: tuple[Virtd, Libvirtd], readonly: bool) -> None:
    rows = same_through_daemons(daemons, CALLS, readonly)
    assert len(rows) == 8 and all(row[1] == "error" for row in rows)


@pytest.mark.parametrize(
    "command",
    ["cpu-compare /dev/null", "nodesuspend mem 60", "nodesuspend moon 60", "dompmsuspend test mem", "dompmwakeup test"],
)
def test_cli_as_virsh(command: str) -> None:
    ours, theirs = cli_as_virsh(command)
    assert ours == theirs


_HOST = frozenset({"fpu", "sse2", "lm", "svm", "cx16"})


@pytest.mark.parametrize(
    ("xml", "host", "result"),
    [
        ("<cpu><feature name='sse2'/><feature name='lm'/></cpu>", {"sse2", "lm"}, CPUCompareResult.IDENTICAL),
        ("<cpu><feature name='sse2'/></cpu>", _HOST, CPUCompareResult.SUPERSET),
        ("<cpu><feature name='avx'/></cpu>", _HOST, CPUCompareResult.INCOMPATIBLE),
        (
            "<cpu><feature name='sse2'/><feature policy='forbid' name='svm'/></cpu>",
            _HOST,
            CPUCompareResult.INCOMPATIBLE,
        ),
        ("<cpu><feature name='sse4.2'/></cpu>", _HOST | {"sse4_2"}, CPUCompareResult.SUPERSET),  # the kernel's spelling
        ("<cpu mode='host-model'/>", frozenset(), CPUCompareResult.SUPERSET),
    ],
)
def test_cpu_comparison(xml: str, host: frozenset[str], result: CPUCompareResult) -> None:
    assert compare(xml, 0, None, frozenset(host)) is result


def test_cpu_comparison_errors_in_libvirts_words() -> None:
    with pytest.raises(VirtError, match=r"^the CPU is incompatible with host CPU: Host CPU does not provide required"):
        compare("<cpu><feature name='avx'/></cpu>", 1, None, _HOST)
    with pytest.raises(VirtError, match=r"^internal error: Unknown CPU model nosuch$"):
        compare("<cpu><model>nosuch</model></cpu>", 0, None, _HOST)
    with pytest.raises(VirtError, match=r"^XML error: XML does not contain expected 'cpu' element$"):
        compare("<foo/>", 0, None, _HOST)


def test_virts_remote_client_through_virtd(daemons: tuple[Virtd, Libvirtd]) -> None:
    import virt

    with virt.open(daemons[0].uri()) as conn:
        dom = conn.lookup_domain_by_name("test")
        with pytest.raises(VirtError, match=r"^An error occurred, but the cause is unknown$"):
            dom.security_labels()  # libvirtd's answer when the driver lacks it (a reply with ret -1)
        with pytest.raises(VirtError, match=r"not supported by the connection driver: virDomainPMWakeup$"):
            dom.pm_wakeup()
        with pytest.raises(VirtError, match=r"not supported by the connection driver: virConnectCompareCPU$"):
            conn.compare_cpu("<cpu><model>qemu64</model></cpu>")

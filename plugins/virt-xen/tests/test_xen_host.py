"""The Xen test host comes up (Xen under QEMU, dom0 by SSH) and boots, lists and destroys the PV guest."""

from __future__ import annotations

import time

from xenhost import CONSOLE_LOGS, PV_MARKER, PV_MEMORY_MIB, PV_TICK, XenHost, pv_config

GUEST = "host-check"
CONSOLE_TIMEOUT = 90.0


def _wait_console(xen_host: XenHost, name: str, text: str) -> str:
    deadline = time.monotonic() + CONSOLE_TIMEOUT
    log = f"{CONSOLE_LOGS}/guest-{name}.log"
    while True:
        seen = xen_host.run(f"cat {log} 2>/dev/null || true").stdout
        if text in seen:
            return seen
        assert time.monotonic() < deadline, f"no {text!r} on {name}'s console within {CONSOLE_TIMEOUT} s: {seen!r}"
        time.sleep(1)


def test_xen_host_boots_a_pv_guest(xen_host: XenHost) -> None:
    assert xen_host.run("cat /sys/hypervisor/type").stdout.strip() == "xen"
    info = dict(
        (key.strip(), value.strip())
        for key, _, value in (line.partition(":") for line in xen_host.run("xl info").stdout.splitlines())
    )
    assert (info["xen_major"], info["xen_minor"]) == ("4", "17")
    assert int(info["free_memory"]) >= PV_MEMORY_MIB, info

    xen_host.run(f"cat > /tmp/{GUEST}.cfg && xl create /tmp/{GUEST}.cfg", input=pv_config(GUEST))
    try:
        seen = _wait_console(xen_host, GUEST, f"{PV_TICK} 1")
        assert PV_MARKER in seen
        listed = xen_host.domains()
        mine = [d for d in listed if d["config"]["c_info"]["name"] == GUEST]
        assert len(mine) == 1, listed
        assert mine[0]["domid"] > 0
        assert mine[0]["config"]["b_info"]["max_memkb"] == PV_MEMORY_MIB * 1024
    finally:
        xen_host.run(f"xl destroy {GUEST}", check=False)
    assert [d["config"]["c_info"]["name"] for d in xen_host.domains()] == ["Domain-0"]

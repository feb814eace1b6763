"""The host interface steps the comparisons run, and virt's side of them (libvirt's: iface_libvirt_session.py).

A step is ``[op, arg...]``; each gives ``["ok", value]`` or ``["error", code, domain, message]``.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import virt
from virt.errors import VirtError
from virt.interfaces import Interface
from virt.testing import missing_dependency

SYSTEM_PYTHON = "/usr/bin/python3"
SESSION = Path(__file__).with_name("iface_libvirt_session.py")

ETH2 = "<interface type='ethernet' name='eth2'><mac address='AA:BB:CC:DD:EE:00'/><foo/><link speed='100' state='up'/></interface>"
ETH3 = "<interface type='ethernet' name='eth3'><mac address='aa:bb:cc:dd:ee:00'/></interface>"
BRIDGE = (
    "<interface type='bridge' name='br0'><start mode='none'/><mtu size='9000'/>"
    "<protocol family='ipv6'><autoconf/><dhcp peerdns='no'/><ip address='fe80::1' prefix='64'/></protocol>"
    "<bridge stp='off' delay='0.01'><interface type='ethernet' name='eth9'><mac address='52:54:00:00:00:09'/></interface>"
    "<interface type='vlan' name='eth9.42'><vlan tag='42'><interface name='eth9'/></vlan></interface></bridge></interface>"
)

# What both sides can be asked without flags virt's typed API has no words for.
SCENARIO: list[list[Any]] = [
    ["list_all"],
    ["list_all", 1],
    ["list_all", 2],
    ["num_active"],
    ["list_active"],
    ["num_defined"],
    ["list_defined"],
    ["lookup_name", "eth1"],
    ["lookup_name", "nope"],
    ["lookup_mac", "aa:bb:cc:dd:ee:ff"],
    ["lookup_mac", "AA:BB:CC:DD:EE:FF"],
    ["lookup_mac", "00:00:00:00:00:00"],
    ["xml", "eth1"],
    ["xml", "eth1", 1],
    ["active", "eth1"],
    ["create", "eth1"],
    ["destroy", "eth1"],
    ["active", "eth1"],
    ["destroy", "eth1"],
    ["list_defined"],
    ["commit"],
    ["rollback"],
    ["begin"],
    ["begin"],
    ["define", ETH2],
    ["create", "eth1"],
    ["xml", "eth2"],
    ["active", "eth2"],
    ["rollback"],
    ["list_all"],
    ["active", "eth2"],
    ["lookup_name", "eth1"],
    ["active", "eth1"],
    ["begin"],
    ["define", ETH2],
    ["define", ETH3],
    ["lookup_mac", "aa:bb:cc:dd:ee:00"],
    ["create", "eth2"],
    ["commit"],
    ["list_all"],
    ["undefine", "eth2"],
    ["undefine", "eth2"],
    ["xml", "eth2"],
    ["lookup_mac", "AA:bb:cc:dd:ee:00"],
    ["define", BRIDGE],
    ["xml", "br0"],
    ["lookup_mac", ""],
    ["define", "<interface type='ethernet' name='eth1'><mac address='00:11:22:33:44:55'/></interface>"],
    ["lookup_name", "eth1"],
    ["xml", "eth1"],
    ["define", "<interface type='ethernet'/>"],
    ["define", "<interface name='x'/>"],
    ["define", "<foo/>"],
    ["define", "<interface type='wifi' name='x'/>"],
    ["define", "<interface type='ethernet' name='x'><mtu size='100001'/></interface>"],
    ["define", "<interface type='ethernet' name='x'><protocol family='ipx'/></interface>"],
    ["list_all"],
]

# Flags only the wire carries (python3-libvirt through virtd against libvirt itself).
FLAG_STEPS: list[list[Any]] = [
    ["list_all", 3],
    ["list_all", 4],
    ["lookup_name", "eth1"],
    ["create", "eth1", 1],
    ["destroy", "eth1", 2],
    ["begin", 1],
    ["commit", 1],
    ["rollback", 1],
    ["define", ETH3, 2],
    ["define", ETH3, 1],
    ["define", "<interface type='ethernet' name='eth4'><foo/></interface>", 1],
    ["list_all"],
]


def libvirt_results(uri: str, steps: list[list[Any]]) -> list[Any]:
    """What python3-libvirt answers on ``uri`` (skips without the binding)."""
    if not Path(SYSTEM_PYTHON).exists():
        missing_dependency(f"{SYSTEM_PYTHON} is not installed")
    done = subprocess.run(
        [SYSTEM_PYTHON, str(SESSION)],
        input=json.dumps({"uri": uri, "steps": steps}),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if "No module named 'libvirt'" in done.stderr:
        missing_dependency(f"python3-libvirt is not installed for {SYSTEM_PYTHON}")
    assert done.returncode == 0, done.stderr
    results: list[Any] = json.loads(done.stdout)
    return results


def virt_results(conn: virt.Connection, steps: list[list[Any]]) -> list[Any]:
    """What virt's typed API answers for the same steps."""
    handles: dict[str, Interface] = {}

    def keep(iface: Interface) -> list[str]:
        handles[iface.name] = iface
        return [iface.name, iface.mac]

    def listing(flags: int = 0) -> list[list[Any]]:
        active = {0: None, 1: False, 2: True, 3: None}[flags]
        return sorted([i.name, i.mac, int(i.is_active())] for i in conn.list_interfaces(active=active))

    def lookup_mac(mac: str) -> list[str]:
        iface = conn.lookup_interface_by_mac(mac)
        return [iface.name, iface.mac]

    def roundtrip(xml: str) -> list[str]:
        iface = conn.define_interface(xml)
        try:
            return [iface.name, iface.mac, iface.xml()]
        finally:
            iface.undefine()

    ops: dict[str, Any] = {
        "roundtrip": roundtrip,
        "list_all": listing,
        "num_active": lambda: len(conn.list_interfaces(active=True)),
        "list_active": lambda: sorted(i.name for i in conn.list_interfaces(active=True)),
        "num_defined": lambda: len(conn.list_interfaces(active=False)),
        "list_defined": lambda: sorted(i.name for i in conn.list_interfaces(active=False)),
        "lookup_name": lambda name: keep(conn.lookup_interface_by_name(name)),
        "lookup_mac": lookup_mac,
        "define": lambda xml: keep(conn.define_interface(xml)),
        "xml": lambda name, flags=0: handles[name].xml(inactive=bool(flags)),
        "active": lambda name: int(handles[name].is_active()),
        "create": lambda name: handles[name].create() or 0,
        "destroy": lambda name: handles[name].destroy() or 0,
        "undefine": lambda name: handles[name].undefine() or 0,
        "begin": lambda: conn.interface_change_begin() or 0,
        "commit": lambda: conn.interface_change_commit() or 0,
        "rollback": lambda: conn.interface_change_rollback() or 0,
    }
    results: list[Any] = []
    for op, *args in steps:
        try:
            results.append(["ok", ops[op](*args)])
        except VirtError as exc:
            results.append(["error", int(exc.code), int(exc.domain), exc.message])
    return results

"""Interfaces of a custom node file (test:///path/node.xml), inline or in their own file, as libvirt loads them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import virt
from iface_steps import libvirt_results, virt_results

NODE = """<node>
  <interface type='ethernet' name='eth0'>
    <mac address='52:54:00:aa:00:01'/>
    <start mode='onboot'/>
  </interface>
  <interface file='bond.xml'/>
</node>
"""
BOND = """<interface type='bond' name='bond0'>
  <bond mode='active-backup'><miimon freq='100'/><interface type='ethernet' name='eth5'/></bond>
</interface>
"""
STEPS: list[list[Any]] = [
    ["list_all"],
    ["lookup_name", "eth0"],
    ["lookup_name", "bond0"],
    ["xml", "eth0"],
    ["xml", "bond0"],
    ["lookup_mac", "52:54:00:AA:00:01"],
    ["lookup_mac", ""],
]


def test_a_node_files_interfaces_load_active_as_in_libvirt(tmp_path: Path) -> None:
    (tmp_path / "node.xml").write_text(NODE)
    (tmp_path / "bond.xml").write_text(BOND)
    uri = f"test://{tmp_path}/node.xml"
    theirs = libvirt_results(uri, STEPS)
    with virt.open(uri) as conn:
        ours = virt_results(conn, STEPS)
    assert ours == theirs
    assert ours[0] == ["ok", [["bond0", "", 1], ["eth0", "52:54:00:aa:00:01", 1]]]


def test_a_bad_interface_in_a_node_file_fails_the_open(tmp_path: Path) -> None:
    (tmp_path / "node.xml").write_text("<node><interface type='vlan' name='v'/></node>")
    with pytest.raises(virt.VirtError, match="vlan interface misses the vlan element"):
        virt.open(f"test://{tmp_path}/node.xml")

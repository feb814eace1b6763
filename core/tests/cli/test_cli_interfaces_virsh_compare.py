"""The ``iface-*`` verbs print what virsh 9.0 prints on test:///default: output, errors, exit status.

Several commands in one string share one process and so one state (see test_cli_virsh_compare.py).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from cli_helpers import Run
from virt.cli.commands.interface import looks_like_mac
from virt.cli.registry import complete_interfaces
from virt.testing import missing_dependency

VIRT = shutil.which("virt", path=str(Path(sys.executable).parent))
URI = "test:///default"

ETH2 = """<interface type='ethernet' name='eth2'>
  <mac address='52:54:00:12:34:56'/>
  <protocol family='ipv4'><dhcp peerdns='yes'/></protocol>
</interface>
"""
BR0 = (
    "<interface type='bridge' name='br0'><bridge stp='on'><interface type='ethernet' name='eth7'/></bridge></interface>"
)


def _both(command: str) -> tuple[subprocess.CompletedProcess[str], subprocess.CompletedProcess[str]]:
    virsh = shutil.which("virsh")
    if virsh is None:
        missing_dependency("virsh (libvirt-clients) is not installed")
    if VIRT is None:
        pytest.fail("the virt console script is not installed: pip install -e core")
    done = [
        subprocess.run([program, "-c", URI, command], capture_output=True, text=True, timeout=60)
        for program in (virsh, VIRT)
    ]
    return done[0], done[1]


SAME = [
    "iface-list",
    "iface-list --all",
    "iface-list --inactive",
    "iface-list --inactive --all",
    "iface-list --bogus",
    "iface-dumpxml eth1",
    "iface-dumpxml aa:bb:cc:dd:ee:ff",
    "iface-dumpxml AA:BB:CC:DD:EE:FF --xpath //ip --wrap",
    "iface-dumpxml eth1 --inactive",
    "iface-dumpxml nope",
    "iface-dumpxml",
    "iface-name aa:bb:cc:dd:ee:ff",
    "iface-name eth1",
    "iface-name 00:00:00:00:00:00",
    "iface-mac eth1",
    "iface-mac nope",
    "iface-mac aa:bb:cc:dd:ee:ff",
    "iface-start eth1",
    "iface-start",
    "iface-destroy eth1",
    "iface-destroy aa:bb:cc:dd:ee:ff; iface-list --all",
    "iface-destroy eth1; iface-start eth1; iface-list --inactive",
    "iface-undefine eth1; iface-list --all",
    "iface-undefine nope",
    "iface-begin",
    "iface-commit",
    "iface-rollback",
    "iface-begin; iface-begin",
    "iface-begin; iface-destroy eth1; iface-undefine eth1; iface-rollback; iface-list --all",
    "iface-begin; iface-undefine eth1; iface-commit; iface-list --all",
    "iface-define /nonexistent",
    "help iface-list",
    "help iface-name",
    "help iface-dumpxml",
    "help iface-define",
    "help iface-begin",
    "help iface-bridge",
    "help iface-unbridge",
    # the test driver refuses the inactive XML both commands start from
    "iface-bridge eth1 br0",
    "iface-bridge eth1 eth1",
    "iface-bridge nope br0",
    "iface-bridge aa:bb:cc:dd:ee:ff br0",
    "iface-bridge eth1 br0 --delay x",
    "iface-bridge eth1 br0 --delay -1",
    "iface-bridge eth1",
    "iface-unbridge eth1",
    "iface-unbridge nope",
]


@pytest.mark.parametrize("command", SAME)
def test_same_output(command: str) -> None:
    virsh, ours = _both(command)
    assert (ours.returncode, ours.stdout, ours.stderr) == (virsh.returncode, virsh.stdout, virsh.stderr)


def test_define_start_and_list_interfaces_from_files(tmp_path: Path) -> None:
    (tmp_path / "eth2.xml").write_text(ETH2)
    (tmp_path / "br0.xml").write_text(BR0)
    (tmp_path / "bad.xml").write_text("<interface type='ethernet'/>")
    (tmp_path / "odd.xml").write_text("<interface type='ethernet' name='eth4'><foo/></interface>")
    command = (
        f"iface-define {tmp_path}/eth2.xml; iface-define {tmp_path}/br0.xml; iface-list --all; "
        f"iface-start eth2; iface-dumpxml eth2; iface-dumpxml br0; iface-mac br0; iface-list --inactive; "
        f"iface-define {tmp_path}/bad.xml; iface-define {tmp_path}/odd.xml; iface-define --validate {tmp_path}/eth2.xml"
    )
    virsh, ours = _both(command)
    assert (ours.returncode, ours.stdout, ours.stderr) == (virsh.returncode, virsh.stdout, virsh.stderr)


def test_a_read_only_connection_refuses_changes() -> None:
    virsh, ours = (
        subprocess.run([program, "-r", "-c", URI, "iface-destroy eth1; iface-begin; iface-list"], capture_output=True,
                       text=True, timeout=60)
        for program in (shutil.which("virsh") or "virsh", VIRT or "virt")
    )  # fmt: skip
    assert (ours.returncode, ours.stdout, ours.stderr) == (virsh.returncode, virsh.stdout, virsh.stderr)


@pytest.mark.parametrize(
    ("text", "mac"),
    [("aa:bb:cc:dd:ee:ff", True), ("a:b:c:d:e:f", True), ("aa:bb:cc:dd:ee:ff junk", True), ("aa:bb:cc:dd:ee", False),
     ("aaa:bb:cc:dd:ee:ff", False), ("aa:bb:cc:dd:ee:fg", False), ("eth1", False), ("aa-bb-cc-dd-ee-ff", False)],
)  # fmt: skip
def test_what_virsh_takes_for_a_mac_address(text: str, mac: bool) -> None:
    assert looks_like_mac(text) is mac


def test_interface_names_complete() -> None:
    import argparse

    assert complete_interfaces("e", parsed_args=argparse.Namespace(connect=URI)) == ["eth1"]
    assert complete_interfaces("x", parsed_args=argparse.Namespace(connect=URI)) == []


def test_a_driver_without_interfaces_fails_the_listing_as_virsh_does(
    virt: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    from virt.driver import DriverConnection
    from virt.drivers.test.connection import TestConnection

    monkeypatch.setattr(TestConnection, "list_interfaces", DriverConnection.list_interfaces)
    result = virt("iface-list", "--inactive")
    assert result.status == 1
    assert result.err.splitlines() == [
        "error: Failed to list inactive interfaces",
        "error: this function is not supported by the connection driver 'TEST': list_interfaces",
    ]

"""Host devices (virNodeDevice*) on virt's test driver against libvirt 9.0's: python3-libvirt through
virtd and through libvirtd, virt's CLI against stock virsh, and devices of a custom node file."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import virt
from virt.daemon.testing import Virtd, start_virtd
from virt.errors import VirtError
from virt.testing import VIRSH, Libvirtd, missing_dependency, start_libvirtd

PYTHON = "/usr/bin/python3"
SESSION = r"""
import json, sys, libvirt
libvirt.registerErrorHandler(lambda *a: None, None)
conn = (libvirt.openReadOnly if sys.argv[2] == "ro" else libvirt.open)(sys.argv[1])
def run(name, f):
    try:
        out = f()
    except libvirt.libvirtError as e:
        out = ["error", e.get_error_code(), e.get_error_domain(), e.get_error_message()]
    print(json.dumps([name, out]))
run("all", lambda: sorted(d.name() for d in conn.listAllDevices()))
for cap in ("FC_HOST", "VPORTS", "SYSTEM", "PCI_DEV", "SCSI_HOST"):
    run("all " + cap, lambda: sorted(d.name() for d in conn.listAllDevices(getattr(libvirt, "VIR_CONNECT_LIST_NODE_DEVICES_CAP_" + cap))))
for cap in ("fc_host", "vports", "system", "pci", "scsi_host", "bogus", None):
    run("list %s" % cap, lambda: sorted(conn.listDevices(cap)))
    run("num %s" % cap, lambda: conn.numOfDevices(cap))
run("list flags", lambda: conn.listDevices(None, 1))
run("num flags", lambda: conn.numOfDevices(None, 1))
run("all active", lambda: conn.listAllDevices(libvirt.VIR_CONNECT_LIST_NODE_DEVICES_ACTIVE))
for n in ("computer", "scsi_host1", "scsi_host11", "nope"):
    run("xml " + n, lambda: conn.nodeDeviceLookupByName(n).XMLDesc())
    run("parent " + n, lambda: conn.nodeDeviceLookupByName(n).parent())
    run("caps " + n, lambda: conn.nodeDeviceLookupByName(n).listCaps())
    run("ncaps " + n, lambda: conn.nodeDeviceLookupByName(n).numOfCaps())
run("xml flags", lambda: conn.nodeDeviceLookupByName("computer").XMLDesc(1))
VHBA = ("<device><parent>%s</parent><capability type='scsi_host'><capability type='fc_host'>"
        "<wwnn>2000000011112222</wwnn><wwpn>1000000011112222</wwpn></capability></capability></device>")
for parent in ("scsi_host1", "computer", "nope"):
    run("create " + parent, lambda: conn.nodeDeviceCreateXML(VHBA % parent).name())
run("created xml", lambda: conn.nodeDeviceLookupByName("scsi_host12").XMLDesc())
for bad in ("<device/>", "<device><parent>scsi_host1</parent><capability type='scsi_host'/></device>"):
    run("create " + bad, lambda: conn.nodeDeviceCreateXML(bad).name())
run("create flags", lambda: conn.nodeDeviceCreateXML(VHBA % "scsi_host1", 2).name())
run("destroy computer", lambda: conn.nodeDeviceLookupByName("computer").destroy())
run("destroy scsi_host12", lambda: conn.nodeDeviceLookupByName("scsi_host12").destroy())
run("after destroy", lambda: sorted(d.name() for d in conn.listAllDevices()))
"""


def _binding() -> None:
    if not Path(PYTHON).exists() or subprocess.run([PYTHON, "-c", "import libvirt"], capture_output=True).returncode:
        missing_dependency(f"python3-libvirt is not installed for {PYTHON}")


def _session(uri: str, readonly: bool) -> list[object]:
    done = subprocess.run(
        [PYTHON, "-c", SESSION, uri, "ro" if readonly else "rw"], capture_output=True, text=True, timeout=60, check=True
    )
    return [json.loads(line) for line in done.stdout.splitlines()]


@pytest.fixture(scope="module")
def daemons() -> Iterator[tuple[Virtd, Libvirtd]]:
    _binding()
    with start_virtd() as ours, start_libvirtd() as reference:
        yield ours, reference


@pytest.mark.parametrize("readonly", [False, True], ids=["read-write", "read-only"])
def test_python3_libvirt_through_virtd_as_through_libvirtd(daemons: tuple[Virtd, Libvirtd], readonly: bool) -> None:
    ours, reference = daemons
    expected = _session(reference.uri(readonly=readonly), readonly)
    assert _session(ours.uri(readonly=readonly), readonly) == expected
    assert ["parent scsi_host11", "scsi_host1"] in expected
    if not readonly:
        assert ["create scsi_host1", "scsi_host12"] in expected
        assert ["after destroy", ["computer", "scsi_host1", "scsi_host11", "scsi_host2"]] in expected


COMMANDS = [
    "nodedev-list",
    "nodedev-list --all",
    "nodedev-list --all --cap scsi_host",
    "nodedev-list --tree --all",
    "nodedev-list --inactive",
    "nodedev-list --all --cap bogus",
    "nodedev-list --all --inactive",
    "nodedev-dumpxml scsi_host1",
    "nodedev-dumpxml computer",
    "nodedev-dumpxml nope",
    "nodedev-dumpxml",
    "nodedev-info scsi_host11",
    "nodedev-info computer",
    "nodedev-info nope",
    "nodedev-destroy scsi_host11",
    "nodedev-destroy computer",
    "nodedev-destroy nope",
    "nodedev-destroy",
    "-r nodedev-destroy scsi_host11",
    "nodedev-create",
    "nodedev-create /nonexistent/vhba.xml",
]


@pytest.mark.parametrize("command", COMMANDS)
def test_cli_as_virsh(command: str) -> None:
    if shutil.which(VIRSH) is None:
        missing_dependency("virsh is not installed (apt-get install libvirt-clients)")

    def run(program: str) -> tuple[int, str, str]:
        done = subprocess.run(
            [program, "-c", "test:///default", *command.split()], capture_output=True, text=True, timeout=60
        )
        return done.returncode, done.stdout, done.stderr

    assert run(str(Path(sys.executable).parent / "virt")) == run(VIRSH)


VHBA = """<device><parent>%s</parent><capability type='scsi_host'><capability type='fc_host'>
<wwnn>2000000011112222</wwnn><wwpn>1000000011112222</wwpn></capability></capability></device>
"""


@pytest.mark.parametrize("parent", ["scsi_host1", "computer", None])
def test_cli_create_as_virsh(tmp_path: Path, parent: str | None) -> None:
    if shutil.which(VIRSH) is None:
        missing_dependency("virsh is not installed (apt-get install libvirt-clients)")
    path = tmp_path / "vhba.xml"
    path.write_text(VHBA % parent if parent else "<device/>")

    def run(program: str) -> tuple[int, str, str]:
        command = [program, "-c", "test:///default", "nodedev-create", str(path)]
        done = subprocess.run(command, capture_output=True, text=True, timeout=60)
        return done.returncode, done.stdout, done.stderr

    assert run(str(Path(sys.executable).parent / "virt")) == run(VIRSH)


NODE = """<node>
  <device>
    <name>usb_root</name>
    <capability type='system'>
      <hardware>
        <vendor>Acme</vendor>
        <uuid>11111111-2222-3333-4444-555555555777</uuid>
      </hardware>
      <firmware>
        <vendor>Acme</vendor>
      </firmware>
    </capability>
  </device>
  <device>
    <name>scsi_host7</name>
    <parent>usb_root</parent>
    <capability type='scsi_host'>
      <host>7</host>
      <unique_id>3</unique_id>
      <capability type='fc_host'>
        <wwnn>2000000000000007</wwnn>
        <wwpn>1000000000000007</wwpn>
        <fabric_wwn>2000000000000070</fabric_wwn>
      </capability>
    </capability>
  </device>
</node>
"""
"""Devices written as libvirt formats them: virt keeps a node file's devices as written, where
libvirt parses, checks and formats them again."""


def test_devices_of_a_node_file(tmp_path: Path) -> None:
    """The same node file on both test drivers: the same devices, parents, capabilities and XML."""
    _binding()
    node = tmp_path / "node.xml"
    node.write_text(NODE)
    script = (
        "import json, sys, libvirt\n"
        "c = libvirt.open('test://' + sys.argv[1])\n"
        "print(json.dumps({d.name(): [d.parent(), d.listCaps(), d.XMLDesc()] for d in c.listAllDevices()}))\n"
        "print(json.dumps(sorted(c.listDevices('fc_host'))))\n"
    )
    done = subprocess.run([PYTHON, "-c", script, str(node)], capture_output=True, text=True, check=True)
    theirs, fc_hosts = (json.loads(line) for line in done.stdout.splitlines())
    conn = virt.open(f"test://{node}")
    ours = {d.name: [d.parent(), d.capabilities(), d.xml()] for d in conn.list_node_devices()}
    assert ours == theirs
    assert sorted(d.name for d in conn.list_node_devices("fc_host")) == fc_hosts == ["scsi_host7"]
    with pytest.raises(VirtError, match="no node device with matching name 'gone'"):
        conn.lookup_node_device_by_name("gone")


def test_tree_as_virsh_draws_it() -> None:
    from virt.cli.commands.nodedev import tree_lines

    names = ["computer", "scsi_host1", "scsi_host11", "scsi_host2"]
    parents: list[str | None] = [None, "computer", "scsi_host1", "computer"]
    assert tree_lines(names, parents) == [
        "computer",
        "  |",
        "  +- scsi_host1",
        "  |   |",
        "  |   +- scsi_host11",
        "  |     ",
        "  +- scsi_host2",
        "    ",
    ]


CREATE_SESSION = r"""
import json, sys, libvirt
libvirt.registerErrorHandler(lambda *a: None, None)
conn = libvirt.open("test:///default")
device = conn.nodeDeviceCreateXML(sys.argv[1])
out = [device.name(), device.XMLDesc(), sorted(conn.listDevices(None))]
device.destroy()
print(json.dumps(out + [sorted(conn.listDevices(None))]))
"""


@pytest.mark.parametrize("through", ["test driver", "virtd"])
def test_create_and_destroy_in_virt_as_in_libvirt(daemons: tuple[Virtd, Libvirtd], through: str) -> None:
    """virt's typed API, on its test driver and through virtd with its remote client, as python3-libvirt."""
    xml = VHBA % "scsi_host2"
    done = subprocess.run([PYTHON, "-c", CREATE_SESSION, xml], capture_output=True, text=True, timeout=60, check=True)
    expected = json.loads(done.stdout)
    conn = virt.open("test:///default" if through == "test driver" else daemons[0].uri(readonly=False))
    try:
        device = conn.create_node_device(xml)
        got = [device.name, device.xml(), sorted(d.name for d in conn.list_node_devices())]
        device.destroy()
        got.append(sorted(d.name for d in conn.list_node_devices()))
    finally:
        conn.close()
    assert got == expected

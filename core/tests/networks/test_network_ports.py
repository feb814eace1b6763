"""The <networkport> model and a network's port table, without a daemon (libvirt's words and
formatting were checked against libvirtd in plugins/virt-qemu/tests/test_networkports_virsh.py)."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from virt.errors import ErrorNumber, VirtError
from virt.networks.ports import CREATE_RECLAIM, PortTable
from virt.xml import Network
from virt.xml.networkport import NetworkPort, PlugType

OWNER = "<owner><uuid>06578fc1-c686-46fa-bc2c-220893b466a6</uuid><name>g</name></owner>"
KEY = uuid.UUID("7ae63b5f-fe96-4af0-a7c3-da04ba1b3f54")
NET = Network.from_xml(
    "<network><name>n1</name><forward mode='nat'/><bridge name='vtbr5'/><ip address='192.168.104.1' prefix='24'/></network>"
)


def port(extra: str = "", mac: str = "52:54:00:7B:35:94") -> NetworkPort:
    return NetworkPort.from_xml(f"<networkport><uuid>{KEY}</uuid>{OWNER}<mac address='{mac}'/>{extra}</networkport>")


def test_format_is_libvirts_order_and_drops_unknown_elements() -> None:
    parsed = port("<rxfilters trustGuest='yes'/><port isolated='no'/><junk/><group>ignored-order</group>")
    assert parsed.to_xml() == (
        "<networkport>\n"
        f"  <uuid>{KEY}</uuid>\n"
        "  <owner>\n    <name>g</name>\n    <uuid>06578fc1-c686-46fa-bc2c-220893b466a6</uuid>\n  </owner>\n"
        "  <group>ignored-order</group>\n"
        "  <mac address='52:54:00:7b:35:94'/>\n"
        "  <port isolated='no'/>\n"
        "  <rxfilters trustGuest='yes'/>\n"
        "</networkport>\n"
    )
    assert NetworkPort.from_xml(parsed.to_xml()) == parsed


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (f"<networkport>{OWNER}<mac address='52:54:00:00:00:01'/></networkport>", "network port has no uuid"),
        (f"<networkport><uuid>{KEY}</uuid><mac address='52:54:00:00:00:01'/></networkport>", "has no owner name"),
        (f"<networkport><uuid>{KEY}</uuid>{OWNER}</networkport>", "network port has no mac"),
        (f"<networkport><uuid>x</uuid>{OWNER}</networkport>", "Unable to parse UUID 'x'"),
        (f"<networkport><uuid>{KEY}</uuid>{OWNER}<mac address='zz'/></networkport>", "Unable to parse MAC 'zz'"),
        ("<nope/>", "expecting root element of 'networkport', not 'nope'"),
    ],
)
def test_bad_documents_are_refused_with_libvirts_words(text: str, message: str) -> None:
    with pytest.raises(VirtError, match=message):
        NetworkPort.from_xml(text)


def test_table_plugs_ports_into_the_bridge_and_keeps_them_in_files(tmp_path: Path) -> None:
    table = PortTable(tmp_path / "ports")
    added = table.add(NET, port(), 0)
    assert (added.plug_type, added.plug_bridge) == (PlugType.NETWORK, "vtbr5")
    with pytest.raises(VirtError) as exists:
        table.add(NET, port(), 0)
    assert exists.value.code == ErrorNumber.NETWORK_PORT_EXIST
    again = PortTable(tmp_path / "ports")
    again.load()  # what the next owner of the folders adopts
    assert list(again.ports) == [KEY] and again.find(KEY).to_xml() == added.to_xml()
    table.delete(KEY)
    with pytest.raises(VirtError) as missing:
        table.find(KEY)
    assert missing.value.code == ErrorNumber.NO_NETWORK_PORT


def test_plugged_port_needs_reclaim(tmp_path: Path) -> None:
    table = PortTable(tmp_path / "ports")
    plugged = port("<plug type='network' bridge='old'/>")
    with pytest.raises(VirtError, match="Port reclaim not requested but plug type is not none"):
        table.add(NET, plugged, 0)
    assert table.add(NET, plugged, CREATE_RECLAIM).plug_bridge == "old"


def test_parameters_replace_the_bandwidth(tmp_path: Path) -> None:
    table = PortTable(tmp_path / "ports")
    table.add(NET, port("<bandwidth><inbound average='100'/><outbound average='5'/></bandwidth>"), 0)
    assert table.parameters(KEY) == {
        "inbound.average": 100, "inbound.peak": 0, "inbound.floor": 0, "inbound.burst": 0,
        "outbound.average": 5, "outbound.peak": 0, "outbound.burst": 0,
    }  # fmt: skip
    table.set_parameters(NET, KEY, {"inbound.average": 7})
    assert table.parameters(KEY) == {"inbound.average": 7, "inbound.peak": 0, "inbound.floor": 0, "inbound.burst": 0}
    with pytest.raises(VirtError, match="network 'n1' has no inbound QoS set"):
        table.set_parameters(NET, KEY, {"inbound.floor": 1})
    table.set_parameters(NET, KEY, {})
    assert table.parameters(KEY) == {} and "<bandwidth" not in table.find(KEY).to_xml()


@pytest.mark.parametrize(
    "command",
    [
        ("net-port-list", "default"),
        ("net-port-create", "default", "{file}"),
        ("net-port-dumpxml", "default", str(KEY)),
        ("net-port-delete", "default", str(KEY)),
        ("net-port-list", "nope"),
    ],
)
def test_test_driver_has_no_ports_as_libvirts(command: tuple[str, ...], tmp_path: Path) -> None:
    """libvirt 9.0's test driver has no network ports: virsh and virt's CLI say so alike."""
    import shutil
    import subprocess
    import sys

    from virt.testing import VIRSH

    if shutil.which(VIRSH) is None:
        pytest.skip("virsh is not installed")
    document = tmp_path / "port.xml"
    document.write_text(port().to_xml())
    args = [a.format(file=document) for a in command]
    virt_cli = str(Path(sys.executable).parent / "virt")
    theirs, ours = (
        subprocess.run([tool, "-c", "test:///default", *args], capture_output=True, text=True, timeout=60)
        for tool in (VIRSH, virt_cli)
    )
    assert (ours.returncode, ours.stdout, ours.stderr) == (theirs.returncode, theirs.stdout, theirs.stderr)

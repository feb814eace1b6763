"""``virt -c esx://...`` against the simulator, as a user types it: credentials from libvirt's auth.conf."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
import virt as virt_api
from vcsim import Simulator, answer
from virtcli import run as virt

FIRST_VM = {"esx": "ha-host_VM0", "vpx": "DC0_H0_VM0"}
BRIDGE = {"esx": "VM Network", "vpx": "DC0_DVPG0"}


def ok(*args: str, uri: str) -> str:
    result = virt(*args, uri=uri)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    return result.stdout


@pytest.fixture
def uri(simulator: Simulator, auth_file: Path) -> str:
    return simulator.uri(user=False)


def test_list_dominfo_dumpxml(uri: str, simulator: Simulator) -> None:
    first = FIRST_VM[simulator.mode]
    listing = ok("list", "--all", uri=uri)
    assert " Id   Name " in listing.splitlines()[0].replace("    ", "   ") or listing.startswith(" Id")
    assert any(line.split()[1:] == [first, "running"] for line in listing.splitlines()[2:] if line.strip())
    info = dict(line.split(":", 1) for line in ok("dominfo", first, uri=uri).splitlines() if ":" in line)
    assert info["Name"].strip() == first and info["State"].strip() == "running"
    assert info["CPU(s)"].strip() == "1" and info["Max memory"].strip() == "32768 KiB"
    assert info["OS Type"].strip() == "hvm" and info["Persistent"].strip() == "yes"
    xml = ok("dumpxml", first, uri=uri)
    assert xml.startswith("<domain type='vmware'") and f"<name>{first}</name>" in xml
    assert ok("domstate", first, uri=uri).strip() == "running"


def test_a_domains_life_through_the_cli(uri: str, simulator: Simulator, tmp_path: Path) -> None:
    name = f"virt-cli-{uuid.uuid4().hex[:6]}"
    # the CLI has no vol-create yet: the disk is made through the API
    with virt_api.open(uri, auth=answer()) as conn:
        conn.lookup_storage_pool_by_name("LocalDS_0").create_volume(
            f"<volume><name>{name}/{name}.vmdk</name><capacity unit='MiB'>16</capacity></volume>"
        )
    definition = tmp_path / "domain.xml"
    definition.write_text(
        f"<domain type='vmware'><name>{name}</name><memory unit='MiB'>256</memory><vcpu>1</vcpu>"
        "<os><type arch='x86_64'>hvm</type></os><devices>"
        f"<disk type='file' device='disk'><source file='[LocalDS_0] {name}/{name}.vmdk'/>"
        "<target dev='sda' bus='scsi'/></disk><controller type='scsi' index='0' model='lsilogic'/>"
        f"<interface type='bridge'><source bridge='{BRIDGE[simulator.mode]}'/></interface>"
        "</devices></domain>"
    )
    assert f"Domain '{name}' defined" in ok("define", str(definition), uri=uri)
    assert f"Domain '{name}' started" in ok("start", name, uri=uri)
    assert ok("domstate", name, uri=uri).strip() == "running"
    assert f"Domain '{name}' suspended" in ok("suspend", name, uri=uri)
    assert ok("domstate", name, uri=uri).strip() == "paused"
    assert f"Domain '{name}' resumed" in ok("resume", name, uri=uri)
    assert f"Domain '{name}' destroyed" in ok("destroy", name, uri=uri)
    assert ok("domstate", name, uri=uri).strip() == "shut off"
    assert f"Domain '{name}' has been undefined" in ok("undefine", name, uri=uri)
    assert name not in ok("list", "--all", "--name", uri=uri).split()
    with virt_api.open(uri, auth=answer()) as conn:
        conn.lookup_storage_volume_by_path(f"[LocalDS_0] {name}/{name}.vmdk").delete()


def test_pools_volumes_and_networks(uri: str, simulator: Simulator) -> None:
    pools = ok("pool-list", "--all", uri=uri)
    assert any(line.split() == ["LocalDS_0", "active", "yes"] for line in pools.splitlines())
    volumes = ok("vol-list", "LocalDS_0", uri=uri)
    disk = f"{FIRST_VM[simulator.mode]}/disk1.vmdk"
    assert any(line.split()[:1] == [disk] and f"[LocalDS_0] {disk}" in line for line in volumes.splitlines())
    networks = ok("net-list", "--all", uri=uri)
    assert any(line.split()[:2] == ["VM", "Network"] and "active" in line for line in networks.splitlines())
    assert "<bridge name='VM Network'/>" in ok("net-dumpxml", "VM Network", uri=uri)


def test_errors_are_one_line_without_traceback(uri: str) -> None:
    result = virt("dominfo", "no-such-vm", uri=uri)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "error: failed to get domain 'no-such-vm'" in result.stderr


def test_password_asked_on_standard_input(
    simulator: Simulator, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("LIBVIRT_AUTH_FILE", str(tmp_path / "none.conf"))
    (tmp_path / "none.conf").write_text("")
    result = virt("list", "--name", uri=simulator.uri(user=False), stdin=f"{simulator.user}\n{simulator.password}\n")
    assert result.returncode == 0, result.stderr
    assert FIRST_VM[simulator.mode] in result.stdout.split()
    assert f"Enter username for {simulator.host} [" in result.stderr and "password for" in result.stderr

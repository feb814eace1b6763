"""Stock virsh's net-port-* commands and python3-libvirt's virNetworkPort* calls through virtd (its
host network service) and against libvirt 9.0's own network driver: the same output, errors and
exit status. Each daemon runs in a private network namespace (``call_in_new_netns``)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from daemon_support import private_qemu_root, qemu_uri, virtd_serving
from virt.testing import VIRSH, missing_dependency, start_libvirtd
from virt.testing.netns import call_in_new_netns

NET = """<network><name>n1</name><uuid>6a52a9b4-0b7c-4a34-8d0c-2f6b5ba0a011</uuid><forward mode='nat'/>
<bridge name='vtbr5'/><mac address='52:54:00:a4:e1:95'/><ip address='192.168.104.1' prefix='24'/></network>"""
OWNER = "<owner><uuid>06578fc1-c686-46fa-bc2c-220893b466a6</uuid><name>g</name></owner>"
P1 = "7ae63b5f-fe96-4af0-a7c3-da04ba1b3f54"
FILES = {
    "net.xml": NET,
    "noid.xml": f"<networkport>{OWNER}<mac address='52:54:00:7b:35:93'/></networkport>",
    "p1.xml": f"<networkport><uuid>{P1}</uuid>{OWNER}<group>web</group><mac address='52:54:00:7B:35:94'/>"
    "<bandwidth><inbound average='100' burst='1024'/><outbound average='128'/></bandwidth>"
    "<rxfilters trustGuest='no'/><port isolated='yes'/><unknown/></networkport>",
    "p2.xml": f"<networkport><uuid>{P1[:-1]}5</uuid>{OWNER}<mac address='52:54:00:7b:35:95'/></networkport>",
    "plugged.xml": f"<networkport><uuid>{P1[:-1]}6</uuid>{OWNER}<mac address='52:54:00:7b:35:96'/>"
    "<plug type='network' bridge='x'/></networkport>",
    "nomac.xml": f"<networkport><uuid>{P1[:-1]}7</uuid>{OWNER}</networkport>",
    "noowner.xml": f"<networkport><uuid>{P1[:-1]}8</uuid><mac address='52:54:00:7b:35:98'/></networkport>",
    "badmac.xml": f"<networkport><uuid>{P1[:-1]}9</uuid>{OWNER}<mac address='zz'/></networkport>",
    "badplug.xml": f"<networkport><uuid>{P1[:-1]}9</uuid>{OWNER}<mac address='52:54:00:7b:35:99'/>"
    "<plug type='bogus'/></networkport>",
    "wrongroot.xml": "<nope/>",
}
ZERO = "00000000-0000-0000-0000-000000000000"
SCRIPT: list[tuple[str, ...]] = [
    ("net-define", "{dir}/net.xml"),
    ("net-port-list", "n1"),
    ("net-port-create", "n1", "{dir}/p1.xml"),
    ("net-start", "n1"),
    ("net-port-list", "n1"),
    ("net-port-create", "n1", "{dir}/noid.xml"),
    ("net-port-create", "n1", "{dir}/plugged.xml"),
    ("net-port-create", "n1", "{dir}/nomac.xml"),
    ("net-port-create", "n1", "{dir}/noowner.xml"),
    ("net-port-create", "n1", "{dir}/badmac.xml"),
    ("net-port-create", "n1", "{dir}/badplug.xml"),
    ("net-port-create", "n1", "{dir}/wrongroot.xml"),
    ("net-port-create", "n1", "{dir}/nomac.xml", "--validate"),
    ("net-port-create", "n1", "{dir}/p2.xml", "--validate"),
    ("net-port-create", "n1", "{dir}/p1.xml"),
    ("net-port-create", "n1", "{dir}/p1.xml"),
    ("net-port-list", "n1"),
    ("net-port-list", "n1", "--table"),
    ("net-port-list", "n1", "--uuid"),
    ("net-port-dumpxml", "n1", P1),
    ("net-port-dumpxml", "n1", ZERO),
    ("net-port-dumpxml", "n1", "bogus"),
    ("net-port-dumpxml", "nope", P1),
    ("net-port-delete", "n1", ZERO),
    ("net-port-delete", "n1", P1),
    ("net-port-list", "n1"),
    ("net-port-list", "nope"),
    ("net-port-list",),
    ("net-destroy", "n1"),
    ("net-port-list", "n1"),
    ("net-start", "n1"),
    ("net-port-list", "n1"),
    ("net-destroy", "n1"),
    ("net-undefine", "n1"),
]

VIRT = str(Path(sys.executable).parent / "virt")

# python3-libvirt's side: typed parameters, lookups and errors by number (run by Debian's python3)
BINDING = """
import json, sys, libvirt
libvirt.registerErrorHandler(lambda *a: None, None)
conn = libvirt.open(sys.argv[1])
out = []
def attempt(what, fn):
    try:
        out.append([what, fn()])
    except libvirt.libvirtError as e:
        out.append([what, "error", e.get_error_code(), e.get_error_domain(), e.get_error_message()])
net = conn.networkDefineXML(open(sys.argv[2] + "/net.xml").read())
attempt("inactive list", lambda: len(net.listAllPorts()))
net.create()
port = net.portCreateXML(open(sys.argv[2] + "/p1.xml").read())
attempt("params", port.parameters)
attempt("set", lambda: port.setParameters({"inbound.average": 500, "inbound.peak": 7}))
attempt("params after", port.parameters)
attempt("xml after", port.XMLDesc)
attempt("floor", lambda: port.setParameters({"inbound.floor": 10}))
attempt("lookup", lambda: net.portLookupByUUIDString(port.UUIDString()).UUIDString())
attempt("lookup none", lambda: net.portLookupByUUIDString("ZERO_UUID"))
attempt("list", lambda: [p.UUIDString() for p in net.listAllPorts()])
attempt("network of", lambda: port.network().name())
attempt("bad flags", lambda: net.portCreateXML(open(sys.argv[2] + "/p2.xml").read(), 8))
attempt("delete", port.delete)
attempt("delete again", port.delete)
attempt("xml deleted", port.XMLDesc)
ro = libvirt.openReadOnly(sys.argv[1])
ronet = ro.networkLookupByName("n1")
attempt("ro create", lambda: ronet.portCreateXML(open(sys.argv[2] + "/p2.xml").read()))
attempt("ro list", lambda: len(ronet.listAllPorts()))
second = net.portCreateXML(open(sys.argv[2] + "/p2.xml").read())
roport = ronet.portLookupByUUIDString(second.UUIDString())
attempt("ro xml", lambda: len(roport.XMLDesc()))
attempt("ro params", roport.parameters)
attempt("ro delete", roport.delete)
net.destroy()
net.undefine()
print(json.dumps(out))
""".replace("ZERO_UUID", ZERO)


def run_script(uri: str, folder: Path, client: str = VIRSH) -> list[str]:
    results = []
    for step in SCRIPT:
        args = [a.format(dir=folder) for a in step]
        done = subprocess.run([client, "-c", uri, *args], capture_output=True, text=True, timeout=60, check=False)
        results.append(f"$ virsh {' '.join(step)}\n[{done.returncode}]\n{done.stdout}{done.stderr}")
    done = subprocess.run(
        ["/usr/bin/python3", "-c", BINDING, uri, str(folder)], capture_output=True, text=True, timeout=60, check=False
    )
    results.append(done.stdout if done.returncode == 0 else f"binding failed: {done.stderr}")
    return results


def _with_libvirtd(folder: Path) -> list[str]:
    with start_libvirtd(drivers=("network",)) as daemon:
        return run_script(daemon.uri(driver="network", path="/system"), folder)


def _with_virtd(folder: Path, network_root: Path) -> tuple[list[str], list[str]]:
    with private_qemu_root("vp") as root, pytest.MonkeyPatch.context() as env:
        env.setenv("VIRT_NETWORK_ROOT", str(network_root))
        with virtd_serving(root) as daemon:
            return run_script(qemu_uri(daemon), folder), run_script(qemu_uri(daemon), folder, VIRT)[:-1]


@pytest.fixture
def folder() -> Path:
    made = Path(tempfile.mkdtemp(prefix="virt-portcmp-"))
    made.chmod(0o755)
    for name, text in FILES.items():
        (made / name).write_text(text)
    yield made  # type: ignore[misc]
    shutil.rmtree(made, ignore_errors=True)


def test_net_port_commands_match_libvirtd(folder: Path) -> None:
    for tool in ("dnsmasq", "nft"):
        if shutil.which(tool) is None and not Path(f"/usr/sbin/{tool}").exists():
            missing_dependency(f"{tool} is not installed (Debian packages dnsmasq-base, nftables)")
    network_root = folder / "netroot"
    (network_root / "state" / "networks").mkdir(parents=True)  # past the first use: no 'default' network
    reference = call_in_new_netns(_with_libvirtd, folder)
    assert "created from" in "".join(reference)
    assert json.loads(reference[-1])[0][0] == "inactive list"
    through_virtd, virt_cli = call_in_new_netns(_with_virtd, folder, network_root)
    for ours, who in ((through_virtd, "virsh through virtd"), (virt_cli, "virt's CLI")):
        pairs = zip(reference, ours, strict=False)
        differences = [f"libvirtd:\n{theirs}\n{who}:\n{mine}" for theirs, mine in pairs if theirs != mine]
        assert differences == [], "\n=====\n".join(differences)


# -- the ports of a running guest ------------------------------------------------------------------
GUEST_UUID = "5f3c2b1a-0d4e-4c6b-9a8f-7e6d5c4b3a21"
GUEST_MAC = "52:54:00:5e:00:07"


def _guest_script(uri: str, folder: Path) -> list[str]:
    """A guest on a NAT network: its port while it runs (the port's own UUID masked), none after."""
    steps: list[tuple[str, ...]] = [
        ("net-create", f"{folder}/net.xml"),
        ("net-port-list", "n1"),
        ("create", f"{folder}/guest.xml"),
        ("PORTS",),
        ("destroy", "netports-guest"),
        ("net-port-list", "n1"),
        ("net-destroy", "n1"),
    ]
    results = []
    for step in steps:
        if step == ("PORTS",):
            listed = subprocess.run([VIRSH, "-c", uri, "net-port-list", "n1", "--uuid"], capture_output=True, text=True)
            keys = listed.stdout.split()
            results.append(f"ports: {len(keys)}")
            for key in keys:
                done = subprocess.run([VIRSH, "-c", uri, "net-port-dumpxml", "n1", key], capture_output=True, text=True)
                results.append(done.stdout.replace(key, "PORT-UUID") + done.stderr)
            continue
        done = subprocess.run([VIRSH, "-c", uri, *step], capture_output=True, text=True, timeout=120, check=False)
        results.append(f"$ virsh {' '.join(step)}\n[{done.returncode}]\n{done.stdout}{done.stderr}")
    return results


def _guest_with_libvirtd(folder: Path) -> list[str]:
    from daemon_support import reference_libvirtd

    with reference_libvirtd((GUEST_UUID,)) as daemon:
        return _guest_script(qemu_uri(daemon), folder)


def _guest_with_virtd(folder: Path, network_root: Path) -> list[str]:
    with private_qemu_root("vg") as root, pytest.MonkeyPatch.context() as env:
        env.setenv("VIRT_NETWORK_ROOT", str(network_root))
        with virtd_serving(root) as daemon:
            return _guest_script(qemu_uri(daemon), folder)


def test_running_guest_has_a_port_as_with_libvirtd(folder: Path, tiny_guest: object) -> None:
    from guest import GuestImage, domain_xml

    assert isinstance(tiny_guest, GuestImage)
    for tool in ("dnsmasq", "nft"):
        if shutil.which(tool) is None and not Path(f"/usr/sbin/{tool}").exists():
            missing_dependency(f"{tool} is not installed (Debian packages dnsmasq-base, nftables)")
    xml = domain_xml("netports-guest", tiny_guest, network="n1", mac=GUEST_MAC)
    xml = xml.replace("<name>netports-guest</name>", f"<name>netports-guest</name><uuid>{GUEST_UUID}</uuid>", 1)
    (folder / "guest.xml").write_text(xml)
    network_root = folder / "netroot"
    (network_root / "state" / "networks").mkdir(parents=True)
    reference = call_in_new_netns(_guest_with_libvirtd, folder)
    assert "ports: 1" in reference, reference
    ours = call_in_new_netns(_guest_with_virtd, folder, network_root)
    differences = [
        f"libvirtd:\n{theirs}\nvirtd:\n{mine}" for theirs, mine in zip(reference, ours, strict=True) if theirs != mine
    ]
    assert differences == [], "\n=====\n".join(differences)

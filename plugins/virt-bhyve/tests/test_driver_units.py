"""The stand-ins refuse what the real tools refuse, with their words; the driver's probe reads
them as libvirt's does; domcapabilities are libvirt 9.0's for bhyve; the driver's refusals."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
import virt
from bhyve_support import BhyveHost, guest_xml
from lxml import etree
from virt.testing import require_corpus


def _tool(host: BhyveHost, *argv: str) -> subprocess.CompletedProcess[str]:
    import os

    return subprocess.run(
        [str(host.bin / argv[0]), *argv[1:]],
        capture_output=True,
        text=True,
        env={**os.environ, **host.env()},
        check=False,
    )


@pytest.mark.parametrize(
    ("argv", "status", "words"),
    [
        (("bhyve", "-h"), 0, "Usage: bhyve [-AaCDeHhPSuWwxY]\n             [-c [[cpus=]numcpus]"),
        (("bhyve", "-s", "0,fbuf"), 1, "-u: RTC keeps UTC time"),  # no vmname: the usage, no device complaint
        (("bhyve", "-Z", "vm"), 1, "bhyve: illegal option -- Z\nUsage: bhyve"),
        (("bhyve", "-s", "0,nosuch"), 4, 'pci slot 0:0:0: unknown device "nosuch"'),
        (("bhyve", "-s", "40:0,lpc", "vm"), 4, 'Invalid PCI slot info field "40:0,lpc"'),
        # libvirt's probe: a bhyve with a boot ROM wants its file (an older one knows no "bootrom")
        (("bhyve", "-l", "bootrom"), 4, 'bhyve: invalid bootrom option "bootrom"'),
        (("bhyve", "-l", "floppy,x", "vm"), 64, "bhyve: invalid lpc device configuration 'floppy,x'"),
        (
            ("bhyve", "-c", "cpus=2,sockets=3", "vm"),
            4,
            "Topology (3 sockets, 1 cores, 1 threads) does not match 2 vCPUs",
        ),
        (("bhyve", "-m", "lots", "vm"), 64, "invalid memsize 'lots'"),
        (("bhyve", "-U", "not-a-uuid", "vm"), 64, "Invalid UUID 'not-a-uuid'"),
        (("bhyve", "-l", "com1,/tmp/x", "vm"), 4, "Unable to initialize backend '/tmp/x' for LPC device com1"),
        (("bhyveload", "-m", "256", "vm"), 1, "no boot disk"),
        (("bhyveload", "-d", "/nonexistent.img", "vm"), 1, "/nonexistent.img: No such file or directory"),
        (("grub-bhyve", "--help"), 0, "--cons-dev=cons-dev"),
        (("grub-bhyve", "--bogus", "vm"), 64, "unrecognized option '--bogus'"),
        (("bhyvectl", "--destroy", "--vm=ghost"), 1, "vm_open: ghost could not be opened: No such file or directory"),
        (("bhyvectl", "--destroy"), 1, "Usage: bhyvectl --vm=<vmname>"),
        (("ifconfig", "tap7", "up"), 1, "ifconfig: interface tap7 does not exist"),
        (("ifconfig", "lo0", "addm", "lo0"), 1, "BRDGADD lo0: Invalid argument"),
        (("ifconfig", "bridge0", "addm", "tap9"), 1, "BRDGADD tap9: No such file or directory"),
        (("ifconfig", "lo0", "ether", "xx"), 1, "malformed link-level address: xx"),
        (("sysctl", "-n", "hw.ncpu", "dev.cpu.0.freq"), 1, "sysctl: unknown oid 'dev.cpu.0.freq'\n4\n"),
        (("sysctl", "-Z"), 1, "sysctl: illegal option -- Z\nusage: sysctl [-bdehiNnoqTtWx]"),
        (("sysctl", "hw.ncpu=8"), 1, "sysctl: oid 'hw.ncpu' is read only"),
    ],
)
def test_standins_refuse_as_the_real_tools(
    bhyve_host: BhyveHost, argv: tuple[str, ...], status: int, words: str
) -> None:
    done = _tool(bhyve_host, *argv)
    assert done.returncode == status, done.stderr
    assert words in done.stderr + done.stdout
    assert bhyve_host.calls(probes=True)[-1] == list(argv)  # logged as given


def test_probe_reads_the_standin_as_libvirt_does(bhyve_host: BhyveHost) -> None:
    from virt.uri import parse
    from virt_bhyve.caps import FULL
    from virt_bhyve.host import door
    from virt_bhyve.probe import probe

    caps = probe(door(parse("bhyve:///system")), str(bhyve_host.bin / "bhyve"), str(bhyve_host.bin / "grub-bhyve"))
    assert caps == FULL  # FreeBSD 14's bhyve has every device libvirt asks about
    assert probe(door(parse("bhyve:///system")), str(bhyve_host.bin / "bhyve"), None) == FULL.without("grub_consdev")


def test_domcapabilities_are_libvirts(bhyve_host: BhyveHost) -> None:
    """libvirt 9.0's bhyve_fbuf.x86_64 domcapabilities (bhyve with fbuf and a UEFI boot ROM), its
    firmware list aside: none here (no /usr/local/share/uefi-firmware)."""
    folder = require_corpus("domaincaps-roundtrip")
    expected = etree.fromstring((folder / "bhyve_fbuf.x86_64.xml").read_bytes())
    for value in expected.findall("os/loader/value"):
        value.getparent().remove(value)
    with virt.open("bhyve:///system") as conn:
        got = etree.fromstring(conn.domain_capabilities().encode())
    expected.find("path").text = str(bhyve_host.bin / "bhyve")
    canon = lambda tree: etree.tostring(tree, method="c14n2", strip_text=True)  # noqa: E731
    assert canon(got) == canon(expected)


def test_refusals(bhyve_host: BhyveHost, tmp_path: Path) -> None:
    host = bhyve_host
    with virt.open("bhyve:///system") as conn:
        with pytest.raises(virt.VirtError, match="could not find capabilities for domaintype=kvm"):
            conn.define_domain(guest_xml(host).replace("type='bhyve'", "type='kvm'", 1))
        wrong_bridge = guest_xml(host).replace("bridge0", "bridge7")
        domain = conn.define_domain(wrong_bridge)
        with pytest.raises(virt.VirtError, match="interface bridge7 does not exist"):
            domain.start()
        # the failed start took down what it made: no tap left, no VM
        assert [n for n in host.interfaces() if n.startswith(("tap", "vnet"))] == [] and host.vms() == []
        assert domain.state().state is virt.DomainState.SHUTOFF
        with pytest.raises(virt.VirtError, match="domain is not running"):
            domain.destroy()
        with pytest.raises(virt.VirtError, match="domain is not running"):
            domain.open_console()


def test_max_vcpus_as_libvirt(bhyve_host: BhyveHost) -> None:
    with virt.open("bhyve:///system") as conn:
        assert conn.max_vcpus() == 16 and conn.max_vcpus("bhyve") == 16
        with pytest.raises(virt.VirtError, match="unknown type 'kvm'"):
            conn.max_vcpus("kvm")


def test_events_follow_the_guest(bhyve_host: BhyveHost) -> None:
    """Someone listens: the owner follows bhyve from a thread, so a guest that powers off by itself
    (poweroff typed on its console) is reported without being asked about."""
    import queue

    from bhyve_support import read_until
    from virt.events import DomainEventType, StartedDetail, StoppedDetail

    seen: queue.Queue[tuple[DomainEventType, int]] = queue.Queue()
    with virt.open("bhyve:///system") as conn:
        conn.add_domain_event_callback(lambda _, event: seen.put((event.type, int(event.detail))))
        domain = conn.define_domain(guest_xml(bhyve_host))
        assert seen.get(timeout=10)[0] is DomainEventType.DEFINED
        domain.start()
        assert seen.get(timeout=10) == (DomainEventType.STARTED, StartedDetail.BOOTED)
        console = domain.open_console()
        try:
            console.sendall(b"\r")
            read_until(console, b"login: ")
            console.sendall(b"poweroff\r")
            assert seen.get(timeout=20) == (DomainEventType.STOPPED, StoppedDetail.SHUTDOWN)
        finally:
            console.close()
        assert bhyve_host.vms() == [] and "vnet0" not in bhyve_host.interfaces()


def test_one_owner_at_a_time(bhyve_host: BhyveHost) -> None:
    """While a process owns the host's state (virtd, or a program holding a connection), another is refused."""
    import os

    from bhyve_support import Cli

    with virt.open("bhyve:///system"):
        done = Cli(bhyve_host).run("list")
        assert done.returncode != 0
        assert f"owned by another process (pid {os.getpid()}); only one process at a time may manage it" in done.stderr
        assert "the bhyve driver state of host 'local'" in done.stderr


def test_metadata_kept_in_both_definitions(bhyve_host: BhyveHost) -> None:
    """virDomainSetMetadata (virt.localstate.metadata): the running guest's definition (its status
    file, read by the next owner) and the persistent one, as the impact says."""
    from bhyve_support import Cli
    from virt.domainchanges import Impact, MetadataType

    with virt.open("bhyve:///system") as conn:
        domain = conn.define_domain(guest_xml(bhyve_host))
        domain.set_metadata(MetadataType.TITLE, "kept", impact=Impact.CONFIG)
        domain.start()
        domain.set_metadata(MetadataType.DESCRIPTION, "for now", impact=Impact.LIVE)
        assert domain.metadata(MetadataType.TITLE) == "kept"
        assert domain.metadata(MetadataType.DESCRIPTION, impact=Impact.LIVE) == "for now"
    cli = Cli(bhyve_host)
    assert "<description>for now</description>" in cli.ok("dumpxml", "bsd1")
    assert "for now" not in cli.ok("dumpxml", "--inactive", "bsd1")
    cli.ok("destroy", "bsd1")


def test_domxml_to_native_through_the_connection_uses_the_hosts_capabilities(bhyve_host: BhyveHost) -> None:
    """bhyveConnectDomainXMLToNative: the dry run with the capabilities probed on the host. Without
    grub-bhyve there (no CONSDEV), its line has no --cons-dev; offline (every capability) it has."""
    from virt.native import to_native

    (bhyve_host.bin / "grub-bhyve").unlink()
    xml = guest_xml(bhyve_host).replace(
        "<os><type>hvm</type></os>", "<bootloader>grub-bhyve</bootloader><os><type>hvm</type></os>"
    )
    offline = to_native("bhyve-argv", xml).splitlines()[0]
    assert "--cons-dev /dev/nmdm0A" in offline
    with virt.open("bhyve:///system") as conn:
        hosts = conn.domain_xml_to_native("bhyve-argv", xml).splitlines()[0]
        with pytest.raises(virt.VirtError, match="Unsupported config type xen-xl"):
            conn.domain_xml_to_native("xen-xl", xml)
    assert hosts == offline.replace(" --cons-dev /dev/nmdm0A", "")

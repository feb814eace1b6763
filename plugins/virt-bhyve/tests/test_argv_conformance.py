"""The bhyve-argv format against libvirt 9.0's own bhyve test data (shared/conformance).

Domain XML -> command lines is run in the environment libvirt's test program gives each case
(argv_corpus.harness_environment), where every case must match; with the defaults a user of
``virt domxml-to-native`` gets (the dry run), the same cases differ exactly where that
environment does (paths, tap names, ports), which test_dry_run_differs_only_by_the_environment
shows. Command lines -> XML matches every case with the harness's MAC for a NIC without one.
"""

from __future__ import annotations

import uuid
from typing import Any

import attrs
import pytest
from argv_corpus import canon, cases, harness_argv, harness_environment, tokens
from lxml import etree
from virt.errors import VirtError
from virt.xml import Domain
from virt_bhyve.argv import DRY_RUN, build_commands, from_native, to_native
from virt_bhyve.caps import FULL, BhyveCaps


def _ids(suite: str) -> list[str]:
    """The case ids (at collection: without the corpus the module is skipped, with the reason)."""
    return [c["id"] for c in cases(suite)]


def _case(suite: str, case_id: str) -> dict[str, Any]:
    return next(c for c in cases(suite) if c["id"] == case_id)


@pytest.mark.parametrize("case_id", _ids("xml-to-bhyve-argv"))
def test_xml_to_argv(case_id: str) -> None:
    case = _case("xml-to-bhyve-argv", case_id)
    folder = case["folder"]
    domain = Domain.from_xml((folder / case["input"]).read_text())
    commands = build_commands(domain, harness_environment(case_id))
    # with UEFI firmware there is no loader; the harness then prints a command named "dummy"
    loader = commands.loader if commands.loader is not None else ["dummy"]
    assert harness_argv(loader) == tokens(folder / case["expected_loader"])
    assert harness_argv(commands.bhyve) == tokens(folder / case["expected"])
    if "expected_devmap" in case:
        assert (commands.device_map or "").strip() == (folder / case["expected_devmap"]).read_text().strip()
    else:
        assert commands.device_map is None


def test_dry_run_differs_only_by_the_environment() -> None:
    """What ``virsh domxml-to-native bhyve-argv`` prints for the corpus's base case."""
    case = _case("xml-to-bhyve-argv", "base")
    out = to_native(Domain.from_xml((case["folder"] / case["input"]).read_text()))
    assert out == (
        "/usr/sbin/bhyveload -m 214 -d /tmp/freebsd.img bhyve\n"
        "/usr/sbin/bhyve -c 1 -m 214 -u -H -P -s 0:0,hostbridge -s 2:0,ahci,hd:/tmp/freebsd.img"
        " -s 3:0,virtio-net,tap0,mac=52:54:00:b9:94:02 bhyve\n"
    )
    grub = _case("xml-to-bhyve-argv", "grub-defaults")
    out = to_native(Domain.from_xml((grub["folder"] / grub["input"]).read_text()))
    assert out.splitlines()[0] == (
        "/usr/local/sbin/grub-bhyve --root hd0,msdos1 --device-map '<device.map>' --memory 214 bhyve"
    )


def test_dry_run_keeps_an_automatic_vnc_port_as_parsed() -> None:
    case = _case("xml-to-bhyve-argv", "vnc-autoport")
    out = to_native(Domain.from_xml((case["folder"] / case["input"]).read_text()))
    assert out.splitlines() == [out.strip()]  # UEFI: no loader line
    assert "4:0,fbuf,tcp=127.0.0.1:0" in out.split()


def test_the_domain_is_left_as_it_was() -> None:
    case = _case("xml-to-bhyve-argv", "console-master-slave-not-specified")
    domain = Domain.from_xml((case["folder"] / case["input"]).read_text())
    before = domain.to_xml()
    build_commands(domain, harness_environment(case["id"]))
    assert domain.to_xml() == before


# bhyvexml2argvtest.c's DO_TEST_FAILURE cases that reuse a corpus input with a capability off
REFUSED_WITHOUT = {
    "net-e1000": ("net_e1000", "NIC model 'e1000' is not supported by given bhyve binary"),
    "uefi": ("lpc_bootrom", "Installed bhyve binary does not support UEFI loader"),
    "vnc": ("fbuf", "Bhyve version does not support framebuffer"),
    "cputopology": ("cputopology", "Installed bhyve binary does not support defining CPU topology"),
    "sound": ("sound_hda", "Sound devices emulation is not supported by given bhyve binary"),
    "vnc-password": ("vnc_password", "VNC Password authentication not supported by bhyve"),
    "fs-9p": ("virtio_9p", "virtio-9p"),
    "input-xhci-tablet": ("xhci", "xhci"),
}


@pytest.mark.parametrize("case_id", sorted(REFUSED_WITHOUT))
def test_refused_without_the_capability(case_id: str) -> None:
    flag, words = REFUSED_WITHOUT[case_id]
    case = _case("xml-to-bhyve-argv", case_id)
    env = harness_environment(case_id)
    env = attrs.evolve(env, caps=env.caps.without(flag))
    with pytest.raises(VirtError) as raised:
        build_commands(Domain.from_xml((case["folder"] / case["input"]).read_text()), env)
    assert words in raised.value.message
    assert raised.value.message.startswith("unsupported configuration: ")


def test_efi_firmware_missing() -> None:
    """bhyvexml2argvtest.c's DO_TEST_PREPARE_ERROR("firmware-efi"): an empty firmware folder."""
    case = _case("xml-to-bhyve-argv", "firmware-efi")
    env = attrs.evolve(harness_environment("firmware-efi"), firmware_dir="empty", firmware_files=lambda d: [])
    with pytest.raises(VirtError, match="no firmwares found in empty"):
        build_commands(Domain.from_xml((case["folder"] / case["input"]).read_text()), env)


def test_default_caps_are_the_harness_set() -> None:
    """Without a host, a conversion assumes every capability (what bhyvexml2argvtest.c starts with)."""
    assert DRY_RUN.caps == FULL
    assert all(getattr(FULL, f.name) for f in attrs.fields(BhyveCaps))
    with pytest.raises(ValueError, match="unknown bhyve capability: bogus"):
        FULL.without("bogus")


@pytest.mark.parametrize("case_id", _ids("bhyve-argv-to-xml"))
def test_argv_to_xml(case_id: str) -> None:
    case = _case("bhyve-argv-to-xml", case_id)
    folder = case["folder"]
    text = (folder / case["input"]).read_text()
    # bhyveargv2xmlmock.c makes every generated MAC 52:54:00:00:00:00
    domain = from_native(text, new_mac=lambda: "52:54:00:00:00:00")
    expected = etree.fromstring((folder / case["expected"]).read_bytes())
    # the UUID: the harness fakes libvirt's random one; a real one is a fresh random UUID
    assert domain.uuid is not None and domain.uuid.version == 4
    domain.uuid = uuid.UUID(expected.findtext("uuid"))
    assert canon(domain.to_xml()) == canon(etree.tostring(expected).decode())


def test_argv_to_xml_then_back() -> None:
    """A guest read from its command line is written back to the same slots and devices."""
    case = _case("bhyve-argv-to-xml", "bhyveload-bootorder")
    domain = from_native((case["folder"] / case["input"]).read_text())
    out = to_native(domain).split()
    assert "2:0,virtio-blk,/tmp/disk1.img" in out and "3:0,virtio-blk,/tmp/disk2.img" in out


def test_dry_run_leaves_efi_firmware_to_start() -> None:
    """bhyveConnectDomainXMLToNative does not run bhyveProcessPrepareDomain: <os firmware='efi'>
    has no loader path yet, so bhyveload loads the guest and no boot ROM is given."""
    case = _case("xml-to-bhyve-argv", "firmware-efi")
    lines = to_native(Domain.from_xml((case["folder"] / case["input"]).read_text())).splitlines()
    assert lines[0] == "/usr/sbin/bhyveload -m 214 -d /tmp/freebsd.img bhyve"
    assert "bootrom" not in lines[1] and "1:0,lpc" in lines[1].split()

"""lxc:/// through virtd against libvirt 9.0's LXC driver in a private libvirtd, on this host: the
capabilities (host facts, the exe guests) and the host facts' virsh commands."""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from lxml import etree
from virt.daemon.testing import start_virtd
from virt.testing import missing_dependency, start_libvirtd

LXC_DRIVER = Path("/usr/lib/x86_64-linux-gnu/libvirt/connection-driver/libvirt_driver_lxc.so")


@pytest.fixture(scope="module")
def uris(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """(virtd's, libvirtd's) lxc:/// URIs."""
    if shutil.which("virsh") is None:
        missing_dependency("virsh is not installed (apt-get install libvirt-clients)")
    if not LXC_DRIVER.exists():
        missing_dependency("libvirt's LXC driver is not installed (apt-get install libvirt-daemon-driver-lxc)")
    with pytest.MonkeyPatch.context() as env:
        env.setenv("VIRT_LXC_ROOT", str(tmp_path_factory.mktemp("lxcroot")))
        with start_virtd(system=True) as ours, start_libvirtd(drivers=("lxc",)) as reference:
            yield ours.uri(driver="lxc", path="/"), reference.uri(driver="lxc", path="/")


def _virsh(uri: str, *args: str) -> tuple[int, str, str]:
    done = subprocess.run(["virsh", "-c", uri, *args], capture_output=True, text=True, timeout=60)
    return done.returncode, done.stdout, done.stderr


def test_capabilities_as_libvirtd_reports_them(uris: tuple[str, str]) -> None:
    """The same document but for the host's UUID (random in a libvirtd without SMBIOS, as here) and
    the guests' emulator: what runs virt's controller, where libvirt's runs its libvirt_lxc."""

    def document(uri: str) -> str:
        code, out, err = _virsh(uri, "capabilities")
        assert code == 0, err
        root = etree.fromstring(out.encode(), etree.XMLParser(remove_blank_text=True))
        for path in ("host/uuid", "guest/arch/emulator"):
            for found in root.findall(path):
                found.getparent().remove(found)
        return etree.tostring(root, encoding="unicode")

    ours, theirs = uris
    assert document(ours) == document(theirs)


@pytest.mark.parametrize("command", [["nodememstats"], ["nodecpustats"], ["freecell", "--all"], ["sysinfo"]])
def test_host_facts_as_libvirtd_prints_them(uris: tuple[str, str], command: list[str]) -> None:
    """The same lines, the figures aside (they move)."""
    ours, theirs = uris

    def shape(outcome: tuple[int, str, str]) -> tuple[int, str, str]:
        code, out, err = outcome
        return code, re.sub(r"\d+", "N", re.sub(r" +", " ", out)), err

    assert shape(_virsh(ours, *command)) == shape(_virsh(theirs, *command))

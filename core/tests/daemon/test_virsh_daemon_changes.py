"""Debian's stock virsh changing test:///default's domain through virtd, side by side with libvirtd 9.0:
setmem, setmaxmem, setvcpus, vcpupin, emulatorpin, send-key, metadata, desc, undefine's flags,
managedsave, domifaddr, domfsinfo/freeze/thaw and domhostname print the same, errors included.

Each case is one virsh run of several commands (one connection, so test:///default keeps its state
between them); one virtd and one private libvirtd serve the module.
"""

from __future__ import annotations

import pytest
from virsh_compare import Outcome, virsh
from virt.daemon.testing import Virtd
from virt.testing import Libvirtd

CASES = [
    "setmem test 1G; dominfo test",
    "setmem test 1G --config; dumpxml --inactive test",
    "setmem test 9G",
    "setmem test 1G --live --config",
    "setmaxmem test 1G",
    "setmaxmem test 9G --config; dumpxml --inactive test; dominfo test",
    "setvcpus test 1; vcpucount test",
    "setvcpus test 4 --maximum --config; vcpucount test; dumpxml --inactive test",
    "setvcpus test 3",
    "setvcpus test 1 --guest",
    "setvcpus test 1 --hotpluggable",
    "vcpupin test",
    "vcpupin test 0 0; vcpupin test; vcpupin test 1; dumpxml test",
    "vcpupin test 0 0 --live",
    "vcpupin test 5 0",
    "vcpupin test --config",
    "emulatorpin test",
    "emulatorpin test 0-1; emulatorpin test; emulatorpin test --config; dumpxml test",
    "emulatorpin test 0 --config; emulatorpin test --config; dumpxml --inactive test",
    "send-key test KEY_A KEY_LEFTCTRL",
    "send-key test --codeset xt 30",
    "send-key test --holdtime 10 1 2 3",
    "metadata test http://app.example/",
    "metadata test http://app.example/ --key app --set '<foo bar=\"1\"><x>t</x></foo>'; "
    "metadata test http://app.example/; metadata test http://app.example/ --remove; dumpxml test",
    # (dumpxml while the element is there differs in quotes only: virt's formatter writes kept XML with
    # single quotes, libvirt writes <metadata>'s content as libxml2 dumps it, with double quotes)
    "metadata test http://app.example/ --config --key app --set '<foo/>'; metadata test http://app.example/ --live",
    "desc test",
    "desc test --title",
    "desc test hello world; desc test; desc test --title --new-desc T1; list --title; desc test --title",
    "desc test --config --new-desc saved; desc test --config; desc test --live",
    "domifaddr test",
    "domifaddr test --source agent",
    "domifaddr test --source arp --full",
    "domifaddr test --interface testnet0",
    "domfsinfo test",
    "domfsfreeze test; domfsfreeze test; domfsthaw test --mountpoint /; domfsthaw test",
    "domfsfreeze test /nope",
    "domhostname test",
    "domhostname test --source agent",
    "managedsave test; list --all --managed-save; dominfo test",
    "managedsave test; managedsave-remove test; managedsave-remove test; list --all --managed-save",
    "managedsave test; start test; domstate --reason test",
    "managedsave test; undefine test; undefine test --managed-save; list --all",
    "managedsave test --running --paused",
    "undefine test --nvram",
    "undefine test --keep-nvram; list --all",
    "undefine test --snapshots-metadata --checkpoints-metadata; list --all",
    "destroy test; managedsave test; setmem test 1G --live; vcpupin test 0 0; domhostname test; domifaddr test",
    "destroy test; setmem test 1000; setmaxmem test 2000; setvcpus test 1; dumpxml test",
]

READ_ONLY_CASES = [
    "setmem test 1G",
    "setvcpus test 1",
    "vcpupin test",
    "vcpupin test 0 0",
    "emulatorpin test",
    "send-key test KEY_A",
    "metadata test http://app.example/",
    "desc test hello",
    "managedsave test",
    "managedsave-remove test",
    "domifaddr test",
    "domifaddr test --source agent",
    "domfsinfo test",
    "domfsfreeze test",
    "domhostname test",
    "undefine test --nvram",
]


def _same(ours: Outcome, theirs: Outcome, command: str) -> None:
    assert ours == theirs, f"virsh '{command}':\n virtd:    {ours}\n libvirtd: {theirs}"


@pytest.mark.parametrize("command", CASES)
def test_changes_print_what_libvirtd_prints(virtd: Virtd, libvirtd: Libvirtd, command: str) -> None:
    _same(virsh(virtd.uri(), command), virsh(libvirtd.uri(), command), command)


@pytest.mark.parametrize("command", READ_ONLY_CASES)
def test_the_read_only_socket_as_libvirtd(virtd: Virtd, libvirtd: Libvirtd, command: str) -> None:
    ours = virsh(virtd.uri(readonly=True), command)
    _same(ours, virsh(libvirtd.uri(readonly=True), command), command)

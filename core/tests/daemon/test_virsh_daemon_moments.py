"""Debian's stock virsh on snapshots and checkpoints of test:///default through virtd, side by side
with libvirtd 9.0: snapshot-revert and the checkpoint-* verbs (which the served procedures make
possible) print the same, errors included; the creation times, drawn from the clock, are hidden.

Each case is one virsh run of several commands (one connection, so test:///default keeps its state
between them); one virtd and one private libvirtd serve the module.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from virsh_compare import Outcome, virsh
from virt.daemon.testing import Virtd
from virt.testing import Libvirtd

DATE = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d [+-]\d{4}")
SECONDS = re.compile(r"\b1\d{9}\b")

CASES = [
    "snapshot-create-as test s; list --with-snapshot; list --all --without-snapshot",
    "list --with-checkpoint; checkpoint-create-as test c; list --with-checkpoint; list --without-checkpoint --all; list --with-checkpoint --with-snapshot",
    "snapshot-revert test",
    "checkpoint-info test",
    "checkpoint-parent test",
    "checkpoint-delete test",
    "checkpoint-dumpxml test",
    "checkpoint-info test nope",
    "checkpoint-list test --tree --name",
    "snapshot-create-as test s1; snapshot-delete test s1 --metadata",
    "snapshot-create-as test s1; snapshot-create-as test s2; snapshot-delete test s1 --children-only; snapshot-list test --name",
    "snapshot-revert test nope",
    "snapshot-create-as test s1; snapshot-current test --snapshotname s1",
    "snapshot-create-as test s1; snapshot-create-as test s2; snapshot-current test s1; snapshot-current test --name",
    "checkpoint-create-as test c1; checkpoint-delete test c1",
    "checkpoint-create-as test c1; checkpoint-create-as test c2; checkpoint-delete test c1 --children-only; checkpoint-list test",
    "checkpoint-create-as test c1; checkpoint-delete test c1 --metadata",
    "checkpoint-list test --descendants",
    "snapshot-create-as test s1; snapshot-revert test s1 --running --paused",
    "snapshot-create-as test s1; snapshot-create-as test s1",
    "checkpoint-create-as test c1; checkpoint-create-as test c1",
    'checkpoint-create-as test c1 --diskspec vda,checkpoint=bitmap,bitmap=bb --description "d d" --print-xml',
    "snapshot-create-as test a; snapshot-create-as test b; snapshot-revert test a; snapshot-create-as test c; snapshot-create-as test d; snapshot-list test --tree; snapshot-list test --tree --from a; snapshot-list test --from a --descendants; snapshot-list test --from a; snapshot-list test --current --descendants --parent; snapshot-list test --leaves; snapshot-list test --no-leaves --parent; snapshot-list test --topological --name",
    "snapshot-create-as test a; destroy test; snapshot-create-as test b; snapshot-list test --inactive; snapshot-list test --active; snapshot-list test --internal --name; snapshot-list test --external; snapshot-list test --metadata --name; snapshot-list test --no-metadata; snapshot-list test --disk-only",
    "snapshot-create-as test a; destroy test; snapshot-create-as test b; snapshot-revert test a; domstate test --reason; snapshot-revert test b; domstate test --reason; snapshot-revert test a --paused; domstate test --reason; snapshot-revert test --current --running; domstate test --reason; snapshot-info test b",
    "snapshot-create-as test a; snapshot-revert test a --current",
    "snapshot-create-as test a; snapshot-create-as test b; snapshot-delete test --current; snapshot-list test --parent; snapshot-current test --name",
    "snapshot-create-as test a; snapshot-create-as test b; snapshot-delete test a --children; snapshot-list test; snapshot-current test",
    "snapshot-create-as test a; snapshot-create-as test b; snapshot-delete test a --children --children-only",
    "snapshot-create-as test a; snapshot-dumpxml test a --xpath //state; snapshot-dumpxml test a --xpath //disk --wrap",
    "snapshot-create-as test a; snapshot-current test --name --snapshotname a",
    "snapshot-create-as test a; snapshot-parent test --current",
    "checkpoint-create-as test a; checkpoint-create-as test b; checkpoint-create-as test c; checkpoint-list test --tree; checkpoint-list test --from a; checkpoint-list test --from a --descendants --parent; checkpoint-list test --from a --tree; checkpoint-dumpxml test b --xpath //disk --wrap",
    "checkpoint-create-as test a; snapshot-create-as test s",
    "snapshot-create-as test s; checkpoint-create-as test a",
    "destroy test; checkpoint-create-as test a",
    "checkpoint-create-as test a --diskspec vdz",
    "checkpoint-create-as test a --diskspec vda,foo=1",
    "checkpoint-create-as test a; checkpoint-dumpxml test a --security-info --no-domain; checkpoint-dumpxml test --checkpointname a --size",
    "checkpoint-create-as test a; destroy test; checkpoint-dumpxml test a --size",
    "checkpoint-create-as test a; checkpoint-delete test a --children --children-only",
    "checkpoint-create test --redefine-validate",
]

READ_ONLY_CASES = [
    "snapshot-list test",
    "snapshot-create-as test a",
    "snapshot-revert test a",
    "checkpoint-create-as test a",
    "checkpoint-list test --tree",
    "snapshot-current test --name",
    "checkpoint-info test a",
]


def _shape(outcome: Outcome) -> Outcome:
    hide = lambda text: SECONDS.sub("<seconds>", DATE.sub("<date>", text))  # noqa: E731
    return Outcome(outcome.code, hide(outcome.stdout), hide(outcome.stderr))


@pytest.mark.parametrize("command", CASES)
def test_prints_what_libvirtd_prints(virtd: Virtd, libvirtd: Libvirtd, command: str) -> None:
    ours, theirs = _shape(virsh(virtd.uri(), command)), _shape(virsh(libvirtd.uri(), command))
    assert ours == theirs, f"virsh '{command}':\n virtd:    {ours}\n libvirtd: {theirs}"


@pytest.mark.parametrize("command", READ_ONLY_CASES)
def test_the_read_only_socket_as_libvirtd(virtd: Virtd, libvirtd: Libvirtd, command: str) -> None:
    ours = _shape(virsh(virtd.uri(readonly=True), command))
    theirs = _shape(virsh(libvirtd.uri(readonly=True), command))
    assert ours == theirs, f"virsh '{command}':\n virtd:    {ours}\n libvirtd: {theirs}"


VIRT = shutil.which("virt", path=str(Path(sys.executable).parent))
VIRT_CASES = [
    "snapshot-create-as test a; snapshot-create-as test b; snapshot-revert test a; snapshot-list test --tree; "
    "snapshot-info test a; snapshot-delete test a --children; snapshot-list test",
    "checkpoint-create-as test a; checkpoint-create-as test b; checkpoint-list test --parent; checkpoint-info test a; "
    "checkpoint-dumpxml test b --no-domain; checkpoint-parent test b; checkpoint-delete test a; list --with-checkpoint",
    "snapshot-create-as test a; destroy test; snapshot-revert test a --paused; domstate test --reason",
    "checkpoint-parent test nope",
]


@pytest.mark.parametrize("command", VIRT_CASES)
def test_virt_through_virtd_prints_what_virsh_prints_through_libvirtd(
    virtd: Virtd, libvirtd: Libvirtd, command: str
) -> None:
    """virt's CLI over its remote client to virtd, against stock virsh to libvirtd 9.0."""
    assert VIRT is not None, "the virt console script is not installed: pip install -e core"
    done = subprocess.run([VIRT, "-c", virtd.uri(), command], capture_output=True, text=True, timeout=60)
    ours = _shape(Outcome(done.returncode, done.stdout, done.stderr))
    theirs = _shape(virsh(libvirtd.uri(), command))
    assert ours == theirs, f"'{command}':\n virt on virtd: {ours}\n virsh on libvirtd: {theirs}"

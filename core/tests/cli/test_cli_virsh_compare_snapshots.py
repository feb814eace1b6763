"""``virt -c test:///default`` snapshot and checkpoint commands print what ``virsh -c
test:///default`` prints (libvirt 9.0): snapshot-create(-as), snapshot-list (filters, --tree,
--parent, --from), snapshot-info, snapshot-dumpxml, snapshot-current, snapshot-parent,
snapshot-revert, snapshot-delete and the checkpoint-* verbs, errors included.

Each case runs its commands in one process of each program (one state); the creation times,
drawn from the clock, are hidden.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from test_cli_virsh_compare import _both

DATE = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d [+-]\d{4}")
SECONDS = re.compile(r"\b1\d{9}\b")

CASES = [
    "snapshot-create-as test a; snapshot-create-as test b; snapshot-create-as test c; snapshot-revert test a; snapshot-create-as test d; snapshot-revert test b; snapshot-create-as test e; destroy test; snapshot-create-as test f; snapshot-list test --tree; snapshot-list test --tree --from a --descendants; snapshot-list test --tree --current",
    "snapshot-create-as test a; snapshot-create-as test b; snapshot-create-as test c; snapshot-revert test a; snapshot-create-as test d; snapshot-revert test b; snapshot-create-as test e; destroy test; snapshot-create-as test f; snapshot-list test --leaves --no-leaves; snapshot-list test --from a --leaves --no-leaves; snapshot-list test --metadata --no-metadata --name",
    "snapshot-create-as test a; snapshot-create-as test b; snapshot-create-as test c; snapshot-revert test a; snapshot-create-as test d; snapshot-revert test b; snapshot-create-as test e; destroy test; snapshot-create-as test f; snapshot-list test --topological --name; snapshot-list test --from a --descendants --topological --name; snapshot-list test --roots --name",
    "snapshot-create-as test a; snapshot-create-as test b; snapshot-create-as test c; snapshot-revert test a; snapshot-create-as test d; snapshot-revert test b; snapshot-create-as test e; destroy test; snapshot-create-as test f; snapshot-delete test a --children-only; snapshot-list test --tree; snapshot-current test --name",
    "snapshot-create-as test a; snapshot-create-as test b; snapshot-create-as test c; snapshot-revert test a; snapshot-create-as test d; snapshot-revert test b; snapshot-create-as test e; destroy test; snapshot-create-as test f; snapshot-delete test b; snapshot-list test --tree; snapshot-info test e",
    "checkpoint-create-as test a; checkpoint-create-as test b; checkpoint-list test --leaves --no-leaves; checkpoint-list test --from a --leaves --no-leaves",
    "snapshot-create-as test s; list --with-snapshot; list --all --without-snapshot",
    "list --with-checkpoint; checkpoint-create-as test c; list --with-checkpoint; list --without-checkpoint --all; list --with-checkpoint --with-snapshot",
    "snapshot-info test",
    "snapshot-info test --current",
    "snapshot-info test s1 --current",
    "snapshot-parent test",
    "snapshot-revert test",
    "snapshot-delete test",
    "snapshot-dumpxml test",
    "snapshot-current test --name",
    "checkpoint-info test",
    "checkpoint-parent test",
    "checkpoint-delete test",
    "checkpoint-dumpxml test",
    "snapshot-info test nope",
    "checkpoint-info test nope",
    "snapshot-list test --roots --from s1",
    "snapshot-list test --descendants",
    "snapshot-list test --current",
    "snapshot-list test --tree --name",
    "snapshot-list test --tree --parent",
    "snapshot-list nodom",
    "checkpoint-list test --tree --name",
    "snapshot-list test --roots --tree",
    "snapshot-list test --leaves --tree",
    "snapshot-create-as test s1; snapshot-delete test s1 --metadata",
    "snapshot-create-as test s1; snapshot-create-as test s2; snapshot-delete test s1 --children-only; snapshot-list test --name",
    "snapshot-revert test nope",
    "snapshot-delete test nope",
    "snapshot-create-as test s1; snapshot-current test --snapshotname s1",
    "snapshot-create-as test s1; snapshot-create-as test s2; snapshot-current test s1; snapshot-current test --name",
    "checkpoint-create-as test c1; checkpoint-delete test c1",
    "checkpoint-create-as test c1; checkpoint-create-as test c2; checkpoint-delete test c1 --children-only; checkpoint-list test",
    "checkpoint-create-as test c1; checkpoint-delete test c1 --metadata",
    "snapshot-create-as test s1 --diskspec vdz",
    "snapshot-create-as test s1 --memspec foo",
    "checkpoint-list test --descendants",
    "snapshot-create-as test s1; snapshot-revert test s1 --running --paused",
    "snapshot-create test --xmlfile /nope",
    "snapshot-create-as test s1; snapshot-create-as test s1",
    "checkpoint-create-as test c1; checkpoint-create-as test c1",
    "snapshot-create-as test s1 --memspec file=/tmp/m,snapshot=external --diskspec vda,snapshot=external,driver=qcow2,stype=file,file=/tmp/x --print-xml",
    'checkpoint-create-as test c1 --diskspec vda,checkpoint=bitmap,bitmap=bb --description "d d" --print-xml',
    "snapshot-create-as test --print-xml",
    "snapshot-create-as test --diskspec vda --diskspec hdc,snapshot=no --print-xml",
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
    "checkpoint-create-as test a --quiesce",
    "snapshot-create-as test a --halt; domstate test --reason",
    "snapshot-create-as test a --no-metadata",
    "snapshot-create-as test a --disk-only",
    'snapshot-create-as test --name "a&b" --description "x<y>\'z\\"" --print-xml',
    "snapshot-list test --roots --current",
    "snapshot-list test --from a --current",
    "snapshot-create-as test a --diskspec vda --diskspec vda",
    "checkpoint-create-as test a; checkpoint-create-as test b; checkpoint-list test --from a --tree; checkpoint-create-as test c; checkpoint-list test --tree; checkpoint-list test --topological --name",
    "checkpoint-create test --redefine --redefine-validate",
]


def _shape(text: str) -> str:
    return SECONDS.sub("<seconds>", DATE.sub("<date>", text))


@pytest.mark.parametrize("command", CASES)
def test_same_output(command: str) -> None:
    virsh, ours = _both(command)
    assert (ours.returncode, _shape(ours.stdout), ours.stderr) == (
        virsh.returncode,
        _shape(virsh.stdout),
        virsh.stderr,
    )


FILES = {
    "checkpoint.xml": "<domaincheckpoint>\n  <name>r1</name>\n  <description>again</description>\n"
    "  <creationTime>1700000000</creationTime>\n  <disks>\n    <disk name='vda' checkpoint='bitmap' bitmap='r1'/>\n"
    "  </disks>\n</domaincheckpoint>\n",
    "snapshot.xml": "<domainsnapshot>\n  <name>fromfile</name>\n  <description>made from a file</description>\n"
    "</domainsnapshot>\n",
}
FILE_CASES = [
    "checkpoint-create test {dir}/checkpoint.xml --redefine; checkpoint-list test --parent; checkpoint-info test r1",
    "checkpoint-create test --xmlfile {dir}/checkpoint.xml",
    "checkpoint-create test {dir}/checkpoint.xml --redefine --redefine-validate",
    "checkpoint-create-as test c1; checkpoint-create test {dir}/checkpoint.xml --redefine; checkpoint-list test --tree",
    "snapshot-create test {dir}/snapshot.xml; snapshot-info test fromfile; snapshot-list test --parent",
    "snapshot-create test {dir}/snapshot.xml --redefine",
    "snapshot-create test {dir}/snapshot.xml --current",
    "snapshot-create test {dir}/snapshot.xml --validate; snapshot-list test --name",
]


@pytest.mark.parametrize("command", FILE_CASES)
def test_same_output_from_files(tmp_path: Path, command: str) -> None:
    for name, text in FILES.items():
        (tmp_path / name).write_text(text)
    virsh, ours = _both(command.format(dir=tmp_path))
    assert (ours.returncode, _shape(ours.stdout), ours.stderr) == (
        virsh.returncode,
        _shape(virsh.stdout),
        virsh.stderr,
    )

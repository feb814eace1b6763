"""virt's nwfilter verbs against virtd's nwfilter:///system, and stock virsh against libvirtd 9.0's:
the same command lines give the same exit status, output and errors."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from virt.daemon.testing import start_virtd
from virt.testing import need_virsh, start_libvirtd

FILTER = """<filter name='web' chain='ipv4'>
  <uuid>5a1b7c2e-0d3f-4a5b-8c6d-7e8f9a0b1c11</uuid>
  <rule action='accept' direction='in'><tcp dstportstart='80'/></rule>
</filter>
"""
BINDING = """<filterbinding><owner><name>g</name><uuid>c7a5fdbd-edaf-9455-926a-d65c16db1809</uuid></owner>
<portdev name='vnet9'/><mac address='52:54:00:00:00:09'/>
<filterref filter='web'><parameter name='IP' value='10.0.0.9'/></filterref></filterbinding>
"""
# (command line, editor): the editor only matters to nwfilter-edit
COMMANDS = [
    ("nwfilter-list", "true"),
    ("nwfilter-define {f}", "true"),
    ("nwfilter-define --validate {f}", "true"),
    ("nwfilter-list", "true"),
    ("nwfilter-dumpxml web", "true"),
    ("nwfilter-dumpxml 5a1b7c2e-0d3f-4a5b-8c6d-7e8f9a0b1c11", "true"),
    ("nwfilter-dumpxml nope", "true"),
    ("nwfilter-dumpxml web --xpath //rule/@action", "true"),
    ("nwfilter-define {d}/missing.xml", "true"),
    ("nwfilter-define {b}", "true"),
    ("nwfilter-binding-list", "true"),
    ("nwfilter-binding-create {b}", "true"),
    ("nwfilter-binding-create {b}", "true"),
    ("nwfilter-binding-list", "true"),
    ("nwfilter-binding-dumpxml vnet9", "true"),
    ("nwfilter-binding-dumpxml nope", "true"),
    ("nwfilter-binding-delete vnet9", "true"),
    ("nwfilter-binding-delete vnet9", "true"),
    ("nwfilter-edit web", "true"),
    ("nwfilter-edit web", "sed -i s/80/8080/"),
    ("nwfilter-dumpxml web", "true"),
    ("nwfilter-edit web", "sed -i s/accept/bogus/"),
    ("nwfilter-edit nope", "true"),
    ("nwfilter-undefine web", "true"),
    ("nwfilter-undefine web", "true"),
    ("nwfilter-list", "true"),
]


def _run(program: str, uri: str, folder: Path) -> list[tuple[str, int, str, str]]:
    files = {"f": folder / "filter.xml", "b": folder / "binding.xml", "d": folder}
    results = []
    for line, editor in COMMANDS:
        words = line.format(**files).split()
        env = {"PATH": "/usr/bin:/bin", "EDITOR": editor, "HOME": str(folder)}
        done = subprocess.run([program, "-c", uri, *words], capture_output=True, text=True, env=env, timeout=60)
        results.append((line, done.returncode, done.stdout, done.stderr))
    return results


def test_nwfilter_verbs_as_virsh(tmp_path: Path) -> None:
    need_virsh()
    (tmp_path / "filter.xml").write_text(FILTER)
    (tmp_path / "binding.xml").write_text(BINDING)
    with start_libvirtd(drivers=("nwfilter",)) as reference:
        expected = _run("virsh", reference.uri(driver="nwfilter", path="/system"), tmp_path)
    with start_virtd() as ours:
        got = _run(str(Path(sys.executable).parent / "virt"), ours.uri(driver="nwfilter", path="/system"), tmp_path)
    for mine, theirs in zip(got, expected, strict=True):
        assert mine == theirs, f"virt {mine!r}\nvirsh {theirs!r}"


@pytest.mark.parametrize("verb", ["nwfilter-list", "nwfilter-binding-list"])
def test_verbs_listed_in_help(verb: str) -> None:
    virt = str(Path(sys.executable).parent / "virt")
    done = subprocess.run([virt, "help", verb], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and verb in done.stdout

"""virConnectBaselineCPU (virsh cpu-baseline) on virt's test driver against libvirt 9.0's: generated
sets of host CPUs (every x86 model alone, pairs, and random models with random features; the other
architectures and bad input) through python3-libvirt in process, over virtd and libvirtd, virt's
own API and remote client, and virt's CLI against stock virsh."""

from __future__ import annotations

import json
import random
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import virt
from binding_sides import need_binding, session
from virt.cpubaseline import EXPAND_FEATURES, MIGRATABLE
from virt.cpumap_x86 import FEATURES, MODELS
from virt.daemon.testing import Virtd
from virt.errors import VirtError
from virt.testing import VIRSH, Libvirtd, missing_dependency

SESSION = r"""
import json, sys, libvirt
libvirt.registerErrorHandler(lambda *a: None, None)
conn = libvirt.open(sys.argv[1])
for cpus, flags in json.load(open(sys.argv[2])):
    try:
        print(json.dumps(["ok", conn.baselineCPU(cpus, flags)]))
    except libvirt.libvirtError as exc:
        print(json.dumps(["error", exc.get_error_code(), exc.get_error_domain(), exc.get_error_message()]))
"""


def _cpu(
    model: str | None, vendor: str | None = None, features: tuple[str, ...] = (), arch: str | None = "x86_64"
) -> str:
    text = "<cpu>"
    text += f"<arch>{arch}</arch>" if arch else ""
    text += f"<model>{model}</model>" if model else ""
    text += f"<vendor>{vendor}</vendor>" if vendor else ""
    return text + "".join(f"<feature name='{name}'/>" for name in features) + "</cpu>"


ODD_CASES: list[list[str]] = [
    [_cpu("EPYC", "AMD"), _cpu("SandyBridge", "Intel")],
    [_cpu("SandyBridge", "Intel"), _cpu("EPYC", "Intel")],
    [_cpu("Foo", "Intel")],
    [_cpu("SandyBridge", "Intel", ("nosuch",))],
    [_cpu("SandyBridge", "Acme")],
    [_cpu("SandyBridge", "Intel", arch=None)],
    [_cpu("SandyBridge", arch="foo")],
    [_cpu("SandyBridge", "Intel", ("vmx", "vmx"))],
    [_cpu(None, "Intel", ("fpu",))],
    ["<cpu/>"],
    ["<cpu"],
    ["<domain/>"],
    ["<cpu mode='host-model'><arch>x86_64</arch><model>SandyBridge</model></cpu>"],
    ["<cpu><arch>x86_64</arch><model>SandyBridge</model><feature/></cpu>"],
    [],
    [_cpu("SandyBridge", "Intel", arch="i686"), _cpu("Haswell", "Intel", arch="i686")],
    [_cpu("POWER8", arch="ppc64")],
    [_cpu("POWER8", "IBM", arch="ppc64le"), _cpu("POWER8", arch="ppc64le")],
    [_cpu("POWER8", arch="ppc64"), _cpu("POWER9", arch="ppc64")],
    [_cpu("POWER42", arch="ppc64")],
    [_cpu("POWER8", "Acme", arch="ppc64")],
    [_cpu("POWER8", "IBM", arch="ppc64"), _cpu("POWER8", "Freescale", arch="ppc64")],
    [_cpu("POWERPC_e5500", "IBM", arch="ppc64")],
    [_cpu("POWER8", arch="ppc64"), _cpu("POWER9", "Foo", arch="ppc64")],
    [_cpu("POWER8", "Foo", arch="ppc64"), _cpu("POWER9", arch="ppc64")],
    [_cpu("POWER42", "Foo", arch="ppc64")],
    [_cpu("cortex-a53", arch="aarch64")],
    [_cpu("cortex-a53", "ARM", arch="aarch64"), _cpu("Neoverse-N1", arch="aarch64")],
    [_cpu("z13", arch="s390x")],
    [_cpu("x", arch="sparc")],
]


def _cases(pairs: int, random_sets: int) -> list[tuple[list[str], int]]:
    """Every x86 model alone (with its vendor and without), ``pairs`` random pairs, ``random_sets``
    random sets of models with features; each with and without EXPAND_FEATURES; the odd cases; the
    flags libvirt's test driver refuses."""
    chosen = random.Random(9)
    sets: list[list[str]] = []
    for model in MODELS:
        sets += [[_cpu(model.name)], [_cpu(model.name, model.vendor)]]
    for _ in range(pairs):
        a, b = chosen.choice(MODELS), chosen.choice(MODELS)
        sets.append([_cpu(a.name, a.vendor), _cpu(b.name, b.vendor if chosen.random() < 0.8 else None)])
    for _ in range(random_sets):
        picked = [chosen.choice(MODELS) for _ in range(chosen.randint(1, 4))]
        sets.append([
            _cpu(m.name, m.vendor if chosen.random() < 0.7 else None, tuple(chosen.sample(FEATURES, chosen.randint(0, 10))))
            for m in picked
        ])  # fmt: skip
    cases = [(cpus, flags) for cpus in sets + ODD_CASES for flags in (0, EXPAND_FEATURES)]
    cases += [([_cpu("SandyBridge")], MIGRATABLE), ([_cpu("SandyBridge")], 4)]
    return cases


def _session(uri: str, cases: list[tuple[list[str], int]], tmp_path: Path) -> list[list[object]]:
    path = tmp_path / "cases.json"
    path.write_text(json.dumps(cases))
    return session(SESSION, uri, str(path))


def _virt_api(uri: str, cases: list[tuple[list[str], int]]) -> list[list[object]]:
    found: list[list[object]] = []
    with virt.open(uri) as conn:
        for cpus, flags in cases:
            try:
                found.append(["ok", conn.baseline_cpu(cpus, flags)])
            except VirtError as exc:
                found.append(["error", int(exc.code), int(exc.domain), exc.message])
    return found


def test_python3_libvirt_in_process_and_virt_api(tmp_path: Path) -> None:
    need_binding()
    cases = _cases(pairs=600, random_sets=300)
    expected = _session("test:///default", cases, tmp_path)
    assert _virt_api("test:///default", cases) == expected
    outcomes = {row[0] for row in expected}
    assert outcomes == {"ok", "error"}


def test_python3_libvirt_and_remote_client_through_virtd_as_through_libvirtd(
    daemons: tuple[Virtd, Libvirtd], tmp_path: Path
) -> None:
    ours, reference = daemons
    cases = _cases(pairs=20, random_sets=20)
    expected = _session(reference.uri(), cases, tmp_path)
    assert _session(ours.uri(), cases, tmp_path) == expected
    assert _virt_api(ours.uri(), cases) == _virt_api(reference.uri(), cases)


CPU_FILE = """<cpu>
  <arch>x86_64</arch>
  <model>Haswell-noTSX</model>
  <vendor>Intel</vendor>
  <topology sockets='1' cores='2' threads='2'/>
  <feature name='vmx'/>
  <feature name='abm'/>
</cpu>
<cpu>
  <arch>x86_64</arch>
  <model>SandyBridge</model>
  <vendor>Intel</vendor>
  <feature name='vmx'/>
</cpu>
"""
FILES = {
    "cpus.xml": CPU_FILE,
    "declared.xml": "<?xml version='1.0'?>\n" + CPU_FILE,
    "mixed.xml": (
        "<domain><cpu><arch>x86_64</arch><model>Haswell</model></cpu></domain><capabilities><host><cpu>"
        "<arch>x86_64</arch><model>SandyBridge</model><vendor>Intel</vendor></cpu></host></capabilities>"
    ),
    "none.xml": "<foo/>",
    "broken.xml": "<cpu><arch>x86_64</arch>\n  <model>SandyBridge</model x></cpu>\n",
}
COMMANDS = [
    "cpu-baseline {dir}/cpus.xml",
    "cpu-baseline {dir}/cpus.xml --features",
    "cpu-baseline --file {dir}/cpus.xml --migratable",
    "cpu-baseline {dir}/declared.xml",
    "cpu-baseline {dir}/mixed.xml",
    "cpu-baseline {dir}/none.xml",
    "cpu-baseline {dir}/broken.xml",
    "cpu-baseline {dir}/missing.xml",
    "cpu-baseline",
    "hypervisor-cpu-baseline {dir}/cpus.xml --arch x86_64 --virttype kvm",
    "hypervisor-cpu-baseline --model Haswell --features",
    "hypervisor-cpu-baseline --file {dir}/cpus.xml --model Haswell",
    "hypervisor-cpu-baseline",
]


@pytest.mark.parametrize("command", COMMANDS)
def test_cli_as_virsh(command: str, tmp_path: Path) -> None:
    if shutil.which(VIRSH) is None:
        missing_dependency("virsh is not installed (apt-get install libvirt-clients)")
    for name, text in FILES.items():
        (tmp_path / name).write_text(text)
    line = command.format(dir=tmp_path)
    virt_cli = str(Path(sys.executable).parent / "virt")

    def run(program: str) -> tuple[int, str, str]:
        done = subprocess.run([program, "-c", "test:///default", line], capture_output=True, text=True, timeout=60)
        return done.returncode, done.stdout, done.stderr

    assert run(virt_cli) == run(VIRSH)


HYPERVISOR_SESSION = r"""
import json, sys, libvirt
libvirt.registerErrorHandler(lambda *a: None, None)
conn = libvirt.open(sys.argv[1])
cpu = "<cpu><arch>x86_64</arch><model>SandyBridge</model></cpu>"
for cpus, flags, where in [([cpu], 0, (None, None, None, None)), ([cpu], 1, ("/usr/bin/qemu", "x86_64", "pc", "kvm")), ([], 0, (None,) * 4)]:
    try:
        print(json.dumps(["ok", conn.baselineHypervisorCPU(*where, cpus, flags)]))
    except libvirt.libvirtError as exc:
        print(json.dumps(["error", exc.get_error_code(), exc.get_error_domain(), exc.get_error_message()]))
"""


def test_hypervisor_baseline_is_refused_as_libvirt_refuses_it(daemons: tuple[Virtd, Libvirtd]) -> None:
    ours, reference = daemons
    need_binding()
    in_process = session(HYPERVISOR_SESSION, "test:///default")
    assert in_process[0] == [
        "error", 3, 20, "this function is not supported by the connection driver: virConnectBaselineHypervisorCPU"
    ]  # fmt: skip
    expected = session(HYPERVISOR_SESSION, reference.uri())
    assert session(HYPERVISOR_SESSION, ours.uri()) == expected
    with virt.open("test:///default") as conn, pytest.raises(VirtError) as caught:
        conn.baseline_hypervisor_cpu([_cpu("SandyBridge")], arch="x86_64")
    assert [caught.value.code, caught.value.domain, caught.value.message] == in_process[0][1:]
    with virt.open("test:///default", readonly=True) as readonly, pytest.raises(VirtError) as refused:
        readonly.baseline_hypervisor_cpu([_cpu("SandyBridge")])
    assert refused.value.message == "operation forbidden: read only access prevents virConnectBaselineHypervisorCPU"

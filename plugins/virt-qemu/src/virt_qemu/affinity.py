"""Host CPU affinity of a running QEMU's threads, from ``<vcpu cpuset>`` and ``<cputune>``.

virt-qemu manages no cgroups, so pinning is what libvirt does without them: ``sched_setaffinity``
on each vCPU's thread (found with ``query-cpus-fast``) and, for the emulator, on every other thread
of the QEMU process (its main loop, I/O and worker threads; threads QEMU creates later inherit the
affinity of the thread that creates them).
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from virt.errors import ErrorDomain, ErrorNumber, libvirt_error
from virt.localstate import stats as rules

from virt_qemu import stats as qstats

if TYPE_CHECKING:
    from virt.xml import Domain

    from virt_qemu.runtime import Running


def host_cpus() -> frozenset[int]:
    from virt.localstate import hostinfo

    return frozenset(range(hostinfo.cpu_count()))


def set_thread_affinity(tid: int, cpus: Iterable[int]) -> None:
    """Pin one thread; libvirt's words (virProcessSetAffinity) when the kernel refuses."""
    try:
        os.sched_setaffinity(tid, set(cpus))
    except OSError as exc:
        raise libvirt_error(
            ErrorNumber.SYSTEM_ERROR,
            f"cannot set CPU affinity on process {tid}: {exc.strerror or exc}",
            ErrorDomain.NONE,
        ) from exc


def process_threads(pid: int) -> list[int]:
    try:
        return sorted(int(entry.name) for entry in Path(f"/proc/{pid}/task").iterdir())
    except OSError:
        return []


def vcpu_thread(execute: qstats.Execute, running: Running, definition: Domain, vcpu: int) -> int | None:
    """The thread of online vCPU ``vcpu`` (None when it is not online)."""
    for number, tid, _ in qstats.vcpu_threads(execute, running, rules.current_vcpus(definition)):
        if number == vcpu:
            return tid
    return None


def pin_emulator(execute: qstats.Execute, running: Running, definition: Domain, cpus: Iterable[int]) -> None:
    """Every thread of QEMU that is not a vCPU's runs on ``cpus``."""
    vcpu_tids = {tid for _, tid, _ in qstats.vcpu_threads(execute, running, rules.current_vcpus(definition))}
    chosen = frozenset(cpus)
    for tid in process_threads(running.pid):
        if tid not in vcpu_tids:
            set_thread_affinity(tid, chosen)


def has_pinning(definition: Domain) -> bool:
    tune = definition.cputune
    pinned = tune is not None and (bool(tune.vcpupins) or tune.emulatorpin is not None)
    return pinned or (definition.vcpu is not None and bool(definition.vcpu.cpuset))


def apply(execute: qstats.Execute, running: Running, definition: Domain) -> None:
    """At start (QEMU still paused): the emulator's threads, then each online vCPU, as the definition says.

    A definition without any pinning leaves QEMU where the driver's own affinity lets it run.
    """
    if not has_pinning(definition):
        return
    every = host_cpus()
    pin_emulator(execute, running, definition, rules.emulator_affinity(definition, every))
    apply_vcpus(execute, running, definition)


def apply_vcpus(execute: qstats.Execute, running: Running, definition: Domain) -> None:
    """Each online vCPU's thread on its ``<vcpupin>`` / ``<vcpu cpuset>`` CPUs (after a start or a hotplug)."""
    if not has_pinning(definition):
        return
    affinities = rules.vcpu_affinities(definition, host_cpus())
    for number, tid, _ in qstats.vcpu_threads(execute, running, rules.current_vcpus(definition)):
        if number < len(affinities):
            set_thread_affinity(tid, affinities[number])

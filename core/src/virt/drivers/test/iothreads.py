"""Domain IOThreads with the rules and words of libvirt 9.0's test driver: a query reads one
definition, a change edits the live and/or persistent one as its flags say (add and delete one of
them only), and polling settings apply to a running domain only. An IOThread without pinning runs
where the domain's vCPUs may (``<vcpu cpuset>``), else anywhere on the real host, as libvirt counts it."""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import TYPE_CHECKING

from virt import domainchanges as rules
from virt import iothreads
from virt.domainchanges import Impact, parse_cpuset
from virt.drivers.test import errors
from virt.errors import ErrorDomain, ErrorNumber, InvalidArgument
from virt.iothreads import IOThreadInfo
from virt.scheduler import validate

if TYPE_CHECKING:
    from virt.domainstats import TypedParameter
    from virt.driver import DomainRef
    from virt.drivers.test.host import Host
    from virt.drivers.test.objects import DomainObj
    from virt.xml import Domain

_IMPACT = Impact.LIVE | Impact.CONFIG
_POLLING = {name: kind for name, kind in iothreads.PARAMETERS.items() if name.startswith("poll_")}
"""What libvirt's test driver takes of virDomainSetIOThreadParams' parameters: the polling ones."""


def _check_flags(flags: int, accepted: int, function: str) -> None:
    accepted = int(accepted)  # not an IntFlag: its complement keeps only the bits it names
    if flags & ~accepted:
        raise InvalidArgument(
            f"unsupported flags (0x{flags & ~accepted:x}) in function {function}",
            ErrorNumber.INVALID_ARG,
            ErrorDomain.TEST,
        )


def _host_cpu_count() -> int:
    """The real host's processors (libvirt's test driver sizes IOThread CPU maps by them)."""
    return os.cpu_count() or 1


def _affinity(definition: Domain, iothread_id: int, host_cpus: int) -> frozenset[int]:
    pinned = iothreads.pins_of(definition).get(iothread_id)
    if pinned:
        return parse_cpuset(pinned)
    vcpu = definition.vcpu
    if vcpu is not None and vcpu.cpuset:
        return parse_cpuset(vcpu.cpuset)
    return frozenset(range(host_cpus))


class IOThreadOperations:
    """The IOThread methods of TestConnection (``_domain`` callers hold ``host.lock``)."""

    host: Host

    if TYPE_CHECKING:  # DomainOperations' and ChangeOperations', beside this mixin in TestConnection

        def _domain(self, ref: DomainRef) -> DomainObj: ...
        def _definitions(self, obj: DomainObj, impact: Impact) -> list[Domain]: ...
        def _read(self, obj: DomainObj, impact: Impact) -> Domain: ...

    def get_domain_iothread_info(self, ref: DomainRef, flags: int) -> list[IOThreadInfo]:
        _check_flags(flags, _IMPACT, "testDomainGetIOThreadInfo")
        host_cpus = _host_cpu_count()
        with self.host.lock:
            definition = self._read(self._domain(ref), Impact(flags))
            return [
                IOThreadInfo(n, _affinity(definition, n, host_cpus), host_cpus) for n in iothreads.ids_of(definition)
            ]

    def pin_domain_iothread(self, ref: DomainRef, iothread_id: int, cpus: frozenset[int], flags: int) -> None:
        _check_flags(flags, _IMPACT, "testDomainPinIOThread")
        with self.host.lock:
            for definition in self._definitions(self._domain(ref), Impact(flags)):
                if iothread_id not in iothreads.ids_of(definition):
                    raise errors.error(ErrorNumber.INVALID_ARG, f"iothreadid {iothread_id} not found")
                if not cpus:
                    raise errors.error(ErrorNumber.INVALID_ARG, "Empty iothread cpumap list for pinning")
                iothreads.pin(definition, iothread_id, cpus)

    def _change_iothreads(self, ref: DomainRef, iothread_id: int, flags: int, function: str, *, add: bool) -> None:
        _check_flags(flags, _IMPACT, function)
        if iothread_id == 0:
            raise errors.error(ErrorNumber.INVALID_ARG, "invalid value of 0 for iothread_id")
        if flags & Impact.LIVE and flags & Impact.CONFIG:
            raise rules.exclusive_flags()
        with self.host.lock:
            obj = self._domain(ref)
            # the checks on every definition first: a refusal changes none of them
            definitions = self._definitions(obj, Impact(flags))
            changed = [definition.clone() for definition in definitions]
            for definition in changed:
                (iothreads.add if add else iothreads.remove)(definition, iothread_id)
            for old, new in zip(definitions, changed, strict=True):
                if old is obj.live:
                    obj.live = new
                else:
                    obj.config = new

    def add_domain_iothread(self, ref: DomainRef, iothread_id: int, flags: int) -> None:
        self._change_iothreads(ref, iothread_id, flags, "testDomainAddIOThread", add=True)

    def del_domain_iothread(self, ref: DomainRef, iothread_id: int, flags: int) -> None:
        self._change_iothreads(ref, iothread_id, flags, "testDomainDelIOThread", add=False)

    def set_domain_iothread_params(
        self, ref: DomainRef, iothread_id: int, params: Sequence[TypedParameter], flags: int
    ) -> None:
        _check_flags(flags, Impact.LIVE, "testDomainSetIOThreadParams")
        validate(params, _POLLING, ErrorDomain.NONE)
        with self.host.lock:
            obj = self._domain(ref)
            if flags & Impact.LIVE and not obj.active:
                raise rules.not_running()
            if obj.active and iothread_id not in iothreads.ids_of(obj.current):
                raise errors.error(ErrorNumber.INVALID_ARG, f"cannot find IOThread '{iothread_id}' in iothreadids")
        # libvirt's test driver keeps no polling settings: a running IOThread takes them, nothing shows them

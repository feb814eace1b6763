"""The host calls of ``qemu:///`` connections (a mixin of QemuConnection), with libvirt 9.0's QEMU
driver's rules and words: ``domxml-to-native qemu-argv`` (the definition completed as a define
completes it, then the command line), ``cpu-compare`` (virt.cpucompare against this host's
processor), the security label list (one label per security model: ``none``'s empty one while the
guest runs, none while it is off), ``dompmsuspend`` (the guest agent's ``guest-suspend-ram``,
``-disk`` or ``-hybrid``, which answers nothing when it works: QEMU's SUSPEND, or QEMU ending for a
suspend to disk, proves it) and ``dompmwakeup`` (QMP ``system_wakeup``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from virt.driver import SecurityLabel
from virt.errors import ErrorDomain, ErrorNumber, VirtError, XMLError, libvirt_error
from virt.hostcalls import CPUCompareResult, SuspendTarget
from virt.states import DomainState

from virt_qemu import errors
from virt_qemu.guestcalls import check_flags

if TYPE_CHECKING:
    from virt.driver import DomainRef

    from virt_qemu.driver import QemuDriver

_AGENT_COMMANDS = {
    SuspendTarget.MEM: "guest-suspend-ram",
    SuspendTarget.DISK: "guest-suspend-disk",
    SuspendTarget.HYBRID: "guest-suspend-hybrid",
}
ARGV_FORMAT = "qemu-argv"


class QemuHostCalls:
    """Native formats, CPU comparison, security labels and guest power management of QemuConnection."""

    if TYPE_CHECKING:

        @property
        def qemu(self) -> QemuDriver: ...

        def get_domain_security_label(self, ref: DomainRef) -> SecurityLabel | None: ...

    def domain_xml_to_native(self, native_format: str, domain_xml: str, flags: int) -> str:
        from virt.xml import Domain

        from virt_qemu.command import domain_to_argv_text

        check_flags(flags, 0, "qemuConnectDomainXMLToNative")
        if native_format != ARGV_FORMAT:
            raise libvirt_error(ErrorNumber.INVALID_ARG, f"unsupported config type {native_format}", ErrorDomain.QEMU)
        try:
            domain = Domain.from_xml(domain_xml)
        except XMLError as exc:
            from virt.cpubaseline import parse_error_text

            detail = parse_error_text("(domain_definition)", domain_xml, exc)
            raise VirtError(detail, ErrorNumber.XML_DETAIL, ErrorDomain.DOMAIN) from None
        return domain_to_argv_text(self.qemu.complete(domain))

    def compare_cpu(self, xml: str, flags: int) -> int:
        from virt.cpucompare import compare_with_host

        result: CPUCompareResult = compare_with_host(
            xml, flags, function="qemuConnectCompareCPU", error_domain=ErrorDomain.QEMU
        )
        return int(result)

    def get_domain_security_labels(self, ref: DomainRef) -> list[SecurityLabel]:
        label = self.get_domain_security_label(ref)
        with self.qemu.locked(ref) as obj:
            active = obj.active
        return [label] if active and label is not None else []

    def domain_pm_suspend_for_duration(self, ref: DomainRef, target: int, duration: int, flags: int) -> None:
        from virt_qemu import agent

        check_flags(flags, 0, "qemuDomainPMSuspendForDuration")
        if duration:
            raise errors.error(ErrorNumber.ARGUMENT_UNSUPPORTED, "Duration not supported. Use 0 for now")
        if target not in SuspendTarget.__members__.values():
            raise libvirt_error(ErrorNumber.INVALID_ARG, f"Unknown suspend target: {target}", ErrorDomain.QEMU)
        chosen = SuspendTarget(target)
        qemu = self.qemu
        with qemu.locked(ref) as obj:
            if not obj.active:
                raise errors.error(ErrorNumber.OPERATION_INVALID, "domain is not running")
            running = qemu._usable(obj)
            channel = agent.find_channel(obj.current, running.run_dir)
            path = qemu._agent_socket(obj, channel, reboot=False)
            _check_pm_states(obj.current.pm, chosen)
            timeout = agent.command_timeout(obj.agent_timeout)

        def went_down() -> bool:  # read without the lock: the event thread changes it
            return obj.state == DomainState.PMSUSPENDED or obj.running is not running

        with agent.held(running, path, timeout) as conversation:
            conversation.unanswered(_AGENT_COMMANDS[chosen], {}, timeout=timeout, went_down=went_down)

    def domain_pm_wakeup(self, ref: DomainRef, flags: int) -> None:
        from virt_qemu.monitor import QMPError

        check_flags(flags, 0, "qemuDomainPMWakeup")
        with self.qemu.locked(ref) as obj:
            if not obj.active:
                raise libvirt_error(ErrorNumber.OPERATION_INVALID, "domain is not running", ErrorDomain.DOMAIN)
            try:
                self.qemu.qmp(obj, "system_wakeup")
            except QMPError as exc:
                if exc.desc is None:
                    raise
                raise errors.internal(f"unable to execute QEMU command 'system_wakeup': {exc.desc}") from exc


def _check_pm_states(pm: object, target: SuspendTarget) -> None:
    """``<pm>``'s suspend-to-mem / suspend-to-disk said ``no``: libvirt refuses those targets."""
    from lxml import etree

    if not isinstance(pm, etree._Element):
        return
    disabled = {el.tag for el in pm if isinstance(el.tag, str) and el.get("enabled") == "no"}
    if "suspend-to-mem" in disabled and target in (SuspendTarget.MEM, SuspendTarget.HYBRID):
        raise errors.internal("S3 state is disabled for this domain")
    if "suspend-to-disk" in disabled and target is SuspendTarget.DISK:
        raise errors.internal("S4 state is disabled for this domain")

"""Domain lifecycle rules, messages and state reasons, as libvirt 9.0's test driver has them."""

from __future__ import annotations

import uuid
from collections.abc import Callable

import pytest
import virt
from virt.drivers.test.connection import TestConnection
from virt.errors import ErrorDomain, ErrorNumber, NotFound, OperationDenied, OperationInvalid, VirtError
from virt.states import DomainState, PausedReason, RunningReason, ShutdownMode, ShutoffReason
from virt.xml import Domain


def model(name: str, extra: str = "", memory: int = 1024) -> Domain:
    return Domain.from_xml(
        f"<domain type='test'><name>{name}</name>{extra}<memory>{memory}</memory><os><type>hvm</type></os></domain>"
    )


def test_state_reasons_through_a_lifecycle(conn: TestConnection) -> None:
    ref = conn.lookup_domain_by_name("test")
    steps = [
        (conn.suspend_domain, (DomainState.PAUSED, PausedReason.USER)),
        (conn.resume_domain, (DomainState.RUNNING, RunningReason.UNPAUSED)),
        (lambda ref: conn.reboot_domain(ref, ShutdownMode.DEFAULT), (DomainState.RUNNING, RunningReason.BOOTED)),
        (conn.reset_domain, (DomainState.RUNNING, RunningReason.BOOTED)),
        (lambda ref: conn.shutdown_domain(ref, ShutdownMode.DEFAULT), (DomainState.SHUTOFF, ShutoffReason.SHUTDOWN)),
        (conn.start_domain, (DomainState.RUNNING, RunningReason.BOOTED)),
        (conn.destroy_domain, (DomainState.SHUTOFF, ShutoffReason.DESTROYED)),
    ]
    for action, expected in steps:
        action(ref)
        assert conn.get_domain_state(ref) == expected, expected


def test_ids_only_grow(conn: TestConnection) -> None:
    ref = conn.lookup_domain_by_name("test")
    ids = []
    for _ in range(3):
        conn.destroy_domain(ref)
        assert conn.lookup_domain_by_uuid(ref.uuid).id == -1
        conn.start_domain(ref)
        ids.append(conn.lookup_domain_by_uuid(ref.uuid).id)
    assert ids == [2, 3, 4]
    assert conn.lookup_domain_by_id(4).name == "test"
    with pytest.raises(NotFound):
        conn.lookup_domain_by_id(1)


@pytest.mark.parametrize(
    ("prepare", "action", "cls", "code", "domain", "message"),
    [
        (
            None,
            "start_domain",
            VirtError,
            ErrorNumber.INTERNAL_ERROR,
            ErrorDomain.TEST,
            "internal error: Domain 'test' is already running",
        ),
        (
            None,
            "resume_domain",
            VirtError,
            ErrorNumber.INTERNAL_ERROR,
            ErrorDomain.TEST,
            "internal error: domain 'test' not paused",
        ),
        (
            "suspend_domain",
            "suspend_domain",
            VirtError,
            ErrorNumber.INTERNAL_ERROR,
            ErrorDomain.TEST,
            "internal error: domain 'test' not running",
        ),
        (
            "destroy_domain",
            "shutdown_domain",
            VirtError,
            ErrorNumber.INTERNAL_ERROR,
            ErrorDomain.TEST,
            "internal error: domain 'test' not running",
        ),
        (
            "destroy_domain",
            "destroy_domain",
            OperationInvalid,
            ErrorNumber.OPERATION_INVALID,
            ErrorDomain.DOMAIN,
            "Requested operation is not valid: domain is not running",
        ),
        (
            "destroy_domain",
            "reboot_domain",
            OperationInvalid,
            ErrorNumber.OPERATION_INVALID,
            ErrorDomain.DOMAIN,
            "Requested operation is not valid: domain is not running",
        ),
        (
            "destroy_domain",
            "reset_domain",
            OperationInvalid,
            ErrorNumber.OPERATION_INVALID,
            ErrorDomain.DOMAIN,
            "Requested operation is not valid: domain is not running",
        ),
    ],
)
def test_refusals(
    conn: TestConnection,
    prepare: str | None,
    action: str,
    cls: type[VirtError],
    code: ErrorNumber,
    domain: ErrorDomain,
    message: str,
) -> None:
    ref = conn.lookup_domain_by_name("test")
    if prepare:
        getattr(conn, prepare)(ref)
    with pytest.raises(cls) as caught:
        extra = (ShutdownMode.DEFAULT,) if action in {"shutdown_domain", "reboot_domain"} else ()
        getattr(conn, action)(ref, *extra)
    assert (caught.value.code, caught.value.domain, caught.value.message) == (code, domain, message)


def test_lookups_that_find_nothing(conn: TestConnection) -> None:
    lookups: list[Callable[[], object]] = [
        lambda: conn.lookup_domain_by_name("nope"),
        lambda: conn.lookup_domain_by_id(42),
        lambda: conn.lookup_domain_by_uuid(uuid.uuid4()),
    ]
    for lookup in lookups:
        with pytest.raises(NotFound) as caught:
            lookup()
        assert (caught.value.code, caught.value.domain, caught.value.message) == (
            ErrorNumber.NO_DOMAIN,
            ErrorDomain.TEST,
            "Domain not found",
        )


def test_define_conflicts(conn: TestConnection) -> None:
    with pytest.raises(VirtError) as caught:
        conn.define_domain(model("test", "<uuid>11111111-2222-3333-4444-555555555555</uuid>"))
    assert caught.value.code == ErrorNumber.OPERATION_FAILED and caught.value.domain == ErrorDomain.DOMAIN
    assert caught.value.message == (
        "operation failed: domain 'test' already exists with uuid 6695eb01-f6a4-8304-79aa-97f2502e193f"
    )
    with pytest.raises(VirtError, match="domain 'test' is already defined with uuid"):
        conn.define_domain(model("other", "<uuid>6695eb01-f6a4-8304-79aa-97f2502e193f</uuid>"))
    with pytest.raises(OperationInvalid, match="domain 'test' is already active"):
        conn.create_domain(model("test", "<uuid>6695eb01-f6a4-8304-79aa-97f2502e193f</uuid>"))
    with pytest.raises(VirtError, match="missing name information") as missing:
        conn.define_domain(Domain.from_xml("<domain type='test'><memory>1</memory></domain>"))
    assert missing.value.code == ErrorNumber.NO_NAME


def test_defined_domain_gets_libvirts_defaults(conn: TestConnection) -> None:
    ref = conn.define_domain(model("new", "<uuid>67e4490b-a6ba-4f17-8386-0616be9f6f01</uuid>"))
    assert ref.id == -1 and conn.get_domain_state(ref) == (DomainState.SHUTOFF, 0)
    # `virsh dumpxml new` after `virsh define` of the same XML, libvirt 9.0 (compared as models:
    # how an empty <devices> is written is the XML model's business)
    assert conn.get_domain_definition(ref) == Domain.from_xml(
        "<domain type='test'>\n"
        "  <name>new</name>\n"
        "  <uuid>67e4490b-a6ba-4f17-8386-0616be9f6f01</uuid>\n"
        "  <memory unit='KiB'>1024</memory>\n"
        "  <currentMemory unit='KiB'>1024</currentMemory>\n"
        "  <vcpu placement='static'>1</vcpu>\n"
        "  <os>\n"
        "    <type arch='i686'>hvm</type>\n"
        "    <boot dev='hd'/>\n"
        "  </os>\n"
        "  <clock offset='utc'/>\n"
        "  <on_poweroff>destroy</on_poweroff>\n"
        "  <on_reboot>restart</on_reboot>\n"
        "  <on_crash>destroy</on_crash>\n"
        "  <devices>\n"
        "  </devices>\n"
        "</domain>\n"
    )


def test_pending_definition_waits_for_next_boot(conn: TestConnection) -> None:
    ref = conn.define_domain(model("new"))
    conn.start_domain(ref)
    conn.define_domain(model("new", f"<uuid>{ref.uuid}</uuid>", memory=2048))
    assert conn.get_domain_definition(ref).memory == 1024
    live = conn.get_domain_definition(ref)
    assert live.id == conn.lookup_domain_by_uuid(ref.uuid).id
    pending = conn.get_domain_definition(ref, inactive=True)
    assert (pending.memory, pending.id) == (2048, None)
    assert conn.get_domain_info(ref).max_memory_kib == 1024
    conn.destroy_domain(ref)
    assert conn.get_domain_definition(ref).memory == 2048


def test_transient_domains(conn: TestConnection) -> None:
    ref = conn.create_domain(model("tr"))
    assert ref.id == 2 and not conn.is_domain_persistent(ref)
    assert conn.get_domain_definition(ref, inactive=True).id is None
    conn.shutdown_domain(ref, ShutdownMode.DEFAULT)
    with pytest.raises(NotFound) as caught:
        conn.get_domain_state(ref)
    assert caught.value.message == f"Domain not found: no domain with matching uuid '{ref.uuid}' (tr)"
    # a running persistent domain that is undefined runs on as a transient one, then vanishes
    test = conn.lookup_domain_by_name("test")
    conn.undefine_domain(test)
    assert conn.is_domain_active(test) and not conn.is_domain_persistent(test)
    conn.destroy_domain(test)
    with pytest.raises(NotFound):
        conn.lookup_domain_by_name("test")


def test_on_poweroff_restart_keeps_the_domain_running(conn: TestConnection) -> None:
    ref = conn.create_domain(model("r", "<on_poweroff>restart</on_poweroff>"))
    conn.shutdown_domain(ref, ShutdownMode.DEFAULT)
    assert conn.get_domain_state(ref) == (DomainState.RUNNING, RunningReason.BOOTED)
    ref2 = conn.create_domain(model("d", "<on_reboot>destroy</on_reboot>"))
    conn.reboot_domain(ref2, ShutdownMode.DEFAULT)
    with pytest.raises(NotFound):
        conn.get_domain_state(ref2)


def test_security_label_only_while_running(conn: TestConnection) -> None:
    ref = conn.lookup_domain_by_name("test")
    conn.destroy_domain(ref)
    label = conn.get_domain_security_label(ref)
    assert label is not None and (label.model, label.label, label.enforcing) == ("testSecurity", "", False)


def test_through_virt_open() -> None:
    with virt.open("test:///default") as conn:
        dom = conn.lookup_domain("test")
        assert dom.state() == (DomainState.RUNNING, 0)
        dom.suspend()
        assert dom.state() == (DomainState.PAUSED, PausedReason.USER)
        dom.destroy()
        assert dom.id == -1
        dom.start()
        assert dom.id == 2
        assert "<name>test</name>" in dom.xml()
        with virt.open("test:///default", readonly=True) as ro:
            assert ro.lookup_domain("test").state().state == DomainState.RUNNING  # shared host
            with pytest.raises(OperationDenied):
                ro.lookup_domain("test").destroy()
    with virt.open("test:///default") as fresh:  # every connection closed: pristine host again
        assert fresh.lookup_domain("test").id == 1


def test_shutdown_modes_are_refused_as_libvirt_does(conn: TestConnection) -> None:
    ref = conn.lookup_domain_by_name("test")
    with pytest.raises(VirtError, match=r"unsupported flags \(0x2\) in function testDomainShutdownFlags"):
        conn.shutdown_domain(ref, ShutdownMode.GUEST_AGENT)
    assert conn.get_domain_state(ref)[0] == DomainState.RUNNING


def test_mode_words_follow_virsh() -> None:
    assert ShutdownMode.from_words("acpi,agent") == ShutdownMode.ACPI_POWER_BTN | ShutdownMode.GUEST_AGENT
    assert ShutdownMode.from_words("") == ShutdownMode.DEFAULT
    with pytest.raises(ValueError, match="Unknown mode bogus"):
        ShutdownMode.from_words("bogus")

"""Domain procedures: listing, lookup, definition, lifecycle, state and facts.

Flags map to the API's arguments; a flag the API cannot honour is refused in the words the
driver would use ("unsupported flags (0x2) in function testDomainDestroyFlags"), never ignored.
"""

from __future__ import annotations

from typing import Any

from virt.connection import Domain
from virt.errors import ErrorDomain, ErrorNumber, InvalidArgument, VirtError, libvirt_error
from virt.info import DomainFilter
from virt.remote.message_types import DOMAIN_LIST_MAX
from virt.remote.procedure_numbers import RemoteProcedure as P
from virt.states import DomainState, ShutdownMode
from virt.xml.schema import refuse_invalid

from . import wire
from .listing import either, limit
from .registry import Call, handles

# virConnectListAllDomainsFlags
_LIST_ACTIVE, _LIST_INACTIVE = 1, 2
_LIST_PERSISTENT, _LIST_TRANSIENT = 4, 8
_LIST_RUNNING, _LIST_PAUSED, _LIST_SHUTOFF, _LIST_OTHER = 16, 32, 64, 128
_LIST_MANAGEDSAVE, _LIST_NO_MANAGEDSAVE = 256, 512
_LIST_AUTOSTART, _LIST_NO_AUTOSTART = 1024, 2048
_LIST_HAS_SNAPSHOT, _LIST_NO_SNAPSHOT = 4096, 8192
_LIST_HAS_CHECKPOINT, _LIST_NO_CHECKPOINT = 16384, 32768
_LIST_ALL_FLAGS = 65535

_XML_SECURE, _XML_INACTIVE = 1, 2  # virDomainXMLFlags
_DEFINE_VALIDATE = 1  # VIR_DOMAIN_DEFINE_VALIDATE
_START_VALIDATE = 16  # VIR_DOMAIN_START_VALIDATE
# virDomainModificationImpact and virDomainVcpuFlags
_AFFECT_LIVE, _AFFECT_CONFIG, _VCPU_MAXIMUM = 1, 2, 4
_MESSAGE_TAINTING, _MESSAGE_DEPRECATION = 1, 2


def listed_states(flags: int) -> set[DomainState] | None:
    """The states virConnectListAllDomains' flags ask for (None: any); virConnectGetAllDomainStats'
    flags have the same state bits."""
    return DomainFilter.selected_states(
        running=bool(flags & _LIST_RUNNING),
        paused=bool(flags & _LIST_PAUSED),
        shutoff=bool(flags & _LIST_SHUTOFF),
        other=bool(flags & _LIST_OTHER),
    )


def _listing(call: Call, flags: int) -> list[Domain]:
    states = listed_states(flags)
    return _visible_domains(
        call,
        active=either(flags, _LIST_ACTIVE, _LIST_INACTIVE),
        persistent=either(flags, _LIST_PERSISTENT, _LIST_TRANSIENT),
        states=states,
        autostart=either(flags, _LIST_AUTOSTART, _LIST_NO_AUTOSTART),
        managed_save=either(flags, _LIST_MANAGEDSAVE, _LIST_NO_MANAGEDSAVE),
        has_snapshot=either(flags, _LIST_HAS_SNAPSHOT, _LIST_NO_SNAPSHOT),
        has_checkpoint=either(flags, _LIST_HAS_CHECKPOINT, _LIST_NO_CHECKPOINT),
    )


def _visible_domains(call: Call, **filters: Any) -> list[Domain]:
    """``Connection.list_domains(**filters)`` less the domains the ACL hides from the client."""
    return [domain for domain in call.conn.list_domains(**filters) if call.visible(domain.name)]


def _domain(call: Call) -> Domain:
    return wire.domain(call.conn, call.args["dom"])


def _dom_ret(domain: Domain) -> dict[str, Any]:
    return {"dom": wire.wire_domain(domain)}


# -- listing -------------------------------------------------------------------------------------
@handles(P.CONNECT_LIST_ALL_DOMAINS)
def list_all_domains(call: Call) -> dict[str, Any]:
    domains = _listing(call, call.check_flags(_LIST_ALL_FLAGS, "ConnectListAllDomains"))
    found = [wire.wire_domain(d) for d in domains] if call.args["need_results"] else []
    return {"domains": found, "ret": len(domains)}


@handles(P.CONNECT_NUM_OF_DOMAINS)
def num_of_domains(call: Call) -> dict[str, Any]:
    return {"num": len(_visible_domains(call, active=True))}


@handles(P.CONNECT_LIST_DOMAINS)
def list_domain_ids(call: Call) -> dict[str, Any]:
    most = limit(call, "maxids", DOMAIN_LIST_MAX, "REMOTE_DOMAIN_LIST_MAX")
    return {"ids": [d.ref.id for d in _visible_domains(call, active=True)][:most]}


@handles(P.CONNECT_NUM_OF_DEFINED_DOMAINS)
def num_of_defined_domains(call: Call) -> dict[str, Any]:
    return {"num": len(_visible_domains(call, active=False))}


@handles(P.CONNECT_LIST_DEFINED_DOMAINS)
def list_defined_domains(call: Call) -> dict[str, Any]:
    most = limit(call, "maxnames", DOMAIN_LIST_MAX, "REMOTE_DOMAIN_LIST_MAX")
    return {"names": [d.name for d in _visible_domains(call, active=False)][:most]}


# -- lookup ----------------------------------------------------------------------------------------
@handles(P.DOMAIN_LOOKUP_BY_ID)
def lookup_by_id(call: Call) -> dict[str, Any]:
    return _dom_ret(call.conn.lookup_domain_by_id(call.args["id"]))


@handles(P.DOMAIN_LOOKUP_BY_NAME)
def lookup_by_name(call: Call) -> dict[str, Any]:
    return _dom_ret(call.conn.lookup_domain_by_name(call.args["name"]))


@handles(P.DOMAIN_LOOKUP_BY_UUID)
def lookup_by_uuid(call: Call) -> dict[str, Any]:
    return _dom_ret(call.conn.lookup_domain_by_uuid(call.args["uuid"]))


# -- definition ------------------------------------------------------------------------------------
@handles(P.DOMAIN_DEFINE_XML)
def define_xml(call: Call) -> dict[str, Any]:
    return _dom_ret(call.conn.define_domain(call.args["xml"]))


@handles(P.DOMAIN_DEFINE_XML_FLAGS)
def define_xml_flags(call: Call) -> dict[str, Any]:
    flags = call.check_flags(_DEFINE_VALIDATE, "DomainDefineXMLFlags")
    xml = call.args["xml"]
    if flags & _DEFINE_VALIDATE:
        refuse_invalid(xml)
    return _dom_ret(call.conn.define_domain(xml))


@handles(P.DOMAIN_CREATE_XML)
def create_xml(call: Call) -> dict[str, Any]:
    flags = call.check_flags(_START_VALIDATE, "DomainCreateXML")
    xml = call.args["xml_desc"]
    if flags & _START_VALIDATE:
        refuse_invalid(xml)
    return _dom_ret(call.conn.create_domain(xml))


@handles(P.DOMAIN_UNDEFINE)
def undefine(call: Call) -> None:
    _domain(call).undefine()


@handles(P.DOMAIN_UNDEFINE_FLAGS)
def undefine_flags(call: Call) -> None:
    # Every flag libvirt defines goes to the driver, which refuses those it cannot honour in its words.
    from virt.domainchanges import UndefineFlags

    flags = call.check_flags(sum(UndefineFlags), "DomainUndefineFlags")
    _domain(call).undefine(UndefineFlags(flags))


# -- lifecycle -------------------------------------------------------------------------------------
@handles(P.DOMAIN_CREATE)
def create(call: Call) -> None:
    _domain(call).start()


@handles(P.DOMAIN_SHUTDOWN)
def shutdown(call: Call) -> None:
    _domain(call).shutdown()


_EVERY_MODE = sum(int(mode) for mode in ShutdownMode)


def _mode(call: Call, function: str) -> ShutdownMode:
    return ShutdownMode(call.check_flags(_EVERY_MODE, function))


@handles(P.DOMAIN_SHUTDOWN_FLAGS)
def shutdown_flags(call: Call) -> None:
    _domain(call).shutdown(_mode(call, "DomainShutdownFlags"))


@handles(P.DOMAIN_REBOOT)
def reboot(call: Call) -> None:
    _domain(call).reboot(_mode(call, "DomainReboot"))


@handles(P.DOMAIN_RESET)
def reset(call: Call) -> None:
    call.check_flags(0, "DomainReset")
    _domain(call).reset()


@handles(P.DOMAIN_DESTROY)
def destroy(call: Call) -> None:
    _domain(call).destroy()


@handles(P.DOMAIN_DESTROY_FLAGS)
def destroy_flags(call: Call) -> None:
    # VIR_DOMAIN_DESTROY_GRACEFUL promises never to kill the guest outright: the API cannot promise that
    call.check_flags(0, "DomainDestroyFlags")
    _domain(call).destroy()


@handles(P.DOMAIN_SUSPEND)
def suspend(call: Call) -> None:
    _domain(call).suspend()


@handles(P.DOMAIN_RESUME)
def resume(call: Call) -> None:
    _domain(call).resume()


# -- state and facts -------------------------------------------------------------------------------
@handles(P.DOMAIN_GET_STATE)
def get_state(call: Call) -> dict[str, Any]:
    call.check_flags(0, "DomainGetState")
    state = _domain(call).state()
    return {"state": int(state.state), "reason": state.reason}


@handles(P.DOMAIN_GET_INFO)
def get_info(call: Call) -> dict[str, Any]:
    info = _domain(call).info()
    return {
        "state": int(info.state),
        "maxMem": info.max_memory_kib,
        "memory": info.memory_kib,
        "nrVirtCpu": info.vcpus,
        "cpuTime": info.cpu_time_ns,
    }


@handles(P.DOMAIN_GET_XML_DESC)
def get_xml_desc(call: Call) -> dict[str, Any]:
    flags = call.check_flags(_XML_SECURE | _XML_INACTIVE, "DomainGetXMLDesc")
    xml = _domain(call).xml(inactive=bool(flags & _XML_INACTIVE), secure=bool(flags & _XML_SECURE))
    return {"xml": xml}


@handles(P.DOMAIN_GET_OS_TYPE)
def get_os_type(call: Call) -> dict[str, Any]:
    return {"type": _domain(call).os_type()}


@handles(P.DOMAIN_IS_ACTIVE)
def is_active(call: Call) -> dict[str, Any]:
    return {"active": int(_domain(call).is_active())}


@handles(P.DOMAIN_IS_PERSISTENT)
def is_persistent(call: Call) -> dict[str, Any]:
    return {"persistent": int(_domain(call).is_persistent())}


@handles(P.DOMAIN_IS_UPDATED)
def is_updated(call: Call) -> dict[str, Any]:
    # "Updated" means a live change (a hotplug) made the running domain differ from its persistent
    # definition; the API has no live changes, so no domain ever is. The domain must exist, though.
    _domain(call).is_active()
    return {"updated": 0}


@handles(P.DOMAIN_GET_AUTOSTART)
def get_autostart(call: Call) -> dict[str, Any]:
    return {"autostart": int(_domain(call).autostart)}


@handles(P.DOMAIN_SET_AUTOSTART)
def set_autostart(call: Call) -> None:
    _domain(call).set_autostart(bool(call.args["autostart"]))


@handles(P.DOMAIN_HAS_MANAGED_SAVE_IMAGE)
def has_managed_save_image(call: Call) -> dict[str, Any]:
    call.check_flags(0, "DomainHasManagedSaveImage")
    return {"result": int(_domain(call).has_managed_save())}


@handles(P.DOMAIN_GET_SECURITY_LABEL)
def get_security_label(call: Call) -> dict[str, Any]:
    label = _domain(call).security_label()
    if label is None:  # no security driver on the host: libvirt sends an empty label
        return {"label": "", "enforcing": 0}
    return {"label": label.label, "enforcing": int(label.enforcing)}


@handles(P.DOMAIN_GET_MESSAGES)
def get_messages(call: Call) -> dict[str, Any]:
    call.check_flags(_MESSAGE_TAINTING | _MESSAGE_DEPRECATION, "DomainGetMessages")
    # libvirt's messages are taint and deprecation warnings its drivers record; virt's drivers
    # record none. The domain must exist all the same.
    _domain(call).is_active()
    return {"msgs": []}


@handles(P.DOMAIN_GET_MAX_MEMORY)
def get_max_memory(call: Call) -> dict[str, Any]:
    return {"memory": _domain(call).info().max_memory_kib}


def _vcpus(domain: Domain, *, config: bool, maximum: bool) -> int:
    vcpu = domain.model(inactive=config).vcpu
    count = vcpu.count if vcpu is not None and vcpu.count else 1
    if maximum or vcpu is None or vcpu.current is None:
        return count
    return vcpu.current


def _not_running() -> VirtError:
    return libvirt_error(ErrorNumber.OPERATION_INVALID, "domain is not running", ErrorDomain.DOMAIN)


@handles(P.DOMAIN_GET_MAX_VCPUS)
def get_max_vcpus(call: Call) -> dict[str, Any]:
    domain = _domain(call)
    if not domain.is_active():
        raise _not_running()  # libvirt asks the live definition, which only a running domain has
    return {"num": _vcpus(domain, config=False, maximum=True)}


@handles(P.DOMAIN_GET_VCPUS_FLAGS)
def get_vcpus_flags(call: Call) -> dict[str, Any]:
    flags = call.check_flags(_AFFECT_LIVE | _AFFECT_CONFIG | _VCPU_MAXIMUM, "DomainGetVcpusFlags")
    if flags & _AFFECT_LIVE and flags & _AFFECT_CONFIG:
        raise InvalidArgument(
            "Flags 'VIR_DOMAIN_AFFECT_LIVE' and 'VIR_DOMAIN_AFFECT_CONFIG' are mutually exclusive",
            domain=ErrorDomain.DOMAIN,
        )
    domain = _domain(call)
    active = domain.is_active()
    if flags & _AFFECT_LIVE and not active:
        raise _not_running()
    config = bool(flags & _AFFECT_CONFIG) or not active
    return {"num": _vcpus(domain, config=config, maximum=bool(flags & _VCPU_MAXIMUM))}

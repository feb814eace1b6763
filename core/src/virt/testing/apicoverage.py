"""How much of libvirt 9.0's API a driver serves through virtd, against what libvirt's own driver
for that hypervisor implements (issue 15's coverage figures).

libvirt's side is ``data/libvirt_driver_calls.json``: the calls each of libvirt's drivers
implements, as libvirt 9.0's generated support matrix (hvsupport.html) lists them. virt's side is
worked out, not kept by hand: each virtd handler runs once against a recording driver that stops
at the first driver operation it calls, with arguments decoded from an all-zero payload (then, if
that is refused before the driver is reached, with numbers 1, names ``x`` and a small document
where XML is expected). A call is served by a driver when virtd has a handler for it and the driver
class overrides that operation (or the handler answers without the driver: the connection's type,
URI, library version...). A handler that calls a lookup before its own operation counts on the
lookup: the figure is an upper bound that a driver overriding the lookup only would inflate, which
no driver of virt does.
"""

from __future__ import annotations

import functools
import inspect
import json
import types
from collections.abc import Iterable
from pathlib import Path
from typing import Any

DATA = Path(__file__).with_name("data") / "libvirt_driver_calls.json"
CLIENT_SIDE = frozenset({"virConnectIsAlive", "virConnectIsEncrypted", "virDomainCreateLinux"})
"""Answered by libvirt's client library itself: no procedure exists for them (virDomainCreateLinux is
virDomainCreateXML under its old name)."""
DAEMON_ONLY = frozenset({"virConnectOpen", "virAuthSaslInit", "virAuthSaslStart", "virAuthSaslStep", "virAuthPolkit"})
"""Served by virtd for every driver, and refused when called outside a real client's session."""
_FIRST_OPERATION = {
    "virDomainRename": "rename_domain",
    "virNodeGetFreePages": "get_node_free_pages",
    # lists: an empty one is refused before the driver, and what a driver takes in them varies
    "virConnectBaselineCPU": "baseline_cpu",
    "virSecretSetValue": "set_secret_value",
    "virConnectBaselineHypervisorCPU": "baseline_hypervisor_cpu",
    "virDomainSetMemoryParameters": "set_domain_memory_parameters",
    "virDomainSetNumaParameters": "set_domain_numa_parameters",
    "virDomainSetBlkioParameters": "set_domain_blkio_parameters",
    "virDomainSetInterfaceParameters": "set_domain_interface_parameters",
    "virDomainSetBlockIoTune": "set_domain_block_io_tune",
    "virDomainSetPerfEvents": "set_domain_perf_events",
    "virNodeSetMemoryParameters": "set_node_memory_parameters",
    "virDomainSetIOThreadParams": "set_domain_iothread_params",
}
"""Handlers whose arguments no generic filling gets past their checks: the operation they call."""
_VIA = {"virDomainMigrate": "virDomainMigratePerform3Params"}
"""hvsupport's entries that stand for several procedures: virDomainMigrate is the client library's
dance over the driver's migration phases, served when its perform is."""
_FALLBACKS = {"undefine_domain_flags": ("undefine_domain",)}
"""Operations the public API stands in for with another when a driver lacks them (Domain.undefine
without flags)."""
_DOCUMENTS = {
    "storagevol": "<volume><name>x</name><capacity>1</capacity></volume>",
    "storagepool": "<pool type='dir'><name>x</name><target><path>/x</path></target></pool>",
    "network": "<network><name>x</name></network>",
    "interface": "<interface type='ethernet' name='x'/>",
    "nodedevice": "<device><name>x</name><capability type='mdev'/></device>",
}
_DOMAIN_DOCUMENT = "<domain type='test'><name>x</name><memory>1024</memory><os><type>hvm</type></os></domain>"


def libvirt_calls(driver: str) -> frozenset[str]:
    """The calls libvirt 9.0's driver ``driver`` (``qemu``, ``test``, ``lxc``, ``esx``...) implements."""
    found = json.loads(DATA.read_text())["drivers"].get(driver)
    if found is None:
        raise KeyError(f"libvirt has no driver {driver!r} in {DATA.name}")
    return frozenset(found)


@functools.cache
def first_operations() -> dict[str, str | None]:
    """Each call virtd has a handler for, and the driver operation its handler calls first (None:
    answered without the driver)."""
    from virt.daemon.apinames import api_name
    from virt.daemon.procedures import handlers
    from virt.remote.messages import REMOTE_PROCEDURES

    found: dict[str, str | None] = {}
    unresolved: dict[str, str] = {}
    for number, handler in handlers().items():
        procedure = REMOTE_PROCEDURES.get(number)
        if procedure is None:
            continue
        api = api_name(procedure)
        outcome = _probe(handler.function, procedure, api)
        if isinstance(outcome, Exception):
            if api in _FIRST_OPERATION:
                found[api] = _FIRST_OPERATION[api]
            elif api in DAEMON_ONLY:
                found[api] = None
            else:
                unresolved[api] = f"{type(outcome).__name__}: {outcome}"
        else:
            found[api] = outcome
    for api in list(unresolved):
        registration = api.replace("Deregister", "Register")
        if "Deregister" in api and registration in found:
            found[api] = found[registration]  # one subscription serves both
            del unresolved[api]
    if unresolved:
        raise AssertionError(
            "virtd handlers the coverage probe cannot get to a driver operation (name it in "
            f"_FIRST_OPERATION): {unresolved}"
        )
    return found


def served(connection_class: type[Any], calls: Iterable[str]) -> frozenset[str]:
    """Which of ``calls`` virtd serves for a driver whose connections are ``connection_class``."""
    # the wire spells some words otherwise than the API (virInterfaceLookupByMACString)
    operations = {api.lower(): operation for api, operation in first_operations().items()}
    result = set()
    for call in calls:
        if call in CLIENT_SIDE:
            result.add(call)
        elif _VIA.get(call, call).lower() in operations:
            operation = operations[_VIA.get(call, call).lower()]
            if operation is None or any(
                not getattr(getattr(connection_class, name), "__virt_optional__", False)
                for name in (operation, *_FALLBACKS.get(operation, ()))
            ):
                result.add(call)
    return frozenset(result)


# -- the probe ----------------------------------------------------------------------------------------
class _Reached(Exception):
    """The handler called a driver operation: its name is the exception's argument."""


@functools.cache
def _recorder() -> type[Any]:
    from virt.driver import DriverConnection

    def stop(name: str) -> Any:
        def operation(self: object, *args: object, **kwargs: object) -> None:
            raise _Reached(name)

        return operation

    names = [name for name, _ in inspect.getmembers(DriverConnection, inspect.isfunction) if not name.startswith("_")]
    return type("RecordingDriver", (DriverConnection,), {name: stop(name) for name in names if name != "close"})


def _probe(function: Any, procedure: Any, api: str) -> str | Exception | None:
    from virt.remote import xdr

    zero = procedure.args.unpack(xdr.Reader(bytes(16384)))
    first = _run(function, zero)
    if not isinstance(first, Exception):
        return first
    second = _run(function, _filled(zero, _document_for(api)))
    if not isinstance(second, Exception):
        return second
    # optional strings (a user name, a new name) decode as None: try them as names too
    return _run(function, _filled(zero, _document_for(api), optional_text=True))


def _run(function: Any, args: Any) -> str | Exception | None:
    from virt.connection import Connection
    from virt.daemon.procedures.registry import Call
    from virt.daemon.session import Session
    from virt.uri import parse

    driver = object.__new__(_recorder())  # no __init__: it connects nowhere
    client = types.SimpleNamespace(readonly=False, data={}, identity=types.SimpleNamespace(transport="unix"))
    session = Session(client)  # type: ignore[arg-type]
    session.connection = Connection(driver, parse("test:///default"), readonly=False)
    try:
        function(Call(session, args))
    except _Reached as reached:
        return str(reached.args[0])
    except Exception as exc:  # noqa: BLE001 - refused before any driver operation: reported
        return exc
    return None


def _document_for(api: str) -> str:
    lowered = api.lower()
    return next((text for kind, text in _DOCUMENTS.items() if lowered.startswith(f"vir{kind}")
                 or f"vir{kind}" in lowered.replace("virconnect", "vir")), _DOMAIN_DOCUMENT)  # fmt: skip


def _filled(value: Any, document: str, key: str = "", *, optional_text: bool = False) -> Any:
    """``value`` with numbers 1 (flags stay 0), names ``x``, paths ``/x`` and XML where expected
    (``optional_text``: absent values too, as names)."""
    if isinstance(value, dict):
        return {name: _filled(item, document, name, optional_text=optional_text) for name, item in value.items()}
    if value is None and optional_text:
        return _filled("", document, key)
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return 0 if key == "flags" else 1
    if isinstance(value, str):
        if "xml" in key.lower():
            return document
        return "/x" if "path" in key or key in ("to", "from") else "x"
    return value


def check_coverage(libvirt_driver: str, connection_class: type[Any], not_served: Path, label: str) -> str:
    """Compare the calls of libvirt's ``libvirt_driver`` that virtd serves for ``connection_class``
    with ``not_served`` (a file listing, one a line, those it does not serve yet): fails when a call
    served before is no longer served, and when one listed there is served now (the list shrinks
    with the work). Returns the figure, for the test to print."""
    calls = libvirt_calls(libvirt_driver)
    missing = calls - served(connection_class, calls)
    listed = {line.strip() for line in not_served.read_text().splitlines() if line.strip().startswith("vir")}
    lost, gained = missing - listed, listed - missing
    assert not lost, f"calls {label} served before and no longer serves: {sorted(lost)}"
    assert not gained, f"calls {label} serves now: take them off {not_served.name}: {sorted(gained)}"
    count = len(calls) - len(missing)
    return f"{label} serves {count} of the {len(calls)} calls of libvirt 9.0's {libvirt_driver} driver"


def write_not_served(libvirt_driver: str, connection_class: type[Any], not_served: Path, header: str) -> None:
    """(Re)write the ``not_served`` list for ``check_coverage`` (run by hand when calls land)."""
    calls = libvirt_calls(libvirt_driver)
    missing = sorted(calls - served(connection_class, calls))
    not_served.write_text(header.rstrip("\n") + "\n" + "".join(f"{call}\n" for call in missing))

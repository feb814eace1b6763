"""Scheduler parameters (virsh schedinfo; virDomain{Get,Set}SchedulerParameters[Flags], GetSchedulerType)
on virt's test driver against libvirt 9.0's: through python3-libvirt in process and over each daemon,
virt's own API, and virt's CLI against stock virsh."""

from __future__ import annotations

import pytest
import virt
from binding_sides import calls_session, cli_as_virsh, need_binding, same_through_daemons
from virt.daemon.testing import Virtd
from virt.domainchanges import Impact
from virt.domainstats import ParamType, TypedParameter
from virt.errors import VirtError
from virt.testing import Libvirtd

# Every call python3-libvirt makes for these APIs, with its result or its error, as JSON lines.
CALLS = r"""
dom = conn.lookupByName("test")
calls = [
    ("type", lambda: dom.schedulerType()),
    ("get", lambda: dom.schedulerParameters()),
    ("get live", lambda: dom.schedulerParametersFlags(libvirt.VIR_DOMAIN_AFFECT_LIVE)),
    ("get current", lambda: dom.schedulerParametersFlags(0)),
    ("set", lambda: dom.setSchedulerParameters({"weight": 100})),
    ("get after set", lambda: dom.schedulerParameters()),
    ("set flags", lambda: dom.setSchedulerParametersFlags({"weight": 7}, libvirt.VIR_DOMAIN_AFFECT_CONFIG)),
    ("destroy", lambda: dom.destroy()),
    ("type inactive", lambda: dom.schedulerType()),
    ("get inactive", lambda: dom.schedulerParameters()),
    ("start", lambda: dom.create()),
]
"""


def _session(uri: str, readonly: bool = False) -> list[list[object]]:
    return calls_session(CALLS, uri, readonly)


@pytest.mark.parametrize("readonly", [False, True], ids=["read-write", "read-only"])
def test_python3_libvirt_through_virtd_as_through_libvirtd(daemons: tuple[Virtd, Libvirtd], readonly: bool) -> None:
    expected = same_through_daemons(daemons, CALLS, readonly)
    assert ["type", "ok", ["fair", 1]] in expected  # the scenario reached the scheduler at all


def test_python3_libvirt_in_process() -> None:
    """The binding on libvirt's own test:///default: the answers virt's API gives below."""
    need_binding()
    results = {row[0]: row[1:] for row in _session("test:///default")}
    assert results["type"] == ["ok", ["fair", 1]]
    assert results["get"] == ["ok", {"weight": 50}]
    assert results["get live"] == [
        "error",
        8,
        12,
        "unsupported flags (0x5) in function testDomainGetSchedulerParametersFlags",
    ]
    assert results["set"] == ["ok", 0]
    assert results["get after set"] == ["ok", {"weight": 50}]


def test_virt_api() -> None:
    # connections closed at the end: the shared default host is fresh again for the next test
    with virt.open("test:///default") as conn, virt.open("test:///default", readonly=True) as readonly_conn:
        _check_virt_api(conn.lookup_domain_by_name("test"), readonly_conn.lookup_domain_by_name("test"))


def _check_virt_api(dom: virt.Domain, readonly: virt.Domain) -> None:
    assert tuple(dom.scheduler_type()) == ("fair", 1)
    assert dom.scheduler_parameters() == [TypedParameter("weight", ParamType.UINT, 50)]
    with pytest.raises(
        VirtError, match=r"^unsupported flags \(0x5\) in function testDomainGetSchedulerParametersFlags$"
    ):
        dom.scheduler_parameters(Impact.LIVE)
    with pytest.raises(VirtError, match="mutually exclusive"):
        dom.scheduler_parameters(Impact.LIVE | Impact.CONFIG)
    dom.set_scheduler_parameters([TypedParameter("weight", ParamType.UINT, 100)])
    assert dom.scheduler_parameters()[0].value == 50  # libvirt's test driver keeps its weight
    refusals = {
        "cap": (TypedParameter("cap", ParamType.UINT, 1), "argument unsupported: parameter 'cap' not supported"),
        "type": (
            TypedParameter("weight", ParamType.INT, 1),
            "invalid argument: invalid type 'int' for parameter 'weight', expected 'uint'",
        ),
    }
    for param, message in refusals.values():
        with pytest.raises(VirtError) as caught:
            dom.set_scheduler_parameters([param])
        assert caught.value.message == message
    twice = [TypedParameter("weight", ParamType.UINT, 1)] * 2
    with pytest.raises(VirtError, match="parameter 'weight' occurs multiple times"):
        dom.set_scheduler_parameters(twice)
    with pytest.raises(VirtError, match=r"read only access prevents virDomainSetSchedulerParameters$"):
        readonly.set_scheduler_parameters([TypedParameter("weight", ParamType.UINT, 1)])


COMMANDS = [
    "schedinfo test",
    "schedinfo test --set weight=77",
    "schedinfo test weight=3",
    "schedinfo --domain test --set weight=5 --set weight=6",
    "schedinfo --set weight=9 test",
    "schedinfo test --weight 4",
    "schedinfo test --set cap=3",
    "schedinfo test --set weight=abc",
    "schedinfo test --set weight=-1",
    "schedinfo test --set weight=-4294967296",
    "schedinfo test --set weight=4294967296",
    "schedinfo test --set 'weight= 12'",
    "schedinfo test --set 'weight=12 '",
    "schedinfo test --set weight=1_0",
    "schedinfo test --set weight=+7",
    "schedinfo test --set weight",
    "schedinfo test --config",
    "schedinfo test --live weight=3",
    "schedinfo test --current",
    "schedinfo test --live --config",
    "schedinfo test --current --live",
    "schedinfo nope",
]


@pytest.mark.parametrize("command", COMMANDS)
def test_cli_as_virsh(command: str) -> None:
    ours, reference = cli_as_virsh(command)
    assert ours == reference


@pytest.mark.parametrize(
    ("type_", "text", "value"),
    [
        (ParamType.INT, " -7", -7),
        (ParamType.INT, "2147483648", None),
        (ParamType.UINT, "-1", 2**32 - 1),
        (ParamType.ULLONG, "-1", 2**64 - 1),
        (ParamType.LLONG, "9223372036854775808", None),
        (ParamType.DOUBLE, " 1.5e3", 1500.0),
        (ParamType.DOUBLE, "1.5 ", None),
        (ParamType.DOUBLE, "1_0", None),
        (ParamType.BOOLEAN, "TRUE", True),
        (ParamType.BOOLEAN, "0", False),
        (ParamType.BOOLEAN, "yes", None),
        (ParamType.STRING, " any ", " any "),
    ],
)
def test_values_read_as_virsh_reads_them(type_: ParamType, text: str, value: object) -> None:
    """virTypedParamsAddFromString's readings, for the types the test driver's weight does not show."""
    from virt.cli.commands.scheduler import typed_value
    from virt.cli.context import CommandError

    if value is None:
        with pytest.raises(CommandError, match="Invalid value for field 'f'"):
            typed_value("f", type_, text)
    else:
        assert typed_value("f", type_, text) == TypedParameter("f", type_, value)  # type: ignore[arg-type]


def _refusals(conn: virt.Connection) -> list[tuple[int, int, str]]:
    dom = conn.lookup_domain_by_name("test")
    found = []
    for params in ([TypedParameter("cap", ParamType.UINT, 1)], [TypedParameter("weight", ParamType.INT, 1)]):
        with pytest.raises(VirtError) as caught:
            dom.set_scheduler_parameters(params)
        found.append((int(caught.value.code), int(caught.value.domain), caught.value.message))
    return found


def test_refused_parameters_as_libvirtd_refuses_them(daemons: tuple[Virtd, Libvirtd]) -> None:
    """virTypedParamsValidate's refusals come from libvirt's util code (no error domain), in process as
    through either daemon."""
    ours, reference = daemons
    with virt.open(reference.uri()) as conn:
        expected = _refusals(conn)
    with virt.open(ours.uri()) as conn:
        assert _refusals(conn) == expected
    with virt.open("test:///default") as conn:
        assert _refusals(conn) == expected
    assert expected[0][1] == 0

"""How much of libvirt's test driver virtd serves: each call in its driver tables
(data/libvirt_test_driver_calls.txt) is served when virtd has a handler for a procedure of that API.

The figures are printed (``pytest -s``); the calls not served yet are listed below, and the test
fails both when one of the others stops being served and when one listed here starts to be (then
the list shrinks with the work).
"""

from __future__ import annotations

from pathlib import Path

from virt.daemon.apinames import api_name
from virt.daemon.procedures import handlers
from virt.remote.messages import REMOTE_PROCEDURES

CALLS = Path(__file__).with_name("data") / "libvirt_test_driver_calls.txt"
CLIENT_SIDE = {"virConnectIsAlive", "virConnectIsEncrypted"}
"""Answered by libvirt's client library itself: no procedure exists for them."""
NOT_SERVED_YET: set[str] = set()
"""Every call of libvirt's test driver with a procedure is served: a call that lands later goes here first."""


def _calls() -> list[str]:
    return [line for line in CALLS.read_text().splitlines() if line.startswith("vir")]


def unserved() -> set[str]:
    """The test driver's calls (those with a procedure) that virtd has no handler for."""
    procedures: dict[str, list[int]] = {}
    for number, procedure in REMOTE_PROCEDURES.items():
        # case aside: the wire names some words otherwise (MAC_STRING, virInterfaceLookupByMACString)
        procedures.setdefault(api_name(procedure).lower(), []).append(number)
    served = handlers()
    return {
        call
        for call in _calls()
        if call not in CLIENT_SIDE and not any(n in served for n in procedures.get(call.lower(), []))
    }


def test_coverage_of_the_test_driver() -> None:
    calls = [c for c in _calls() if c not in CLIENT_SIDE]
    missing = unserved()
    print(f"virtd serves {len(calls) - len(missing)} of the {len(calls)} calls of libvirt's test driver")
    assert missing - NOT_SERVED_YET == set(), "served before, no longer"
    assert NOT_SERVED_YET - missing == set(), "served now: take them off NOT_SERVED_YET"


def test_checklist_is_whole() -> None:
    calls = _calls()
    assert len(calls) == len(set(calls)) > 200
    assert set(calls) >= CLIENT_SIDE | NOT_SERVED_YET

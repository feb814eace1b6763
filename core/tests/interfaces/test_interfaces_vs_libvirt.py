"""virt's test driver, through the typed API, against libvirt 9.0's (python3-libvirt) on the same steps."""

from __future__ import annotations

import virt
from iface_steps import SCENARIO, libvirt_results, virt_results


def test_the_scenario_answers_as_libvirts_test_driver() -> None:
    theirs = libvirt_results("test:///default", SCENARIO)
    with virt.open("test:///default") as conn:
        ours = virt_results(conn, SCENARIO)
    for step, mine, reference in zip(SCENARIO, ours, theirs, strict=True):
        assert mine == reference, step

"""Autostart through the host's AutoStartManager, which the simulator lacks: a scripted manager."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from pyVmomi import vim
from virt.driver import DomainRef
from virt_esx import domains
from virt_esx.vms import VmRecord

Manager = vim.host.AutoStartManager


class ScriptedManager:
    def __init__(self) -> None:
        self.specs: list[Any] = []

    def ReconfigureAutostart(self, spec: Any) -> None:
        self.specs.append(spec)


class ScriptedServer:
    """Just what the autostart functions use of a Server."""

    def call(self, action: str) -> contextlib.AbstractContextManager[None]:
        return contextlib.nullcontext()


def entry(moref: str, action: str) -> Any:
    return Manager.AutoPowerInfo(key=vim.VirtualMachine(moref), startAction=action, startOrder=1, startDelay=-1,
                                 waitForHeartbeat="systemDefault", stopAction="systemDefault", stopDelay=-1)  # fmt: skip


@pytest.fixture
def manager(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[ScriptedManager, list[Any]]]:
    scripted = ScriptedManager()
    configs: list[Any] = [Manager.Config(defaults=Manager.SystemDefaults(enabled=True), powerInfo=[])]
    monkeypatch.setattr(domains, "_autostart_config", lambda server: (scripted, configs[0]))
    web = VmRecord(vim.VirtualMachine("vm-7"), "vm-7", "web", uuid.UUID(int=7), "poweredOff")
    monkeypatch.setattr(domains, "read_ref", lambda server, ref, **kwargs: web)
    yield scripted, configs


REF = DomainRef("web", uuid.UUID(int=7))


def test_a_vm_autostarts_when_the_host_does_and_its_entry_powers_it_on(
    manager: tuple[ScriptedManager, list[Any]],
) -> None:
    _, configs = manager
    server: Any = ScriptedServer()
    assert not domains.autostart_of(server, REF)
    configs[0].powerInfo = [entry("vm-7", "powerOn"), entry("vm-8", "none")]
    assert domains.autostart_of(server, REF)
    assert domains.autostarted(server) == {"vm-7"}
    configs[0].defaults.enabled = False  # the host starts nothing: the entries do not count
    assert not domains.autostart_of(server, REF)


def test_enabling_turns_the_hosts_autostart_on(manager: tuple[ScriptedManager, list[Any]]) -> None:
    scripted, configs = manager
    configs[0].defaults.enabled = False
    server: Any = ScriptedServer()
    domains.set_autostart(server, REF, True)
    spec = scripted.specs[-1]
    assert spec.defaults.enabled is True
    assert [(p.key._moId, p.startAction) for p in spec.powerInfo] == [("vm-7", "powerOn")]
    configs[0].defaults.enabled = True
    domains.set_autostart(server, REF, False)
    spec = scripted.specs[-1]
    assert spec.defaults is None  # disabling one VM leaves the host's setting alone
    assert [(p.key._moId, p.startAction) for p in spec.powerInfo] == [("vm-7", "none")]

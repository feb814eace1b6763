"""Waiting for tasks: progress, failures, and VM questions (which the simulator never asks), against a
scripted server: each poll returns the next task state and VM question of a script."""

from __future__ import annotations

from typing import Any

import pytest
from pyVmomi import vim
from virt.errors import ErrorNumber, OperationInvalid, VirtError
from virt_esx import tasks
from virt_esx.collector import Found

TASK = vim.Task("task-1")
VM = vim.VirtualMachine("vm-1")


def question(default: int = 1) -> Any:
    choices = [vim.ElementDescription(key="0", label="Cancel"), vim.ElementDescription(key="1", label="I Copied It")]
    return vim.vm.QuestionInfo(
        id="q-7", text="This virtual machine might have been moved or copied.",
        choice=vim.option.ChoiceOption(choiceInfo=choices, defaultIndex=default),
    )  # fmt: skip


class ScriptedVm:
    """Stands for the VM: records the answers it is given."""

    def __init__(self) -> None:
        self.answers: list[tuple[str, str]] = []

    def AnswerVM(self, question_id: str, choice: str) -> None:
        self.answers.append((question_id, choice))


class ScriptedTask:
    def __init__(self) -> None:
        self.cancelled = False

    def CancelTask(self) -> None:
        self.cancelled = True


def script(monkeypatch: pytest.MonkeyPatch, steps: list[tuple[dict[str, Any], Any]]) -> list[float]:
    """Make each poll answer the next (task properties, VM question); returns the pauses slept."""
    remaining = list(steps)

    def poll(collector: Any, task: Any, vm: Any) -> tuple[Found | None, Found | None]:
        props, asked = remaining.pop(0)
        return Found(TASK, props), (Found(VM, {"runtime.question": asked}) if vm is not None else None)

    monkeypatch.setattr(tasks, "_poll", poll)
    return []


def wait(
    monkeypatch: pytest.MonkeyPatch, steps: list[tuple[dict[str, Any], Any]], **kwargs: Any
) -> tuple[Any, list[float]]:
    pauses = script(monkeypatch, steps)
    result = tasks.wait(None, kwargs.pop("task", ScriptedTask()), action="cannot start domain 'x'", server="s",
                        sleep=pauses.append, **kwargs)  # fmt: skip
    return result, pauses


def test_progress_is_reported_until_success(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[int | None] = []
    steps = [
        ({"info.state": "queued", "info.progress": None}, None),
        ({"info.state": "running", "info.progress": 40}, None),
        ({"info.state": "running", "info.progress": 90}, None),
        ({"info.state": "success", "info.result": "done"}, None),
    ]
    result, pauses = wait(monkeypatch, steps, progress=seen.append)
    assert result == "done"
    assert seen == [None, 40, 90]
    assert pauses == sorted(pauses) and pauses[0] < 0.1  # quick first, then slower


def test_a_failed_task_raises_the_servers_fault(monkeypatch: pytest.MonkeyPatch) -> None:
    fault = vim.fault.InvalidPowerState(requestedState="poweredOn", existingState="suspended")
    with pytest.raises(OperationInvalid) as info:
        wait(monkeypatch, [({"info.state": "error", "info.error": vmodl_fault(fault)}, None)])
    assert info.value.message == (
        "cannot start domain 'x': the virtual machine is suspended, the operation needs it poweredOn"
    )


def vmodl_fault(fault: Any) -> Any:
    """A task's ``info.error``: a LocalizedMethodFault around the fault."""
    from pyVmomi import vmodl

    return vmodl.LocalizedMethodFault(fault=fault, localizedMessage="")


def test_a_question_is_answered_with_its_default_under_auto_answer(monkeypatch: pytest.MonkeyPatch) -> None:
    vm = ScriptedVm()
    steps = [
        ({"info.state": "running"}, question()),
        ({"info.state": "running"}, question()),  # still shown while the answer sinks in: answered once
        ({"info.state": "success"}, None),
    ]
    wait(monkeypatch, steps, vm=vm, auto_answer=True)
    assert vm.answers == [("q-7", "1")]


def test_without_auto_answer_a_question_cancels_the_task(monkeypatch: pytest.MonkeyPatch) -> None:
    task = ScriptedTask()
    with pytest.raises(VirtError) as info:
        wait(monkeypatch, [({"info.state": "running"}, question())], vm=ScriptedVm(), task=task)
    assert task.cancelled
    assert info.value.code == ErrorNumber.OPERATION_FAILED
    assert (
        "waits for an answer to question 'This virtual machine might have been moved or copied.'" in info.value.message
    )
    assert "possible answers 'Cancel', 'I Copied It'" in info.value.message and "auto_answer=1" in info.value.message


def test_a_question_without_a_usable_default_is_reported(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(VirtError, match="has no default answer"):
        wait(monkeypatch, [({"info.state": "running"}, question(default=5))], vm=ScriptedVm(), auto_answer=True)

"""Waiting for server tasks (power on, create, search...) with progress and VM questions answered.

A task is polled (its ``info`` and, for a VM's task, the VM's pending question in one request),
first at once (most finish within the call that started them), then with growing pauses up to
one second. Polling needs no PropertyCollector of its own, so concurrent waits on one session do
not steal each other's updates. A question blocking the VM (a moved VM's UUID, a full disk...) is
answered with its default choice under ``auto_answer=1``; otherwise the task is cancelled and the
question reported, as libvirt's ESX driver does.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from pyVmomi import vim
from virt.errors import ErrorDomain, ErrorNumber, VirtError

from virt_esx.collector import PC, Found, retrieve
from virt_esx.faults import calling, fault_error

ProgressReport = Callable[[int | None], None]
_FIRST_PAUSE = 0.02
_LONGEST_PAUSE = 1.0


def _poll(collector: Any, task: Any, vm: Any | None) -> tuple[Found | None, Found | None]:
    object_specs = [PC.ObjectSpec(obj=task, skip=False)]
    prop_specs = [PC.PropertySpec(type=vim.Task, pathSet=["info.state", "info.progress", "info.error", "info.result"])]
    if vm is not None:
        object_specs.append(PC.ObjectSpec(obj=vm, skip=False))
        prop_specs.append(PC.PropertySpec(type=vim.VirtualMachine, pathSet=["runtime.question"]))
    found = retrieve(collector, [PC.FilterSpec(objectSet=object_specs, propSet=prop_specs)])
    task_found = next((f for f in found if isinstance(f.obj, vim.Task)), None)
    vm_found = next((f for f in found if isinstance(f.obj, vim.VirtualMachine)), None)
    return task_found, vm_found


def _question_text(question: Any) -> str:
    text = str(getattr(question, "text", "") or "").strip() or "(no text)"
    choices = getattr(getattr(question, "choice", None), "choiceInfo", None) or []
    labels = ", ".join(f"'{c.label or c.key}'" for c in choices)
    return f"question '{text}'" + (f", possible answers {labels}" if labels else "")


def _answer(vm: Any, question: Any, action: str, server: str) -> None:
    choice = question.choice
    options = choice.choiceInfo or []
    index = choice.defaultIndex if choice.defaultIndex is not None else 0
    if not options or not 0 <= index < len(options):
        raise VirtError(
            f"{action}: the virtual machine asks {_question_text(question)} and has no default answer",
            ErrorNumber.OPERATION_FAILED,
            ErrorDomain.ESX,
        )
    with calling(f"{action}: answering the virtual machine's question", server):
        vm.AnswerVM(question.id, options[index].key)


def wait(
    collector: Any,
    task: Any,
    *,
    action: str,
    server: str,
    vm: Any | None = None,
    auto_answer: bool = False,
    progress: ProgressReport | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> Any:
    """The task's result once it succeeded; its error (worded with ``action``) if it failed."""
    pause = _FIRST_PAUSE
    answered: set[str] = set()
    while True:
        with calling(action, server):
            task_found, vm_found = _poll(collector, task, vm)
        if task_found is None:
            raise VirtError(
                f"{action}: the server lost track of the task", ErrorNumber.OPERATION_FAILED, ErrorDomain.ESX
            )
        state = str(task_found.get("info.state"))
        if state == "success":
            return task_found.get("info.result")
        if state == "error":
            fault = task_found.get("info.error")
            cause = getattr(fault, "fault", None) or fault
            if cause is None:
                raise VirtError(f"{action}: the task failed", ErrorNumber.OPERATION_FAILED, ErrorDomain.ESX)
            raise fault_error(action, cause)
        question = vm_found.get("runtime.question") if vm_found is not None else None
        if question is not None and question.id not in answered:
            if not auto_answer:
                with calling(f"{action}: cancelling the task", server):
                    task.CancelTask()
                raise VirtError(
                    f"{action}: the virtual machine waits for an answer to {_question_text(question)};"
                    " answer it on the server, or connect with auto_answer=1 to take the default answer",
                    ErrorNumber.OPERATION_FAILED,
                    ErrorDomain.ESX,
                )
            _answer(vm, question, action, server)
            answered.add(question.id)
        if progress is not None:
            value = task_found.get("info.progress")
            progress(int(value) if value is not None else None)
        sleep(pause)
        pause = min(pause * 2, _LONGEST_PAUSE)

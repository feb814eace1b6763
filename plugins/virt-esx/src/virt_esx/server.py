"""What every part of the driver uses: the logged-in session, the URI's scope, the VM snapshot, and
the way to call the server (errors worded, tasks awaited with progress)."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from virt_esx import collector, faults, tasks
from virt_esx.collector import Found
from virt_esx.inventory import Scope
from virt_esx.params import EsxParams
from virt_esx.session import Session
from virt_esx.vms import Snapshot

SNAPSHOT_MAX_AGE = 1.0
"""Seconds a listing's answer serves the reads that follow it (see ``virt_esx.vms``)."""

Report = Callable[[str, "int | None", bool], None]


class Server:
    def __init__(self, params: EsxParams, session: Session, scope: Scope, report: Report) -> None:
        self.params = params
        self.session = session
        self.scope = scope
        self.snapshot = Snapshot(SNAPSHOT_MAX_AGE)
        self._report = report

    @property
    def content(self) -> Any:
        return self.session.content

    @property
    def stub(self) -> Any:
        return self.session.stub

    def call(self, action: str) -> contextlib.AbstractContextManager[None]:
        """A block whose server and network failures become VirtErrors starting with ``action``."""
        return faults.calling(action, self.params.url)

    def retrieve(self, action: str, specs: Sequence[Any]) -> list[Found]:
        with self.call(action):
            return collector.retrieve(self.content.propertyCollector, specs)

    def properties(self, action: str, obj: Any, kind: type, paths: Sequence[str]) -> Found | None:
        with self.call(action):
            return collector.retrieve_one(self.content.propertyCollector, obj, kind, paths)

    @contextlib.contextmanager
    def _progress(self, words: str) -> Iterator[Callable[[int | None], None]]:
        try:
            yield lambda percent: self._report(words, percent, False)
        finally:
            self._report(words, None, True)

    def run_task(self, start: Callable[[], Any], *, action: str, words: str, vm: Any | None = None) -> Any:
        """Start a task with ``start()`` and wait for its result, reporting progress as ``words``."""
        with self.call(action):
            task = start()
        with self._progress(words) as progress:
            return tasks.wait(
                self.content.propertyCollector,
                task,
                action=action,
                server=self.params.url,
                vm=vm,
                auto_answer=self.params.auto_answer,
                progress=progress,
            )

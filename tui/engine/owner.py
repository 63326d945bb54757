"""One thread that owns a resource; all work on it is queued to that thread."""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import TypeVar

T = TypeVar("T")


class OwnerThread:
    """Runs submitted callables one at a time on a single daemon thread."""

    def __init__(self, name: str) -> None:
        self._jobs: queue.SimpleQueue[Callable[[], None] | None] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def submit(self, job: Callable[[], T]) -> Future[T]:
        future: Future[T] = Future()

        def run() -> None:
            if not future.set_running_or_notify_cancel():
                return
            try:
                future.set_result(job())
            except BaseException as exc:  # noqa: BLE001 - handed to the caller
                future.set_exception(exc)
        self._jobs.put(run)
        return future

    def _run(self) -> None:
        while (run := self._jobs.get()) is not None:
            run()

    def shutdown(self, timeout: float | None = 5.0) -> None:
        self._jobs.put(None)
        if threading.current_thread() is not self._thread:
            self._thread.join(timeout)

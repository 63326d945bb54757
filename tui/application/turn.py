"""A prompt's answer being generated: iterate it for text; it saves itself as it goes.

When history cannot be saved mid-answer (a full disk), the generation is stopped, the
text streamed so far stays shown, and iterating ends by raising that one-line error.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from tui.alignment.conversation import Message, Status
from tui.alignment.diary.entry import DiaryError
from tui.engine.base import Generation
from tui.errors import CoalignError, DataDirError, HistoryError

if TYPE_CHECKING:
    from tui.application.service import ChatService

CHECKPOINT_SECONDS = 0.5


@dataclass
class Turn:
    """A prompt and its answer being generated; iterate it for text pieces."""

    service: ChatService
    prompt: Message
    answer: Message
    generation: Generation
    save_error: CoalignError | None = field(default=None, init=False)  # it could not be saved
    stop_signal: str = field(default="stopped", init=False)  # stored as why it was stopped

    def __iter__(self) -> Iterator[str]:
        return self._saved_as_it_goes(iter(self.generation))

    def batches(self, interval: float) -> Iterator[str]:
        """The text joined per interval (Generation.batches), saved as it goes."""
        return self._saved_as_it_goes(self.generation.batches(interval))

    def _saved_as_it_goes(self, pieces: Iterator[str]) -> Iterator[str]:
        store = self.service.store
        last_save = time.monotonic()
        try:
            for piece in pieces:
                yield piece
                if self.save_error is None and time.monotonic() - last_save >= CHECKPOINT_SECONDS:
                    try:
                        store.update_message(self.answer.id, content=self.generation.text)
                    except HistoryError as exc:  # stop cleanly; what was shown stays shown
                        self.save_error = HistoryError(
                            f"{exc}; the answer was stopped (what is shown is not all saved)")
                        self.generation.stop()
                    last_save = time.monotonic()
        finally:
            self._finish()
        if self.save_error is not None:
            raise self.save_error

    def stop(self, signal: str = "stopped") -> None:
        """Stop the answer; signal is stored as why ('stopped' by the user, 'quit', …)."""
        self.stop_signal = signal
        self.generation.stop()

    def wait(self) -> str:
        for _ in self:
            pass
        return self.text

    @property
    def text(self) -> str:
        return self.generation.text

    @property
    def status(self) -> Status:
        return self.answer.status

    def _finish(self) -> None:
        if self.answer.status is not Status.STREAMING:
            return
        if not self.generation.done:  # consumer gave up early: stop and drain the producer
            self.generation.stop()
            for _ in self.generation:
                pass
        generation = self.generation
        if generation.error is not None:  # failed before any text: an error, not a break
            status = Status.INTERRUPTED if generation.text else Status.ERROR
        elif generation.stopped or generation.stats.finish_reason == "cancelled":
            status = Status.STOPPED
        else:
            status = Status.COMPLETE
        meta: dict[str, object] = {"stats": generation.stats.as_dict()}
        if generation.probs_available:
            meta["token_probs"] = [[t.text, t.prob] for t in generation.tokens]
        if status is Status.STOPPED:
            meta["signal"] = self.stop_signal
        if generation.error is not None:
            meta["error"] = str(generation.error)
        self.answer.status = status
        self.answer.content = generation.text
        try:  # never raises: this runs as the stream closes; __iter__ raises save_error after
            self.service.store.update_message(
                self.answer.id, content=generation.text, status=status, meta=meta
            )
            for listener in self.service.turn_listeners:
                listener(self)
        except HistoryError as exc:
            self.save_error = self.save_error or exc
        except DiaryError as exc:  # the diary's participant file is broken (a merge conflict)
            self.save_error = self.save_error or DataDirError(f"usage not recorded: {exc}")
        except OSError as exc:  # a listener's file (today's usage record) on a full disk
            self.save_error = self.save_error or DataDirError(
                f"cannot write {exc.filename or 'a file'}: {exc.strerror or exc}; "
                "free space there or fix its permissions")

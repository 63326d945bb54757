"""A prompt's answer being generated: iterate it for text; it saves itself as it goes."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from tui.alignment.conversation import Message, Status
from tui.engine.base import Generation

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

    def __iter__(self) -> Iterator[str]:
        store = self.service.store
        last_save = time.monotonic()
        try:
            for piece in self.generation:
                yield piece
                if time.monotonic() - last_save >= CHECKPOINT_SECONDS:
                    store.update_message(self.answer.id, content=self.generation.text)
                    last_save = time.monotonic()
        finally:
            self._finish()

    def stop(self) -> None:
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
        if generation.error is not None:
            status = Status.INTERRUPTED
        elif generation.stopped or generation.stats.finish_reason == "cancelled":
            status = Status.STOPPED
        else:
            status = Status.COMPLETE
        meta: dict[str, object] = {"stats": generation.stats.as_dict()}
        if generation.probs_available:
            meta["token_probs"] = [[t.text, t.prob] for t in generation.tokens]
        if status is Status.STOPPED:
            meta["signal"] = "stopped"
        if generation.error is not None:
            meta["error"] = str(generation.error)
        self.service.store.update_message(
            self.answer.id, content=generation.text, status=status, meta=meta
        )
        self.answer.status = status
        self.answer.content = generation.text
        for listener in self.service.turn_listeners:
            listener(self)

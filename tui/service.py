"""The chat service: turns a user's prompt into a stored, streamed answer.

Every interface (TUI, REPL, `coalign ask`) drives conversations through this one class:
input -> action -> ChatService (domain store) -> engine -> token stream -> view.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from dataclasses import dataclass

from tui.alignment.conversation import Message, Role, Session, Status, chat_messages
from tui.alignment.store import Store
from tui.alignment.text import strip_control
from tui.engine.base import Engine, Generation, SamplingSettings

CHECKPOINT_SECONDS = 0.5
TITLE_LENGTH = 60


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
        if status is Status.STOPPED:
            meta["signal"] = "stopped"
        if generation.error is not None:
            meta["error"] = str(generation.error)
        self.service.store.update_message(
            self.answer.id, content=generation.text, status=status, meta=meta
        )
        self.answer.status = status
        self.answer.content = generation.text


class ChatService:
    """One user's conversations over one engine and one store."""

    def __init__(
        self,
        store: Store,
        engine: Engine,
        settings: SamplingSettings,
        system_prompt: str,
    ) -> None:
        self.store = store
        self.engine = engine
        self.settings = settings
        self.system_prompt = system_prompt
        self.session: Session | None = None

    # sessions ---------------------------------------------------------------

    def resume_latest(self) -> Session | None:
        """Continue the most recent conversation, if there is one."""
        self.session = self.store.latest_session()
        return self.session

    def new_session(self) -> None:
        """Start afresh; the session row is created with the first message."""
        self.session = None

    def open_session(self, session_id: int) -> Session:
        """Continue a past session; it becomes the one resumed at the next start."""
        session = self.store.session(session_id)
        self.store.set_head(session.id, session.head_id)
        self.session = self.store.session(session_id)
        return self.session

    def transcript(self) -> list[Message]:
        """The current branch of the current session, oldest first."""
        if self.session is None:
            return []
        return self.store.path_to(self.store.session(self.session.id).head_id)

    def last_answer(self) -> Message | None:
        for message in reversed(self.transcript()):
            if message.role is Role.ASSISTANT:
                return message
        return None

    # turns -----------------------------------------------------------------

    def send(self, prompt: str) -> Turn:
        """Store the prompt, start the answer, and return the Turn to iterate."""
        prompt = strip_control(prompt).strip()
        if not prompt:
            raise ValueError("empty prompt")
        if self.session is None:
            self.session = self.store.create_session(title=prompt[:TITLE_LENGTH])
        history = self.transcript()
        parent_id = history[-1].id if history else None
        model = self.engine.info.label if self.engine.info else None
        user = self.store.add_message(self.session.id, parent_id, Role.USER, prompt, model=model)
        answer = self.store.add_message(
            self.session.id, user.id, Role.ASSISTANT, "", Status.STREAMING,
            model=model, meta={"pid": os.getpid()},
        )
        messages = chat_messages(self.system_prompt, [*history, user])
        generation = self.engine.generate(messages, self.settings)
        return Turn(self, user, answer, generation)

"""The conversation part of the chat screen: messages, prompt line, status line, footer;
sending a prompt and streaming its answer in a worker."""

from __future__ import annotations

import gc
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from functools import partial

from textual import work
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Input

from tui.actions import parse_slash
from tui.alignment.conversation import Message, Role, Status
from tui.alignment.engagement import PausedError
from tui.application import candidates
from tui.application.diary import DiaryRecorder
from tui.application.service import ChatService
from tui.application.turn import Turn
from tui.errors import LimitReached
from tui.output.lines import one_line
from tui.screens.limit import LimitScreen
from tui.widgets.conversation import (
    THINKING,
    WAITING,
    AnswerView,
    MessageView,
    PromptInput,
    StatusLine,
    UserMessage,
)

FRAME_SECONDS = 0.25  # post streamed text to the UI at most this often (see StreamView)


def batched(pieces: Iterable[str], interval: float) -> Iterator[str]:
    """Join pieces that arrive within interval of the last yield (first one at once).

    Fewer UI updates per token leave the GIL to the generation thread.
    """
    buffer: list[str] = []
    last = 0.0
    for piece in pieces:
        buffer.append(piece)
        now = time.monotonic()
        if now - last >= interval:
            yield "".join(buffer)
            buffer.clear()
            last = now
    if buffer:
        yield "".join(buffer)


_HELD_THRESHOLD = 1_000_000
_threshold = [gc.get_threshold()[2]]


def hold_full_collections(hold: bool) -> None:
    """Hold the cyclic collector's full collections while an answer streams, and let them
    run again after it. One walks every object the app has made (30-60 ms of a frozen UI
    here, every few seconds); the young generations are still collected meanwhile."""
    young, middle, old = gc.get_threshold()
    if hold and old != _HELD_THRESHOLD:
        _threshold[0] = old
    gc.set_threshold(young, middle, _HELD_THRESHOLD if hold else _threshold[0])


def message_view(message: Message, note: str = "") -> MessageView:
    """The widget that shows one stored message."""
    if message.role is Role.USER:
        return UserMessage(message.content)
    return AnswerView(message.content, message.status, str(message.meta.get("error", "")),
                      note=note)


class ConversationScreen(Screen[None]):
    """The conversation and its prompt line: sending, streaming, stopping, limits; the
    chat screen adds the other actions."""

    AUTO_FOCUS = "#prompt"
    DEFAULT_CSS = """
    ChatScreen #messages { height: 1fr; padding: 0 1; }
    """

    def __init__(self, service: ChatService, keymap: Mapping[str, str],
                 diary: DiaryRecorder | None = None) -> None:
        super().__init__()
        self.service = service
        self.keymap = keymap
        self.diary = diary
        self.busy = False
        self._turn: Turn | None = None
        self._stop_requested = threading.Event()

    def compose(self) -> ComposeResult:
        yield VerticalScroll(id="messages")
        yield PromptInput(placeholder="Ask a question, or type /help", id="prompt")
        yield StatusLine(self.service.engine)
        yield Footer(compact=True)

    def show_profile(self) -> None:
        profile = self.service.profile
        self.query_one(StatusLine).set_profile(profile.name if profile else "")

    async def on_mount(self) -> None:
        self.show_profile()
        self.query_one("#messages", VerticalScroll).anchor()
        self.service.resume_latest()
        await self.show_transcript()

    async def show_transcript(self) -> None:
        """Replace the view with the current session's messages."""
        messages = self.query_one("#messages", VerticalScroll)
        await messages.remove_children()
        await messages.mount_all(
            [message_view(m, self.service.answer_note(m)) for m in self.service.transcript()])
        messages.scroll_end(animate=False)

    def on_unmount(self) -> None:
        if self.busy:  # the app quit mid-answer: give the process its full collections back
            hold_full_collections(False)

    def _problem(self, exc: Exception) -> None:
        """A refused action as one line (never markup, never a traceback)."""
        self.notify(one_line(exc), severity="warning", markup=False)

    def _refuse_while_busy(self) -> bool:
        if self.busy:
            self.notify("Still answering; stop the answer first.", severity="warning")
        return self.busy

    # sending ----------------------------------------------------------------

    async def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        await self.run_action("send")

    async def action_send(self) -> None:
        prompt = self.query_one("#prompt", Input)
        line = prompt.value.strip()
        if not line:
            return
        action, rest = parse_slash(line)
        if line.startswith("/"):
            prompt.value = ""
            if action is None:
                self.notify(f"Unknown command {line.split()[0]}; /help lists them.",
                            severity="warning", markup=False)
                return
            if action.id != "send":
                call = f"{action.method}({rest!r})" if action.args else action.method
                await self.run_action(call)
                return
            line = rest
        if not line or self._refuse_while_busy():
            return
        prompt.value = ""
        await self._start_turn(line)

    async def _start_turn(self, prompt: str) -> None:
        await self.run_turn(partial(self.service.send, prompt), prompt)

    async def run_turn(self, start: Callable[[], Turn], prompt: str | None = None) -> None:
        """Show a new answer (under a new prompt, if given) and generate it in a worker."""
        try:  # checked here too, so that nothing is shown for a refused turn
            self.service.check_can_answer()
        except LimitReached as exc:
            self.app.push_screen(LimitScreen(exc.described), self._after_limit)
            return
        except PausedError as exc:
            self.notify(f"{one_line(exc)} (F7).", severity="warning", markup=False)
            return
        messages = self.query_one("#messages", VerticalScroll)
        loaded = self.service.engine.info is not None
        answer = AnswerView(status=Status.STREAMING, pending=THINKING if loaded else WAITING)
        await messages.mount_all([UserMessage(prompt), answer] if prompt else [answer])
        messages.scroll_end(animate=False)
        self.busy = True
        hold_full_collections(True)
        self.query_one("#prompt", Input).cursor_blink = False  # a repaint twice a second
        self._stop_requested.clear()
        self.query_one(StatusLine).set_busy(True)
        self.app.refresh_bindings()
        self._generate(start, answer)

    @work(thread=True, exclusive=True, group="generate")
    def _generate(self, start: Callable[[], Turn], answer: AnswerView) -> None:
        """Runs in a thread: start the turn, then post its text to the answer as it comes."""
        error = ""
        try:
            turn = self._turn = start()
        except Exception as exc:  # shown on the answer, never raised into the UI
            answer.post_message(AnswerView.Ended("", Status.ERROR, None, str(exc)))
            return
        if self._stop_requested.is_set():
            turn.stop()
        try:
            for text in batched(turn, FRAME_SECONDS):
                answer.post_message(AnswerView.Piece(text))
        except Exception as exc:
            error = str(exc)
        finally:
            self._turn = None
        generation = turn.generation
        error = str(generation.error) if generation.error is not None else error
        answer.post_message(AnswerView.Ended(turn.text, turn.status, generation.stats, error))

    def _after_limit(self, override: bool | None) -> None:
        if override:
            self.service.override_limits()
            self.notify("Limits overridden for today. Send your prompt again.", markup=False)

    def action_override_limits(self) -> None:
        self._after_limit(True)

    def _warn_near_limit(self) -> None:
        status = self.service.limit_status()
        if status is not None and status.near and not status.reached:
            self.notify(f"Near your daily limit: {status.describe()}.", markup=False)

    def on_answer_view_ended(self, message: AnswerView.Ended) -> None:
        self._warn_near_limit()
        last = self.service.last_answer()
        views = self.query(AnswerView)
        if last is not None and views:
            views.last().set_note(self.service.answer_note(last))
        self.busy = False
        hold_full_collections(False)
        self.query_one("#prompt", Input).cursor_blink = True
        self.query_one(StatusLine).set_busy(False, message.stats)
        self.app.refresh_bindings()
        self.call_after_refresh(self.after_answer)  # more candidates, or choose the best

    def action_stop(self) -> None:
        if not self.busy:
            return
        self._stop_requested.set()
        turn = self._turn
        if turn is not None:
            turn.stop()

    async def after_answer(self) -> None:
        """When the profile asks for N candidates: generate the next, or show the best."""
        step = candidates.next_step(self.service)
        if step == candidates.GENERATE:
            number, wanted = candidates.progress(self.service)
            self.notify(f"Candidate {number} of {wanted}: your profile "
                        "asks for several answers and shows the best (Esc stops).", markup=False)
            views = list(self.query(AnswerView))
            if views:
                await views[-1].remove()
            await self.run_turn(lambda: candidates.generate_next(self.service))
        elif step == candidates.CHOOSE:
            ranked = candidates.choose_best(self.service)
            await self.show_transcript()
            self.notify(candidates.summary(ranked), markup=False, timeout=10)

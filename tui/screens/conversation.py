"""The conversation part of the chat screen: messages, prompt line, status line, footer;
sending a prompt and streaming its answer in a worker."""

from __future__ import annotations

import gc
import sys
import threading
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import fields
from functools import partial

from textual import work
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.timer import Timer

from tui.actions import action, parse_slash
from tui.alignment.conversation import Message, Role, Status
from tui.alignment.engagement import Pause, PausedError
from tui.application import candidates
from tui.application.diary import DiaryRecorder
from tui.application.profiles import change_line
from tui.application.service import ChatService
from tui.application.sources import answer_lines
from tui.application.turn import Turn
from tui.engine.base import GenerationStats
from tui.errors import LimitReached
from tui.output.lines import one_line
from tui.screens.limit import LimitScreen
from tui.screens.pause import TICK_SECONDS, end_if_time_is_up, time_up
from tui.widgets.conversation import (
    THINKING,
    WAITING,
    AnswerView,
    MessageView,
    PromptInput,
    StatusLine,
    UserMessage,
    Welcome,
)
from tui.widgets.footer import KeysFooter

FRAME_SECONDS = 0.25  # post streamed text to the UI this often (Generation.batches, StreamView)
READING_CHECK_SECONDS = 0.25  # how often a long prompt's reading progress is looked at

_HELD_THRESHOLD = 1_000_000
_threshold = [gc.get_threshold()[2]]
# While an answer streams, the generation thread needs the GIL back after every token's
# llama_decode; with Python's default 5 ms switch interval, each frame the UI thread draws
# keeps it waiting up to 5 ms (at ~80 tokens/s, 12 ms a token), so the interval is
# shortened to 1 ms while an answer streams.
STREAMING_SWITCH_SECONDS = 0.001
_switch = [sys.getswitchinterval()]


def hold_for_streaming(hold: bool) -> None:
    """While an answer streams: hold the cyclic collector's full collections, and hand the
    GIL to the generation thread sooner; let both be as they were after it. A full
    collection walks every object the app has made (30-60 ms of a frozen UI here, every
    few seconds); the young generations are still collected meanwhile."""
    young, middle, old = gc.get_threshold()
    if hold and old != _HELD_THRESHOLD:
        _threshold[0] = old
        _switch[0] = sys.getswitchinterval()
    gc.set_threshold(young, middle, _HELD_THRESHOLD if hold else _threshold[0])
    sys.setswitchinterval(min(_switch[0], STREAMING_SWITCH_SECONDS) if hold else _switch[0])


PLACEHOLDER = "Ask a question, or type /help · Enter sends, ctrl+j starts a new line"


def cut_notice(message: Message) -> str:
    """Why an answer ended short of its own end, beyond its status: the token limit, or
    coalign closing mid-answer ('' otherwise)."""
    if message.meta.get("signal") == "quit":
        return "when coalign was closed"
    stats = message.meta.get("stats")
    if not isinstance(stats, dict) or stats.get("finish_reason") != "length":
        return ""
    told = message.meta.get("told")
    settings = told.get("settings") if isinstance(told, dict) else None
    limit = settings.get("max_tokens") if isinstance(settings, dict) else None
    limit = limit or stats.get("generated_tokens")
    return f"cut off at the token limit (max_tokens {limit}): raise max_tokens, then /retry"


def stored_stats(message: Message | None) -> GenerationStats | None:
    """The figures an answer recorded, for the status line (None: none recorded)."""
    raw = message.meta.get("stats") if message is not None else None
    if not isinstance(raw, dict):
        return None
    names = {field.name for field in fields(GenerationStats)}
    try:
        return GenerationStats(**{key: value for key, value in raw.items() if key in names})
    except TypeError:
        return None


def message_view(message: Message, note: str = "") -> MessageView:
    """The widget that shows one stored message."""
    if message.role is Role.USER:
        return UserMessage(message.content)
    return AnswerView(message.content, message.status, str(message.meta.get("error", "")),
                      note=note, notice=cut_notice(message), sources=answer_lines(message))


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
        self._stop_signal = "stopped"  # why the answer is being stopped ('quit' as it closes)
        self._turn: Turn | None = None
        self._reading: Timer | None = None  # shows a long prompt's reading progress
        self._stop_requested = threading.Event()
        self._watched_pause: Pause | None = None
        self._pause_timer: Timer | None = None

    def compose(self) -> ComposeResult:
        yield VerticalScroll(id="messages")
        yield PromptInput(placeholder=PLACEHOLDER, id="prompt")
        yield StatusLine(self.service.engine)
        yield KeysFooter(compact=True)

    @property
    def prompt(self) -> PromptInput:
        return self.query_one("#prompt", PromptInput)

    def show_profile(self) -> None:
        name = self.service.profile.name if self.service.profile else ""
        self.query_one(StatusLine).set_profile(name)
        for welcome in self.query(Welcome):
            welcome.set_profile(name)

    async def on_mount(self) -> None:
        self.show_profile()
        self.query_one("#messages", VerticalScroll).anchor()
        self.service.resume_latest()
        await self.show_transcript()
        self.watch_pause()  # one taken before this start, or in another front end

    def welcome(self) -> Welcome:
        info, profile = self.service.engine.info, self.service.profile
        return Welcome(self.keymap, info.label if info else "", profile.name if profile else "")

    async def show_transcript(self) -> None:
        """Replace the view with the current session's messages (a welcome when there are
        none yet), and the status line's figures with its last answer's."""
        messages = self.query_one("#messages", VerticalScroll)
        await messages.remove_children()
        transcript = self.service.transcript()
        await messages.mount_all(
            [message_view(m, self.service.answer_note(m)) for m in transcript]
            or [self.welcome()])
        messages.scroll_end(animate=False)
        answers = [m for m in transcript if m.role is Role.ASSISTANT]
        self.query_one(StatusLine).show_stats(stored_stats(answers[-1] if answers else None))

    def on_status_line_model_ready(self, message: StatusLine.ModelReady) -> None:
        for welcome in self.query(Welcome):
            welcome.set_model(message.info.label)

    def on_unmount(self) -> None:
        if self.busy:  # the app quit mid-answer: give the process its full collections back
            hold_for_streaming(False)

    def _problem(self, exc: Exception) -> None:
        """A refused action as one line (never markup, never a traceback)."""
        self.notify(one_line(exc), severity="warning", markup=False)

    def _refuse_while_busy(self) -> bool:
        if self.busy:
            self.notify("Still answering; stop the answer first.", severity="warning")
        return self.busy

    # sending ----------------------------------------------------------------

    async def on_prompt_input_submitted(self, event: PromptInput.Submitted) -> None:
        event.stop()
        await self.run_action("send")

    async def action_send(self) -> None:
        prompt = self.prompt
        line = prompt.value.strip()
        if not line:
            return
        action, rest = parse_slash(line)
        if line.startswith("/"):
            if action is None or action.id != "send":
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
        # The prompt stays in the box until its turn starts: a limit or a pause keeps it.
        if await self.run_turn(partial(self.service.send, line), line, resend=True):
            prompt.value = ""

    async def run_turn(self, start: Callable[[], Turn], prompt: str | None = None,
                       resend: bool = False) -> bool:
        """Show a new answer (under a new prompt, if given) and generate it in a worker;
        False when a pause or a daily limit refused it. resend: the turn sends the prompt
        box, which keeps it (after an override, what it holds then is sent); otherwise
        (a retry, a candidate, which took the last answer off the screen) the answers are
        shown as stored, and an override starts the same turn again in the last one's
        place."""
        try:  # checked here too, so that nothing is shown for a refused turn
            self.service.check_can_answer()
        except (LimitReached, PausedError) as exc:
            if not resend:
                await self.show_transcript()
            if isinstance(exc, LimitReached):
                again = (partial(self.run_action, "send") if resend
                         else partial(self._turn_in_place_of_last, start))
                self.app.push_screen(LimitScreen(exc.described),
                                     partial(self._after_limit, again, resend))
            else:
                kept = " Your prompt is kept." if resend else ""
                self.notify(f"{one_line(exc)} (F7).{kept}", severity="warning", markup=False)
                self.watch_pause()
            return False
        messages = self.query_one("#messages", VerticalScroll)
        for welcome in self.query(Welcome):
            await welcome.remove()
        loaded = self.service.engine.info is not None
        answer = AnswerView(status=Status.STREAMING, pending=THINKING if loaded else WAITING)
        await messages.mount_all([UserMessage(prompt), answer] if prompt else [answer])
        messages.scroll_end(animate=False)
        self.busy = True
        hold_for_streaming(True)
        self.prompt.cursor_blink = False  # a repaint twice a second
        self._stop_requested.clear()
        self.query_one(StatusLine).set_busy(True)
        self.app.refresh_bindings()
        self._generate(start, answer)
        self._reading = self.set_interval(READING_CHECK_SECONDS,
                                          partial(self._show_reading, answer))
        return True

    def _show_reading(self, answer: AnswerView) -> None:
        """While a long history is read before the first token, say how far it has got."""
        turn = self._turn
        progress = turn.generation.prompt_progress if turn is not None else None
        if progress is not None:
            answer.set_pending(f"reading the conversation: {progress[0]:,} of "
                               f"{progress[1]:,} tokens…")
        elif (not self.busy or answer.text) and self._reading is not None:
            self._reading.stop()

    # a pause no dialog shows (left with Esc, or taken in another front end) --------

    def watch_pause(self) -> None:
        """Show the pause in force, if any, in the status line, and end it here when its
        time is up (the resume key ends it sooner)."""
        self._watched_pause = self.service.paused
        if self._watched_pause is None:
            self.stop_watching_pause()
            return
        self._show_pause(self._watched_pause)
        if self._pause_timer is None:
            self._pause_timer = self.set_interval(TICK_SECONDS, self._tick_pause)

    def stop_watching_pause(self) -> None:
        if self._pause_timer is not None:
            self._pause_timer.stop()
            self._pause_timer = None
        self._watched_pause = None
        self.query_one(StatusLine).set_paused("")

    def _show_pause(self, state: Pause) -> None:
        key = self.keymap.get("resume", action("resume").key)
        now = self.service.engagement.clock()
        self.query_one(StatusLine).set_paused(f"{state.describe(now)} · {key} resumes")

    def _tick_pause(self) -> None:
        state = self._watched_pause
        if state is not None and end_if_time_is_up(self.service, state):
            self.stop_watching_pause()
            self.notify(time_up(state), markup=False)
            return
        self._watched_pause = self.service.paused
        if self._watched_pause is None:  # resumed in another front end
            self.stop_watching_pause()
        else:
            self._show_pause(self._watched_pause)

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
            turn.stop(self._stop_signal)
        try:
            for text in turn.batches(FRAME_SECONDS):
                answer.post_message(AnswerView.Piece(text))
        except Exception as exc:
            error = str(exc)
        finally:
            self._turn = None
        generation = turn.generation
        error = str(generation.error) if generation.error is not None else error
        answer.post_message(AnswerView.Ended(turn.text, turn.status, generation.stats, error))

    async def _turn_in_place_of_last(self, start: Callable[[], Turn]) -> None:
        views = list(self.query(AnswerView))
        if views:
            await views[-1].remove()
        await self.run_turn(start)

    async def _after_limit(self, again: Callable[[], Awaitable[object]], kept: bool,
                           override: bool | None) -> None:
        if not override:
            self.notify("Stopped at your daily limit" + ("; your prompt is kept." if kept
                                                         else "."), markup=False)
            return
        self.service.override_limits()
        self.notify("Limits overridden for today (recorded); going on.", markup=False)
        await again()

    def action_override_limits(self) -> None:
        self.service.override_limits()
        self.notify("Limits overridden for today (recorded): the daily limits no longer "
                    "stop you today.", markup=False)

    def _warn_near_limit(self) -> None:
        status = self.service.limit_status()
        if status is not None and status.near and not status.reached:
            self.notify(f"Near your daily limit: {status.describe()}.", markup=False)

    def _note_profile_change(self) -> None:
        """Say once that the profile's file changed and the answer followed it."""
        change = self.service.profile_change
        if change is not None and change is not getattr(self, "_change_shown", None):
            self._change_shown = change
            self.show_profile()
            self.notify(change_line(change), markup=False, timeout=8)

    def on_answer_view_ended(self, message: AnswerView.Ended) -> None:
        if self._reading is not None:
            self._reading.stop()
        self._warn_near_limit()
        self._note_profile_change()
        last = self.service.last_answer()
        views = self.query(AnswerView)
        if last is not None and views:
            views.last().set_note(self.service.answer_note(last))
            views.last().set_sources(answer_lines(last))
            views.last().set_notice(cut_notice(last))
        self.busy = False
        hold_for_streaming(False)
        self.prompt.cursor_blink = True
        self.query_one(StatusLine).set_busy(False, message.stats)
        self.app.refresh_bindings()
        self.call_after_refresh(self.after_answer)  # more candidates, or choose the best

    def action_stop(self) -> None:
        self.stop_answer("stopped")

    def stop_answer(self, signal: str) -> None:
        """Stop the answer being generated; signal is stored as why (P2): 'stopped' by the
        user, 'quit' as the app closes (then not the user's judgement)."""
        if not self.busy:
            return
        self._stop_signal = signal
        self._stop_requested.set()
        turn = self._turn
        if turn is not None:
            turn.stop(signal)

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

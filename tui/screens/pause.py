"""The pause screen (P11, P12): step away from the model; saying why is optional.

Before pausing, Enter pauses and Esc cancels (nothing is recorded). Once paused, the
resume key (F7) ends the pause, and Esc goes back to the conversation while the pause goes
on: the transcript can be read and the diary written, and the status line counts down.
A timed pause ends itself when its time is up, here or there, and the resume is recorded.
"""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.timer import Timer
from textual.widgets import Input, Label, Static

from tui.alignment.engagement import Pause
from tui.application.service import ChatService

TICK_SECONDS = 1.0


def end_if_time_is_up(service: ChatService, state: Pause) -> bool:
    """True when a timed pause's time is up; reading the pause then ends it, and the
    application records the resume once."""
    if state.until is None or service.engagement.clock() < state.until:
        return False
    _ = service.paused  # ends the lapsed pause (and records it) if nothing else has
    return True


def time_up(state: Pause) -> str:
    minutes = round(((state.until or state.started) - state.started) / 60)
    return (f"The pause is over: your {minutes} minute{'s' if minutes != 1 else ''} "
            "are up (recorded). The model answers again.")


class PauseScreen(ModalScreen[None]):
    """Asks why (optional, Enter pauses, Esc cancels), then holds the model until the
    resume key or the end of the time given; Esc leaves the pause running."""

    DEFAULT_CSS = """
    PauseScreen { align: center middle; }
    PauseScreen > Vertical {
        width: 80%; max-width: 90; height: auto; border: thick $secondary;
        background: $surface; padding: 1 2;
    }
    PauseScreen #state { margin-top: 1; }
    PauseScreen #keys { margin-top: 1; color: $text-muted; }
    """
    BINDINGS = [Binding("f7", "resume", "Resume", id="resume"),
                Binding("escape", "leave", "Back")]

    def __init__(self, service: ChatService, minutes: float | None = None, why: str = "",
                 start_now: bool = False, resume_key: str = "f7") -> None:
        super().__init__()
        self.service = service
        self.minutes = minutes
        self.why = why
        self.start_now = start_now
        self.resume_key = resume_key
        self.state: Pause | None = None
        self._timer: Timer | None = None

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label("Pause engagement: not using the model is a choice too.")
            yield Input(self.why, placeholder="Why are you stepping away? (optional)", id="why")
            yield Static(id="state")
            yield Static(Text("Enter pauses · Esc cancels (nothing is recorded)"), id="keys")

    def on_mount(self) -> None:
        if self.start_now:
            self._pause(self.why)

    def _pause(self, why: str) -> None:
        self.state = self.service.pause(self.minutes, why)
        self.query_one("#why", Input).disabled = True
        self.query_one("#keys", Static).update(Text(
            f"{self.resume_key} resumes · Esc goes back to the conversation while the pause "
            f"goes on (read, scroll, write in the diary; {self.resume_key} there resumes)"))
        self._show_state()
        self.focus()
        self._timer = self.set_interval(TICK_SECONDS, self._tick)

    def _show_state(self) -> None:
        state = self.state
        if state is None:
            return
        now = self.service.engagement.clock()
        end = "until you resume" if state.until is None else "until you resume or the time is up"
        self.query_one("#state", Static).update(Text(
            f"{state.describe(now).capitalize()}. The model is not used {end}."))

    def _tick(self) -> None:
        state = self.state
        if state is None:
            return
        if end_if_time_is_up(self.service, state):
            self._close(time_up(state))
        elif self.service.paused is None:  # resumed from another front end
            self._close("The pause was ended elsewhere (/resume).")
        else:
            self._show_state()

    def _close(self, message: str = "") -> None:
        if self._timer is not None:
            self._timer.stop()
        if message:
            self.app.notify(message, markup=False)
        self.dismiss(None)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self._pause(event.value)

    def action_leave(self) -> None:
        """Esc: cancel before pausing; once paused, back to the conversation (paused)."""
        self._close("" if self.state is not None else "Not paused.")

    def action_resume(self) -> None:
        if self.state is None:
            self._close()
            return
        self.service.resume()
        self._close("Resumed.")

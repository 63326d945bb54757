"""The pause screen (P11, P12): step away from the model; saying why is optional."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, Static

from tui.application.service import ChatService


class PauseScreen(ModalScreen[None]):
    """Asks why (optional, Enter pauses), then holds the app until Resume (F7 or Enter)."""

    DEFAULT_CSS = """
    PauseScreen { align: center middle; }
    PauseScreen > Vertical {
        width: 80%; max-width: 90; height: auto; border: thick $secondary;
        background: $surface; padding: 1 2;
    }
    PauseScreen #state { margin-top: 1; color: $text-muted; }
    """
    BINDINGS = [Binding("f7", "resume", "Resume")]

    def __init__(self, service: ChatService, minutes: float | None = None, why: str = "",
                 start_now: bool = False) -> None:
        super().__init__()
        self.service = service
        self.minutes = minutes
        self.why = why
        self.start_now = start_now

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label("Pause engagement: not using the model is a choice too.")
            yield Input(self.why, placeholder="Why are you stepping away? (optional, Enter pauses)",
                        id="why")
            yield Static(id="state")

    def on_mount(self) -> None:
        if self.start_now:
            self._pause(self.why)

    def _pause(self, why: str) -> None:
        state = self.service.pause(self.minutes, why)
        self.query_one("#why", Input).disabled = True
        self.query_one("#state", Static).update(Text(
            f"{state.describe(state.started).capitalize()}. The model is not used until you "
            "resume: F7 or Enter."))
        self.focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self._pause(event.value)

    def key_enter(self) -> None:
        if self.service.engagement.paused is not None:
            self.action_resume()

    def action_resume(self) -> None:
        self.service.resume()
        self.dismiss(None)

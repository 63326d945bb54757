"""The daily-limit screen (P12): the profile's limit is reached; stop here, or go on."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Label, Static


class LimitScreen(ModalScreen[bool]):
    """Dismisses True when the user deliberately overrides (o), False on Esc."""

    DEFAULT_CSS = """
    LimitScreen { align: center middle; }
    LimitScreen > Vertical {
        width: 80%; max-width: 90; height: auto; border: thick $warning;
        background: $surface; padding: 1 2;
    }
    """
    BINDINGS = [Binding("o", "override", "Override for today"), Binding("escape", "stop", "Stop")]

    def __init__(self, described: str) -> None:
        super().__init__()
        self.described = described

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label("Daily limit reached")
            yield Static(Text(
                f"Your profile's daily limit: {self.described}.\n"
                "Stepping away is a choice too. Esc stops here (your prompt stays in the "
                "box); o sends it and goes on for the rest of today (the override is "
                "recorded)."))

    def action_override(self) -> None:
        self.dismiss(True)

    def action_stop(self) -> None:
        self.dismiss(False)

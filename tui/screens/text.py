"""A modal that shows lines of untrusted text literally (Esc or Enter closes)."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Label, Static

from tui.alignment.text import strip_control


class TextScreen(ModalScreen[None]):
    """A titled, scrollable block of plain text."""

    DEFAULT_CSS = """
    TextScreen { align: center middle; }
    TextScreen > VerticalScroll {
        width: 90%; max-width: 120; height: auto; max-height: 85%;
        border: thick $primary; background: $surface; padding: 0 1;
    }
    TextScreen Label { color: $text-muted; }
    """
    BINDINGS = [Binding("escape,enter", "close", "Close")]

    def __init__(self, title: str, lines: list[str]) -> None:
        super().__init__()
        self.title_text = title
        self.lines = [strip_control(line) for line in lines]

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            yield Label(Text(f"{self.title_text} (Esc closes)"))
            yield Static(Text("\n".join(self.lines)), id="body")

    def action_close(self) -> None:
        self.dismiss(None)

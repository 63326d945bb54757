"""The open-session modal: pick a past conversation (Enter) or cancel (Esc)."""

from __future__ import annotations

import time

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Label, OptionList
from textual.widgets.option_list import Option

from tui.alignment.conversation import Session
from tui.alignment.text import strip_control


def session_line(session: Session) -> Text:
    """'title  2024-05-01 14:02  · 6 messages', the title shown literally."""
    when = time.strftime("%Y-%m-%d %H:%M", time.localtime(session.updated_at))
    title = strip_control(session.title).replace("\n", " ") or "(untitled)"
    line = Text(title, style="bold")
    line.append(f"  {when} · {session.message_count} messages", style="dim")
    return line


class SessionsScreen(ModalScreen[int | None]):
    """Lists past sessions; dismisses with the chosen id, or None."""

    DEFAULT_CSS = """
    SessionsScreen { align: center middle; }
    SessionsScreen > Vertical {
        width: 90%; max-width: 100; height: auto; max-height: 80%;
        border: thick $primary; background: $surface; padding: 0 1;
    }
    SessionsScreen OptionList { height: auto; max-height: 30; }
    """
    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, sessions: list[Session]) -> None:
        super().__init__()
        self.sessions = sessions

    def compose(self) -> ComposeResult:
        with Vertical():
            if self.sessions:
                yield Label("Open a session (Enter), or Esc to cancel")
                yield OptionList(*(Option(session_line(s), id=str(s.id)) for s in self.sessions))
            else:
                yield Label("No past sessions yet. Esc to go back.")

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.dismiss(int(event.option_id) if event.option_id else None)

    def action_cancel(self) -> None:
        self.dismiss(None)

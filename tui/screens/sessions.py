"""The open-session modal: pick a past conversation (Enter) or cancel (Esc)."""

from __future__ import annotations

from rich.text import Text

from tui.application.listing import SessionSummary
from tui.screens.picker import PickerScreen


def session_line(session: SessionSummary) -> Text:
    """'title  2024-05-01 14:02  · 6 messages', the title shown literally."""
    line = Text(session.title, style="bold")
    line.append(f"  {session.updated} · {session.messages} messages", style="dim")
    return line


class SessionsScreen(PickerScreen):
    """Lists past sessions; dismisses with the chosen id, or None."""

    def __init__(self, sessions: list[SessionSummary]) -> None:
        super().__init__("Open a session (Enter), or Esc to cancel",
                         [(s.id, session_line(s)) for s in sessions],
                         empty="No past sessions yet. Esc to go back.")
        self.sessions = sessions

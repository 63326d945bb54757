"""The open-session modal: pick a past conversation (Enter) or cancel (Esc)."""

from __future__ import annotations

import time

from rich.text import Text

from tui.alignment.conversation import Session
from tui.alignment.text import strip_control
from tui.screens.picker import PickerScreen


def session_line(session: Session) -> Text:
    """'title  2024-05-01 14:02  · 6 messages', the title shown literally."""
    when = time.strftime("%Y-%m-%d %H:%M", time.localtime(session.updated_at))
    title = strip_control(session.title).replace("\n", " ") or "(untitled)"
    line = Text(title, style="bold")
    line.append(f"  {when} · {session.message_count} messages", style="dim")
    return line


class SessionsScreen(PickerScreen):
    """Lists past sessions; dismisses with the chosen id, or None."""

    def __init__(self, sessions: list[Session]) -> None:
        super().__init__("Open a session (Enter), or Esc to cancel",
                         [(s.id, session_line(s)) for s in sessions],
                         empty="No past sessions yet. Esc to go back.")
        self.sessions = sessions

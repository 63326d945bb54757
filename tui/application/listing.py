"""Past conversations as plain summaries, the same for every front end."""

from __future__ import annotations

import time
from dataclasses import dataclass

from tui.alignment.conversation import Session
from tui.alignment.store import Store
from tui.alignment.text import strip_control


def when(timestamp: float) -> str:
    """A local time as 'YYYY-MM-DD HH:MM'."""
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(timestamp))


def single_line(text: str, width: int = 0, empty: str = "(untitled)") -> str:
    """Untrusted text as one sanitised line, cut to width (0: whole)."""
    line = " ".join(strip_control(text).split()) or empty
    return line[: width - 1] + "…" if width and len(line) > width else line


@dataclass(frozen=True)
class SessionSummary:
    """One past conversation: id, title (one sanitised line), last change, size."""

    id: int
    title: str
    updated: str
    messages: int
    current: bool


def summarise(session: Session, current_id: int | None = None) -> SessionSummary:
    return SessionSummary(session.id, single_line(session.title), when(session.updated_at),
                          session.message_count, session.id == current_id)


def session_summaries(store: Store, current_id: int | None = None,
                      limit: int = 200) -> list[SessionSummary]:
    """Recent sessions, newest first; the current one is flagged."""
    return [summarise(session, current_id) for session in store.sessions(limit=limit)]

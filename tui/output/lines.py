"""One-line plain-text views of sessions, branches, answers' stats and errors."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tui.application.listing import SessionSummary, single_line

if TYPE_CHECKING:  # types only: the service and the engine load when they are used
    from tui.application.service import Branch
    from tui.engine.base import GenerationStats


def session_line(session: SessionSummary) -> str:
    """'* #12   2026-12-01 10:02    6 msgs  title' (the current session starred)."""
    star = "*" if session.current else " "
    return f"{star} #{session.id:<4} {session.updated}  {session.messages:>3} msgs  {session.title}"


def branch_line(branch: Branch) -> str:
    """'* #41     6 msgs  the branch's last prompt' (where you are starred)."""
    star = "*" if branch.current else " "
    prompt = single_line(branch.prompt, 70, empty="(empty)")
    return f"{star} #{branch.leaf.id:<5} {branch.length:>3} msgs  {prompt}"


def stats_line(stats: GenerationStats, n_ctx: int) -> str:
    """Tokens, speed and context use of one answer."""
    window = str(n_ctx) if n_ctx else "?"
    return (f"{stats.generated_tokens} tokens · {stats.tokens_per_second:.1f} tok/s"
            f" · context {stats.context_used}/{window}")


def one_line(exc: BaseException) -> str:
    """An exception as one line (a KeyError without its quotes, never a traceback)."""
    text = str(exc.args[0] if isinstance(exc, KeyError) and exc.args else exc).strip()
    return single_line(text.splitlines()[0], empty="") if text else type(exc).__name__

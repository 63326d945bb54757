"""REPL helpers: help, the last exchange, OSC 52, completion, prompt history."""

from __future__ import annotations

import base64
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path

from prompt_toolkit.completion import CompleteEvent, Completer, Completion
from prompt_toolkit.document import Document
from prompt_toolkit.history import FileHistory, History, InMemoryHistory

from tui.actions import ACTIONS, by_slash
from tui.alignment.conversation import Message, Role, Session, Status
from tui.alignment.text import strip_control

PROMPT = "> "


def help_lines(keymap: Mapping[str, str] | None = None) -> list[str]:
    """Every registry action as 'command  key  help', the same list the TUI shows."""
    keymap = keymap or {}
    rows = [("command", "key (TUI)", "what it does")]
    rows += [(f"{a.command} {a.args}".strip(), keymap.get(a.id, a.key), a.help) for a in ACTIONS]
    width = [max(len(row[i]) for row in rows) for i in (0, 1)]
    lines = [f"  {c:<{width[0]}}  {k:<{width[1]}}  {h}" for c, k, h in rows]
    lines.append("  Plain text is sent as a prompt. Ctrl-C stops an answer; Ctrl-D quits.")
    return lines


def exchange_lines(transcript: list[Message]) -> list[str]:
    """The last prompt of a transcript and the answer to it, as plain text."""
    users = [i for i, message in enumerate(transcript) if message.role is Role.USER]
    if not users:
        return []
    prompt, *rest = transcript[users[-1]:]
    lines = [PROMPT + strip_control(prompt.content)]
    for message in rest:
        if message.role is Role.ASSISTANT:
            lines.append(strip_control(message.content))
            if message.status is not Status.COMPLETE:
                lines.append(f"[{message.status}]")
    return lines


def open_history(path: Path) -> tuple[History, str | None]:
    """Prompt history kept in a file across runs; in memory (and why) if it is unusable."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch()
        return FileHistory(str(path)), None
    except OSError as exc:
        return InMemoryHistory(), f"history not saved: {path}: {exc.strerror or exc}"


def osc52(text: str) -> str:
    """The escape sequence that asks the terminal to put text on the clipboard."""
    return f"\x1b]52;c;{base64.b64encode(text.encode()).decode()}\x07"


class SlashCompleter(Completer):
    """Completes '/' commands, session ids after '/open ', prompt names after '/prompt '."""

    def __init__(self, sessions: Callable[[], list[Session]],
                 prompts: Callable[[], list[tuple[str, str]]] | None = None) -> None:
        self.sessions = sessions
        self.prompts = prompts

    def get_completions(self, document: Document, event: CompleteEvent) -> Iterator[Completion]:
        text = document.text_before_cursor
        if not text.startswith("/"):
            return
        name, space, arg = text.partition(" ")
        if not space:
            for action in ACTIONS:
                if action.command.startswith(text.lower()):
                    yield Completion(action.command, -len(text), display_meta=action.help)
            return
        found = by_slash(name)
        if found is not None and found.id == "open-session" and " " not in arg:
            for session in self.sessions():
                if str(session.id).startswith(arg.lstrip("#")):
                    yield Completion(str(session.id), -len(arg),
                                     display_meta=strip_control(session.title)[:40])
        if found is not None and found.id == "prompt" and " " not in arg and self.prompts:
            for prompt_name, about in self.prompts():
                if prompt_name.startswith(arg):
                    yield Completion(prompt_name, -len(arg), display_meta=strip_control(about)[:40])

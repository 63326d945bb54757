"""`coalign history list | search WORDS`: past conversations."""

from __future__ import annotations

import argparse

from tui.alignment.store import Store
from tui.application.listing import session_summaries, single_line, when
from tui.errors import ActionRefused
from tui.output.lines import session_line
from tui.output.terminal import out
from tui.paths import default_paths


def add_history_parser(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    history = commands.add_parser("history", help="past conversations")
    actions = history.add_subparsers(dest="history_command", metavar="ACTION", required=True)
    actions.add_parser("list", help="recent sessions")
    search = actions.add_parser(
        "search", help="full-text search of past messages",
        description='Every word must occur; "two words" (quoted) is a phrase, word* a '
                    "prefix, -word leaves out, OR between two terms takes either.")
    # REMAINDER: `kant -hume` must reach the query, not be read as an option
    search.add_argument("words", nargs=argparse.REMAINDER)


def from_arguments(words: list[str]) -> str:
    """A query from command-line words: an argument holding spaces but no quote (the shell
    took its quotes off) is a phrase."""
    return " ".join(f'"{word}"' if " " in word.strip() and '"' not in word else word
                    for word in words)


def cmd_history(args: argparse.Namespace) -> int:
    paths = default_paths()
    paths.ensure_data_dir()
    store = Store(paths.database)
    if args.history_command == "list":
        sessions = session_summaries(store)
        for summary in sessions:
            out.line(session_line(summary))
        if not sessions:
            out.line("no saved sessions yet")
        return 0
    if not args.words:
        raise ActionRefused("give words to search for: coalign history search WORDS…")
    results = store.search(from_arguments(args.words))
    for message, snippet in results:
        text = single_line(snippet, empty="")
        out.line(f"#{message.session_id:<5} {when(message.created_at)}  {message.role:<9} {text}")
    if not results:
        out.line("no matches")
    return 0

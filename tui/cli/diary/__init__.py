"""`coalign diary ACTION …`: one module per group of actions, registered here."""

from __future__ import annotations

import argparse
from collections.abc import Callable

from tui.alignment.diary import DiaryError
from tui.cli.diary import consent, edit, entries, export
from tui.output.terminal import err
from tui.paths import Paths, default_paths

Handler = Callable[[argparse.Namespace, Paths], int]
# Each module registers its actions and returns {action name: handler}.
_MODULES = (entries, edit, export, consent)


def add_diary_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Register `coalign diary ACTION …` on the main parser's subcommands."""
    diary = subparsers.add_parser("diary", help="the Misalignment Diary: list, add, export")
    actions = diary.add_subparsers(dest="diary_command", metavar="ACTION", required=True)
    handlers: dict[str, Handler] = {}
    for module in _MODULES:
        handlers.update(module.add_parsers(actions))
    diary.set_defaults(diary_handlers=handlers)
    return diary


def cmd_diary(args: argparse.Namespace, paths: Paths | None = None) -> int:
    """Run `coalign diary …`; problems are one line on stderr and exit status 2."""
    try:
        handler: Handler = args.diary_handlers[args.diary_command]
        return handler(args, paths or default_paths())
    except BrokenPipeError:
        raise  # the reader went away: main() ends quietly
    except (DiaryError, OSError) as exc:
        err.line(f"coalign: {exc}")
        return 2

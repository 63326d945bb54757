"""`coalign ask QUESTION`: one answer on stdout, for scripts; the same rules as a chat."""

from __future__ import annotations

import argparse
import sys

from tui.alignment.store import Store
from tui.application.startup import Startup
from tui.errors import CoalignError, LimitReached
from tui.output.stream import write_streamed


def add_ask_parser(commands: argparse._SubParsersAction,  # type: ignore[type-arg]
                   engine: argparse.ArgumentParser) -> None:
    ask = commands.add_parser("ask", parents=[engine], help="print one answer, for scripts")
    ask.add_argument("question", nargs="+")
    ask.add_argument("--no-save", action="store_true", help="do not keep it in history")
    ask.add_argument("--override", action="store_true",
                     help="go on past the profile's daily limits for today (recorded)")


def cmd_ask(args: argparse.Namespace, startup: Startup) -> int:
    for notice in startup.notices:
        print(f"warning: {notice}", file=sys.stderr)
    service = startup.service
    if args.override:
        service.override_limits()
    try:
        service.check_can_answer()  # before the model loads: a refusal is instant
    except LimitReached as exc:
        raise CoalignError(f"{exc}; --override goes on for today") from None
    service.engine.wait_loaded()
    if args.no_save:  # nothing kept, so nothing counted in the day's usage record either
        service.store = Store(":memory:")
        service.turn_listeners.clear()
    turn = service.send(" ".join(args.question))
    if not write_streamed(turn, sys.stdout):
        print("\n[stopped]", file=sys.stderr)
        return 130
    print()
    if turn.generation.error is not None:
        raise CoalignError(f"the answer was interrupted: {turn.generation.error}")
    return 0

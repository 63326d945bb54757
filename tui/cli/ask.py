"""`coalign ask QUESTION`: one answer on stdout, for scripts; the same rules as a chat."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from tui.alignment.store import Store
from tui.application.grounding import ground_command
from tui.application.sources import answer_lines
from tui.errors import ActionRefused, CoalignError, LimitReached
from tui.output.stream import write_streamed
from tui.output.terminal import err, out

if TYPE_CHECKING:  # the start-up assembly (engines, profiles) loads only when ask runs
    from tui.application.startup import Startup


def add_ask_parser(commands: argparse._SubParsersAction,  # type: ignore[type-arg]
                   engine: argparse.ArgumentParser) -> None:
    ask = commands.add_parser("ask", parents=[engine], help="print one answer, for scripts")
    ask.add_argument("question", nargs="*",
                     help="the question; '-' or none reads it from standard input (a pipe)")
    ask.add_argument("--no-save", action="store_true", help="do not keep it in history")
    ask.add_argument("--override", action="store_true",
                     help="go on past the profile's daily limits for today (recorded)")
    ask.add_argument("--ground", action="store_true",
                     help="ground the answer in your library (cited as [1], [2], …); the "
                          "sources it was given go to standard error")


MAX_STDIN_PROMPT = 1_000_000  # characters: a long paper, not an accident


def question_of(args: argparse.Namespace) -> str:
    """The words given, or standard input for '-' or no words from a pipe."""
    words: list[str] = args.question
    if words and words != ["-"]:
        return " ".join(words)
    if not words and sys.stdin.isatty():
        raise ActionRefused("give a question (coalign ask WORDS…), or pipe one in "
                            "(echo … | coalign ask -)")
    text = sys.stdin.read(MAX_STDIN_PROMPT + 1)
    if len(text) > MAX_STDIN_PROMPT:
        raise ActionRefused(f"the question on standard input is over {MAX_STDIN_PROMPT:,} "
                            "characters; shorten it")
    return text


def cmd_ask(args: argparse.Namespace, startup: Startup) -> int:
    for notice in startup.notices:
        err.line(f"warning: {notice}")
    service = startup.service
    question = service.cleaned_prompt(question_of(args))  # refused before the model loads
    if args.override:
        service.override_limits()
    try:
        service.check_can_answer()  # before the model loads: a refusal is instant
    except LimitReached as exc:
        raise CoalignError(f"{exc}; --override goes on for today") from None
    for warning in service.engine.wait_loaded().warnings:
        err.line(f"warning: {warning}")
    if args.no_save:  # nothing kept, so nothing counted in the day's usage record either
        service.store = Store(":memory:")
        service.turn_listeners.clear()
    if args.ground:  # recorded as an event, as /ground on is (not with --no-save)
        err.line(ground_command(service, "on"))
    turn = service.send(question)
    if not write_streamed(turn, out):
        err.line("\n[stopped]")
        return 130
    out.line()
    for line in answer_lines(turn.answer):  # stdout stays the answer alone, for scripts
        err.line(line)
    if turn.generation.error is not None:
        cut = "the answer was interrupted (what came is kept): " if turn.text else ""
        raise CoalignError(f"{cut}{turn.generation.error}")
    return 0

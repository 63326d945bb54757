"""`coalign`: parse the command line and start the front end it names (the TUI by default)."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from tui import __version__
from tui.cli.ask import add_ask_parser
from tui.cli.diary import add_diary_parser, cmd_diary
from tui.cli.flags import engine_options, overrides
from tui.cli.history import add_history_parser, cmd_history
from tui.cli.library import add_library_parser, cmd_library
from tui.cli.models import add_models_parser
from tui.cli.profile import add_profile_parser, cmd_profile
from tui.cli.prompt import add_prompt_parser, cmd_prompt
from tui.cli.study import add_study_parser, cmd_study
from tui.cli.usage import add_usage_parser, cmd_usage
from tui.errors import CoalignError
from tui.output.terminal import err


def build_parser() -> argparse.ArgumentParser:
    engine = engine_options()
    parser = argparse.ArgumentParser(
        prog="coalign", parents=[engine],
        description="A terminal research assistant on local llama.cpp models.",
    )
    parser.add_argument("--version", action="version", version=f"coalign {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    commands.add_parser("tui", parents=[engine], help="the full-screen app (the default)")
    commands.add_parser("chat", parents=[engine], help="a plain line REPL with the same actions")
    add_ask_parser(commands, engine)
    add_models_parser(commands, engine)
    add_usage_parser(commands)
    commands.add_parser("doctor", parents=[engine],
                        help="report the llama.cpp build, the model, config and data dirs")
    add_profile_parser(commands)
    add_prompt_parser(commands)
    add_diary_parser(commands)
    add_library_parser(commands)
    add_study_parser(commands)
    bench = commands.add_parser("bench", help="measure speed: raw loop, engine, TUI, start-up")
    bench.add_argument("--model", type=Path, default=None, help="GGUF file (default: bundled)")
    bench.add_argument("--json", action="store_true", help="print one JSON object")
    bench.add_argument("--turns", type=int, default=20)
    bench.add_argument("--presses", type=int, default=200)
    bench.add_argument("--native", type=Path, default=None, metavar="LLAMA_BENCH",
                       help="llama.cpp's llama-bench binary: native tg/pp in every round and "
                       "the ratios to it (README: Speed)")
    bench.add_argument("--contention", action="store_true",
                       help="run every round again with a CPU-bound process on one core")
    bench.add_argument("--rounds", type=int, default=3, help="interleaved rounds (median)")
    bench.add_argument("--tokens", type=int, default=256, help="tokens generated per run")
    bench.add_argument("--threads", type=int, default=None,
                       help="llama.cpp threads, native too (default: every core)")
    bench.add_argument("--diary", type=int, default=None, metavar="N",
                       help="only time diary export: N entries in 12 folders on disk")
    bench.add_argument("--library", action="store_true",
                       help="only the library: index 1,000 documents, time queries and the "
                       "first token of a grounded answer")
    add_history_parser(commands)
    return parser


def cmd_tui(args: argparse.Namespace) -> int:
    from tui.application.startup import start
    from tui.screens.app import run_tui

    startup = start(overrides(args))
    return run_tui(startup.service, startup.config, startup.notices, startup.diary)


def cmd_chat(args: argparse.Namespace) -> int:
    from tui.application.startup import start
    from tui.repl.loop import Repl

    startup = start(overrides(args))
    for notice in startup.notices:
        err.line(f"warning: {notice}")
    return Repl(startup.service, startup.paths.repl_history, keymap=startup.config.keymap,
                diary=startup.diary).run()


def cmd_ask(args: argparse.Namespace) -> int:
    from tui.application.startup import start
    from tui.cli.ask import cmd_ask as ask

    return ask(args, start(overrides(args), keep_state_at_quit=False))


def cmd_models(args: argparse.Namespace) -> int:
    from tui.cli.models import cmd_models as models

    return models(args)


def cmd_doctor(args: argparse.Namespace) -> int:
    from tui.cli.doctor import cmd_doctor as doctor

    return doctor(args, overrides(args))


def cmd_bench(args: argparse.Namespace) -> int:
    from tui.bench.run import main as bench_main

    return bench_main(args.model, args.json, args.turns, args.presses, diary=args.diary,
                      library=args.library, native_binary=args.native,
                      contended=args.contention, rounds=args.rounds, tokens=args.tokens,
                      threads=args.threads)


COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "tui": cmd_tui, "chat": cmd_chat, "ask": cmd_ask, "models": cmd_models,
    "doctor": cmd_doctor, "usage": cmd_usage, "history": cmd_history,
    "profile": cmd_profile, "prompt": cmd_prompt, "diary": cmd_diary, "bench": cmd_bench,
    "study": cmd_study, "library": cmd_library,
}


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        code = COMMANDS[args.command or "tui"](args)
        sys.stdout.flush()  # here, not at exit: a reader gone (`| head`) is then caught below
        return code
    except CoalignError as exc:
        err.line(f"coalign: {exc}")
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # The reader of stdout went away (`coalign history list | head -3`): stop quietly, as
        # Python's docs advise (signal, "Note on SIGPIPE"): stdout goes to devnull, so that
        # the flush at exit cannot fail again, and the status is a SIGPIPE death's, 128 + 13.
        try:
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        except (OSError, ValueError):  # stdout is no file (replaced in-process)
            pass
        return 141

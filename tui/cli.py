"""The `coalign` command: the TUI by default, plus chat, ask, models and history."""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from tui import __version__
from tui.cli_diary import add_diary_parser, cmd_diary
from tui.cli_profile import add_profile_parser, cmd_profile
from tui.errors import CoalignError

_ENGINE_FLAGS = ("model", "gpu_layers", "threads", "context", "seed", "temperature", "max_tokens",
                 "backend", "base_url", "api_key_env", "request_timeout")


def _engine_options() -> argparse.ArgumentParser:
    """Flags shared by every command that talks to a model (usable before or after it)."""
    parent = argparse.ArgumentParser(add_help=False)
    group = parent.add_argument_group("model and engine")
    group.add_argument("--model", default=argparse.SUPPRESS,
                       help="GGUF file, or a name from models/models.toml (with --backend "
                       "openai: the server's model name)")
    group.add_argument("--gpu-layers", type=int, default=argparse.SUPPRESS,
                       help="layers to offload to the GPU (-1: all; default 0)")
    group.add_argument("--threads", type=int, default=argparse.SUPPRESS)
    group.add_argument("--context", type=int, default=argparse.SUPPRESS, help="n_ctx in tokens")
    group.add_argument("--seed", type=int, default=argparse.SUPPRESS)
    group.add_argument("--temperature", type=float, default=argparse.SUPPRESS)
    group.add_argument("--max-tokens", type=int, default=argparse.SUPPRESS)
    remote = parent.add_argument_group("remote engine (an OpenAI-compatible server)")
    remote.add_argument("--backend", choices=("local", "openai"), default=argparse.SUPPRESS,
                        help="local: a GGUF file here (default); openai: a server")
    remote.add_argument("--base-url", default=argparse.SUPPRESS, metavar="URL",
                        help="the server's address, e.g. http://127.0.0.1:8000")
    remote.add_argument("--api-key-env", default=argparse.SUPPRESS, metavar="NAME",
                        help="the environment variable holding the server's API key")
    remote.add_argument("--request-timeout", type=float, default=argparse.SUPPRESS,
                        metavar="SECONDS", help="how long the server may stay silent")
    return parent


def build_parser() -> argparse.ArgumentParser:
    engine = _engine_options()
    parser = argparse.ArgumentParser(
        prog="coalign", parents=[engine],
        description="A terminal research assistant on local llama.cpp models.",
    )
    parser.add_argument("--version", action="version", version=f"coalign {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    commands.add_parser("tui", parents=[engine], help="the full-screen app (the default)")
    commands.add_parser("chat", parents=[engine], help="a plain line REPL with the same actions")
    ask = commands.add_parser("ask", parents=[engine], help="print one answer, for scripts")
    ask.add_argument("question", nargs="+")
    ask.add_argument("--no-save", action="store_true", help="do not keep it in history")
    commands.add_parser("models", parents=[engine], help="list the models coalign can find")
    usage = commands.add_parser("usage", help="tokens, requests, CPU time and energy per day "
                                "and per profile")
    usage.add_argument("--days", type=int, default=30)
    usage.add_argument("--from", dest="sources", nargs="+", type=Path, metavar="DIR",
                       help="sum participants' diary folders (their usage/ records)")
    commands.add_parser("doctor", parents=[engine],
                        help="report the llama.cpp build, the model, config and data dirs")
    add_profile_parser(commands)
    add_diary_parser(commands)
    bench = commands.add_parser("bench", help="measure speed: raw loop, engine, TUI, start-up")
    bench.add_argument("--model", type=Path, default=None, help="GGUF file (default: bundled)")
    bench.add_argument("--json", action="store_true", help="print one JSON object")
    bench.add_argument("--turns", type=int, default=20)
    bench.add_argument("--presses", type=int, default=200)
    history = commands.add_parser("history", help="past conversations")
    history_commands = history.add_subparsers(dest="history_command", metavar="ACTION",
                                              required=True)
    history_commands.add_parser("list", help="recent sessions")
    search = history_commands.add_parser("search", help="full-text search of past messages")
    search.add_argument("words", nargs="+")
    return parser


def _overrides(args: argparse.Namespace) -> dict[str, Any]:
    return {name: getattr(args, name) for name in _ENGINE_FLAGS if hasattr(args, name)}


def _when(timestamp: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(timestamp))


def cmd_tui(args: argparse.Namespace) -> int:
    from tui.app import run_tui
    from tui.bootstrap import start

    startup = start(_overrides(args))
    return run_tui(startup.service, startup.config, startup.notices, startup.diary)


def cmd_chat(args: argparse.Namespace) -> int:
    from tui.bootstrap import start
    from tui.repl import Repl

    startup = start(_overrides(args))
    for notice in startup.notices:
        print(f"warning: {notice}", file=sys.stderr)
    return Repl(startup.service, startup.paths.repl_history, keymap=startup.config.keymap,
                diary=startup.diary).run()


def cmd_ask(args: argparse.Namespace) -> int:
    from tui.alignment.text import strip_control
    from tui.bootstrap import start

    startup = start(_overrides(args))
    for notice in startup.notices:
        print(f"warning: {notice}", file=sys.stderr)
    service = startup.service
    service.engine.wait_loaded()
    if args.no_save:
        from tui.alignment.store import Store
        service.store = Store(":memory:")
    turn = service.send(" ".join(args.question))
    try:
        for piece in turn:
            sys.stdout.write(strip_control(piece))
            sys.stdout.flush()
    except KeyboardInterrupt:
        turn.stop()
        turn.wait()
        print("\n[stopped]", file=sys.stderr)
        return 130
    print()
    if turn.generation.error is not None:
        raise CoalignError(f"the answer was interrupted: {turn.generation.error}")
    return 0


def cmd_models(args: argparse.Namespace) -> int:
    from tui.config import load_config
    from tui.models import available_models, resolve_model
    from tui.paths import default_paths

    paths = default_paths()
    config, _issues = load_config(paths.config_file)
    chosen = None
    try:
        chosen = resolve_model(getattr(args, "model", None), config.model, paths.user_models_dir)
    except CoalignError as exc:
        print(f"no model selected: {exc}")
    choices = available_models(paths.user_models_dir)
    if chosen is not None and chosen not in choices:
        choices.insert(0, chosen)
    for choice in choices:
        mark = "*" if chosen is not None and choice.path == chosen.path else " "
        size = f"{choice.path.stat().st_size / 1e6:7.1f} MB" if choice.exists else "   missing"
        print(f"{mark} {choice.name:<24} {size}  {choice.path}  [{choice.source}]")
    print("* = the model coalign uses now (--model > config > models/models.toml > bundled)")
    return 0


def _usage_table(groups: dict[str, Any]) -> None:
    from tui.alignment.usage import WATTS_PER_BUSY_CORE

    print(f"{'':<28}{'requests':>9}{'tokens':>10}{'minutes':>9}{'CPU s':>9}{'Wh':>8}")
    for label, totals in groups.items():
        print(f"{label:<28}{totals.requests:>9}{totals.tokens:>10}{totals.minutes:>9.1f}"
              f"{totals.cpu_seconds:>9.1f}{totals.energy_wh:>8.3f}")
    print(f"energy = CPU seconds x {WATTS_PER_BUSY_CORE:g} W per busy core (an estimate; "
          "see README)")


def cmd_usage(args: argparse.Namespace) -> int:
    import tomllib

    from tui.alignment.store import Store
    from tui.alignment.usage import UsageTotals, totals_from_record
    from tui.paths import default_paths

    groups: dict[str, UsageTotals] = {}

    def count(label: str, totals: UsageTotals) -> None:
        groups.setdefault(label, UsageTotals()).merge(totals)

    if args.sources:  # the collective view: several participants' diary folders
        for folder in args.sources:
            files = sorted((folder / "usage").glob("*.toml"))
            if not files:
                print(f"warning: {folder}/usage holds no usage records", file=sys.stderr)
            for path in files:
                try:
                    record = tomllib.loads(path.read_text(encoding="utf-8"))
                except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
                    print(f"warning: {path}: skipped ({exc})", file=sys.stderr)
                    continue
                for profile, totals in totals_from_record(record).items():
                    count(f"{record.get('day', '?')}", totals)
                    count(f"participant {record.get('pseudonym', '?')}", totals)
                    count(f"profile {profile}", totals)
                    count("all", totals)
    else:
        paths = default_paths()
        paths.ensure_data_dir()
        for at, profile, stats in Store(paths.database).answer_stats(
                time.time() - args.days * 86400):
            for label in (time.strftime("%Y-%m-%d", time.localtime(at)), f"profile {profile}"):
                groups.setdefault(label, UsageTotals()).add(stats)
    _usage_table(dict(sorted(groups.items(), key=lambda item: (item[0] == "all",
                                                                not item[0][0].isdigit(),
                                                                item[0]))))
    return 0


def cmd_doctor(args: argparse.Namespace) -> int:
    from tui.doctor import report
    from tui.paths import default_paths

    overrides = {k: v for k, v in _overrides(args).items() if k != "model"}
    for line in report(default_paths(), getattr(args, "model", None), overrides):
        print(line)
    return 0


def cmd_bench(args: argparse.Namespace) -> int:
    from tui.bench import main as bench_main

    return bench_main(args.model, args.json, args.turns, args.presses)


def cmd_history(args: argparse.Namespace) -> int:
    from tui.alignment.store import Store
    from tui.alignment.text import strip_control
    from tui.paths import default_paths

    paths = default_paths()
    paths.ensure_data_dir()
    store = Store(paths.database)
    if args.history_command == "list":
        for session in store.sessions():
            title = strip_control(session.title)
            print(f"#{session.id:<5} {_when(session.updated_at)}  {session.message_count:>3} msgs"
                  f"  {title}")
        return 0
    results = store.search(" ".join(args.words))
    for message, snippet in results:
        text = strip_control(snippet).replace("\n", " ")
        print(f"#{message.session_id:<5} {_when(message.created_at)}  {message.role:<9} {text}")
    if not results:
        print("no matches")
    return 0


COMMANDS = {"tui": cmd_tui, "chat": cmd_chat, "ask": cmd_ask, "models": cmd_models,
            "doctor": cmd_doctor, "usage": cmd_usage,
            "history": cmd_history, "profile": cmd_profile,
            "diary": cmd_diary, "bench": cmd_bench}


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return COMMANDS[args.command or "tui"](args)
    except CoalignError as exc:
        print(f"coalign: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130

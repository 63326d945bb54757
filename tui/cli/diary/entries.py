"""`coalign diary list | show ID | add … | import FILE.csv`: one participant's own entries."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path

from tui.alignment.diary import OUTCOMES, DiaryEntry, DiaryFilter, DiaryStore
from tui.alignment.diary.csv_import import import_csv
from tui.alignment.export.markdown_export import entry_markdown
from tui.alignment.text import strip_control
from tui.config import load_config
from tui.output.terminal import err, out
from tui.paths import Paths


def add_parsers(actions: argparse._SubParsersAction
                ) -> dict[str, Callable[[argparse.Namespace, Paths], int]]:
    """Register list, show, add and import; return their handlers by name."""
    listing = actions.add_parser("list", help="entries, oldest first, optionally filtered")
    listing.add_argument("--since", default="", help="from this date (YYYY-MM-DD)")
    listing.add_argument("--until", default="", help="up to this date (YYYY-MM-DD)")
    listing.add_argument("--profile", default="", help="only entries made under this profile")
    listing.add_argument("--value", default="", help="only entries with this value at risk")
    listing.add_argument("--outcome", default="", choices=("",) + OUTCOMES)
    show = actions.add_parser("show", help="one entry in full")
    show.add_argument("id")
    add = actions.add_parser("add", help="record an entry (every field is an option)")
    add.add_argument("--misaligned-response", required=True, help="(2) the response")
    add.add_argument("--initial-prompting", default="", help="(1) what you wanted and why")
    add.add_argument("--intervention", default="", help="(3) what you did about it")
    add.add_argument("--outcome", default="", choices=("",) + OUTCOMES, help="(4) outcome")
    add.add_argument("--note", default="", help="a note on the outcome")
    add.add_argument("--value", action="append", default=[], help="a value at risk (repeat)")
    add.add_argument("--model", default="")
    imports = actions.add_parser("import", help="entries from a CSV file (headers by name)")
    imports.add_argument("file", type=Path)
    return {"list": _list, "show": _show, "add": _add, "import": _import}


def _participant(paths: Paths) -> tuple[str, bool]:
    config, _issues = load_config(paths.config_file)
    pseudonym = str(getattr(config, "pseudonym", "P01") or "P01")
    return pseudonym, bool(getattr(config, "consent", False))


def _line(entry: DiaryEntry) -> str:
    text = strip_control(entry.misaligned_response).replace("\n", " ")
    text = text if len(text) <= 60 else text[:59] + "…"
    outcome = entry.final_outcome or "-"
    values = ",".join(entry.values_at_risk) or "-"
    return f"{entry.id}  {outcome:<10} {values:<20} {text}"


def _warn_skipped(store: DiaryStore) -> int:
    for problem in store.problems:
        err.line(f"warning: skipped {problem}")
    return 0


def _list(args: argparse.Namespace, paths: Paths) -> int:
    store = DiaryStore(paths.diary_dir)
    where = DiaryFilter(args.since, args.until, args.profile, args.value, args.outcome)
    entries = store.list(where)
    out.line("\n".join(_line(entry) for entry in entries) or "no diary entries")
    return _warn_skipped(store)


def _show(args: argparse.Namespace, paths: Paths) -> int:
    out.write(entry_markdown(DiaryStore(paths.diary_dir).get(args.id)))
    return 0


def _add(args: argparse.Namespace, paths: Paths) -> int:
    store = DiaryStore(paths.diary_dir)
    pseudonym, consent = _participant(paths)
    entry = store.add(DiaryEntry(
        misaligned_response=args.misaligned_response, initial_prompting=args.initial_prompting,
        intuitive_intervention=args.intervention, final_outcome=args.outcome,
        outcome_note=args.note, values_at_risk=[v.strip() for v in args.value if v.strip()],
        model=args.model, pseudonym=pseudonym, consent=consent))
    out.line(f"added {entry.id}")
    return 0


def _import(args: argparse.Namespace, paths: Paths) -> int:
    store = DiaryStore(paths.diary_dir)
    pseudonym, consent = _participant(paths)
    report = import_csv(args.file, store, pseudonym, consent)
    for error in report.errors:
        err.line(f"{args.file}: {error}")
    out.line(f"imported {report.added} entries, {len(report.errors)} rows with problems")
    return 1 if report.errors else 0

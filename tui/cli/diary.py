"""`coalign diary list | show ID | add … | import FILE.csv | export --format … -o PATH`."""

from __future__ import annotations

import argparse
from pathlib import Path

from tui.alignment.diary import (
    OUTCOMES,
    DiaryEntry,
    DiaryError,
    DiaryFilter,
    DiaryStore,
    load_folders,
)
from tui.alignment.diary.csv_import import import_csv
from tui.alignment.export import FORMATS, run_export
from tui.alignment.export.markdown_export import entry_markdown
from tui.alignment.text import strip_control
from tui.config import load_config
from tui.output.terminal import err, out
from tui.paths import Paths, default_paths

PROGRESS_FROM = 500  # entries; smaller exports finish before a progress line helps


def add_diary_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Register `coalign diary ACTION …` on the main parser's subcommands."""
    diary = subparsers.add_parser("diary", help="the Misalignment Diary: list, add, export")
    actions = diary.add_subparsers(dest="diary_command", metavar="ACTION", required=True)
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
    export = actions.add_parser("export", help="CSV, JSONL, Markdown or REFI-QDA for a study")
    export.add_argument("--format", required=True, choices=FORMATS)
    export.add_argument("--from", dest="sources", action="append", type=Path, default=[],
                        metavar="DIR", help="a participant's diary folder (repeat to merge)")
    export.add_argument("--pseudonymise", action="store_true",
                        help="P01, P02, …; the key goes to a separate file")
    export.add_argument("--redact", action="store_true",
                        help="mask e-mail addresses, phone numbers, home-folder paths")
    export.add_argument("--redact-name", action="append", default=[], metavar="NAME",
                        help="also mask this name (repeat; implies --redact)")
    export.add_argument("--bom", action="store_true", help="CSV starts with a UTF-8 BOM (Excel)")
    export.add_argument("-o", "--output", required=True, type=Path, metavar="PATH")
    return diary


def diary_folder(paths: Paths) -> Path:
    """Where this installation keeps its diary entries."""
    return paths.data_dir / "diary"


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


def _progress(done: int, total: int) -> None:
    """'exporting N/TOTAL' redrawn in place on a terminal; elsewhere only the last one."""
    if err.isatty():
        err.control("\r")  # back to the start of the progress line
        err.write(f"exporting {done}/{total}")
        if done >= total:
            err.line()
    elif done >= total:
        err.line(f"exporting {done}/{total}")


def _run(args: argparse.Namespace, paths: Paths) -> int:
    store = DiaryStore(diary_folder(paths))
    action = args.diary_command
    if action == "list":
        where = DiaryFilter(args.since, args.until, args.profile, args.value, args.outcome)
        entries = store.list(where)
        out.line("\n".join(_line(entry) for entry in entries) or "no diary entries")
    elif action == "show":
        out.write(entry_markdown(store.get(args.id)))
    elif action == "add":
        pseudonym, consent = _participant(paths)
        entry = store.add(DiaryEntry(
            misaligned_response=args.misaligned_response, initial_prompting=args.initial_prompting,
            intuitive_intervention=args.intervention, final_outcome=args.outcome,
            outcome_note=args.note, values_at_risk=[v.strip() for v in args.value if v.strip()],
            model=args.model, pseudonym=pseudonym, consent=consent))
        out.line(f"added {entry.id}")
    elif action == "import":
        pseudonym, consent = _participant(paths)
        report = import_csv(args.file, store, pseudonym, consent)
        for error in report.errors:
            err.line(f"{args.file}: {error}")
        out.line(f"imported {report.added} entries, {len(report.errors)} rows with problems")
        return 1 if report.errors else 0
    elif action == "export":
        return _export(args, store)
    for problem in store.problems:
        err.line(f"warning: skipped {problem}")
    return 0


def _export(args: argparse.Namespace, store: DiaryStore) -> int:
    problems: list[str] = []
    entries = load_folders(args.sources or [store.folder], problems)
    for problem in problems:
        err.line(f"warning: skipped {problem}")
    names = args.redact_name if (args.redact or args.redact_name) else None
    report = run_export(entries, args.format, args.output, pseudonymise=args.pseudonymise,
                        redact_names=names, bom=args.bom,
                        progress=_progress if len(entries) >= PROGRESS_FROM else None)
    out.line(f"wrote {report.written} entries to {args.output}"
             + (f"; left out {report.skipped_no_consent} without consent"
                if report.skipped_no_consent else ""))
    if report.key_path:
        out.line(f"pseudonym key: {report.key_path} (keep it apart from the export)")
    return 0


def cmd_diary(args: argparse.Namespace, paths: Paths | None = None) -> int:
    """Run `coalign diary …`; problems are one line on stderr and exit status 2."""
    try:
        return _run(args, paths or default_paths())
    except BrokenPipeError:
        raise  # the reader went away: main() ends quietly
    except (DiaryError, OSError) as exc:
        err.line(f"coalign: {exc}")
        return 2

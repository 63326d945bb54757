"""`coalign diary list | show ID | add … | import FILE.csv`: a participant's entries (and
`list --from DIR …`, several participants')."""

from __future__ import annotations

import argparse
from collections.abc import Callable
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
from tui.alignment.export.markdown_export import entry_markdown
from tui.application.diary_context import (
    AddFields,
    Attach,
    configured_model,
    new_entry,
    profile_in_force,
    record_context,
)
from tui.application.listing import single_line
from tui.application.participant import open_diary
from tui.config import load_config
from tui.output.table import table
from tui.output.terminal import err, out
from tui.paths import Paths

RESPONSE_WIDTH = 60


def add_parsers(actions: argparse._SubParsersAction
                ) -> dict[str, Callable[[argparse.Namespace, Paths], int]]:
    """Register list, show, add and import; return their handlers by name."""
    listing = actions.add_parser("list", help="entries, oldest first, optionally filtered")
    listing.add_argument("--since", default="", help="from this date (YYYY-MM-DD)")
    listing.add_argument("--until", default="", help="up to this date (YYYY-MM-DD)")
    listing.add_argument("--profile", default="", help="only entries made under this profile")
    listing.add_argument("--value", default="", help="only entries with this value at risk")
    listing.add_argument("--outcome", default="", choices=("",) + OUTCOMES)
    listing.add_argument("--from", dest="sources", action="append", type=Path, default=[],
                         metavar="DIR", help="participants' diary folders (repeat), with "
                         "a participant column")
    show = actions.add_parser("show", help="one entry in full")
    show.add_argument("id")
    add = actions.add_parser("add", help="record an entry (every field is an option)")
    add.add_argument("--misaligned-response", default="",
                     help="(2) the response (default with --session: the answer)")
    add.add_argument("--initial-prompting", default="", help="(1) what you wanted and why")
    add.add_argument("--intervention", default="", help="(3) what you did about it")
    add.add_argument("--outcome", default="", choices=("",) + OUTCOMES, help="(4) outcome")
    add.add_argument("--note", default="", help="a note on the outcome")
    add.add_argument("--value", action="append", default=[], help="a value at risk (repeat)")
    add.add_argument("--model", default="", help="default: the conversation's, else config's")
    add.add_argument("--session", type=int, default=None, metavar="ID",
                     help="about this conversation (`coalign history list`): its transcript, "
                     "message ids, model, profile and marks")
    add.add_argument("--message", type=int, default=None, metavar="ID",
                     help="about this answer (or this prompt's answer) of --session "
                     "(default: its last answer)")
    imports = actions.add_parser("import", help="entries from a CSV file (headers by name)")
    imports.add_argument("file", type=Path)
    return {"list": _list, "show": _show, "add": _add, "import": _import}


def _participant(paths: Paths) -> tuple[str, bool]:
    config, _issues = load_config(paths.config_file)
    return config.pseudonym, config.consent  # the participant file's are stamped on save


def _participant_label(entry: DiaryEntry) -> str:
    return entry.pseudonym or (f"id {entry.participant_id[:8]}" if entry.participant_id
                               else "-")


def _row(entry: DiaryEntry, participant: bool) -> list[str]:
    return [entry.id, *([_participant_label(entry)] if participant else []),
            entry.final_outcome or "-", ",".join(entry.values_at_risk) or "-",
            single_line(entry.misaligned_response, RESPONSE_WIDTH, empty="-")]


def _list(args: argparse.Namespace, paths: Paths) -> int:
    where = DiaryFilter(args.since, args.until, args.profile, args.value, args.outcome)
    problems: list[str] = []
    if args.sources:  # several participants' folders, as `diary export --from` reads them
        entries = load_folders(args.sources, problems, where)
    else:
        store = DiaryStore(paths.diary_dir)
        entries = store.list(where)
        problems = store.problems
    if entries:
        header = ["id", *(["participant"] if args.sources else []), "outcome", "values",
                  "misaligned response"]
        out.line("\n".join(table(header, [_row(e, bool(args.sources)) for e in entries])))
    else:
        out.line("no diary entries")
    for problem in problems:
        err.line(f"warning: skipped {problem}")
    return 0


def _show(args: argparse.Namespace, paths: Paths) -> int:
    out.write(entry_markdown(DiaryStore(paths.diary_dir).get(args.id)))
    return 0


def _recording_store(paths: Paths) -> DiaryStore:
    """The diary store whose new entries carry the participant file's id (made on first
    use), the profile in force and the model config names, where they have none."""
    config, _issues = load_config(paths.config_file)
    return record_context(open_diary(paths), profile_in_force(paths, config),
                          configured_model(paths, config))


def _add(args: argparse.Namespace, paths: Paths) -> int:
    if args.message is not None and args.session is None:
        raise DiaryError("--message needs --session ID (`coalign history list` shows them)")
    fields = AddFields(args.misaligned_response, args.initial_prompting, args.intervention,
                       args.outcome, args.note, args.value, args.model)
    attach = Attach(args.session, args.message) if args.session is not None else None
    entry = new_entry(paths, fields, attach)
    entry = _recording_store(paths).add(entry)
    out.line(f"added {entry.id}")
    return 0


def _import(args: argparse.Namespace, paths: Paths) -> int:
    store = _recording_store(paths)
    pseudonym, consent = _participant(paths)
    report = import_csv(args.file, store, pseudonym, consent)
    for error in report.errors:
        err.line(f"{args.file}: {error}")
    out.line(f"imported {report.added} entries, {len(report.errors)} rows with problems")
    return 1 if report.errors else 0

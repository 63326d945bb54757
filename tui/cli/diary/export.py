"""`coalign diary export --format … -o PATH`: a study export from participants' folders."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path

from tui.alignment.diary import load_folders
from tui.alignment.export import FORMATS, run_export
from tui.output.terminal import err, out
from tui.paths import Paths

PROGRESS_FROM = 500  # entries; smaller exports finish before a progress line helps


def add_parsers(actions: argparse._SubParsersAction
                ) -> dict[str, Callable[[argparse.Namespace, Paths], int]]:
    """Register export; return its handler by name."""
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
    return {"export": _export}


def _progress(done: int, total: int) -> None:
    """'exporting N/TOTAL' redrawn in place on a terminal; elsewhere only the last one."""
    if err.isatty():
        err.control("\r")  # back to the start of the progress line
        err.write(f"exporting {done}/{total}")
        if done >= total:
            err.line()
    elif done >= total:
        err.line(f"exporting {done}/{total}")


def _export(args: argparse.Namespace, paths: Paths) -> int:
    problems: list[str] = []
    entries = load_folders(args.sources or [paths.diary_dir], problems)
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

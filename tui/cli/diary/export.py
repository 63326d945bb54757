"""`coalign diary export --format … -o PATH`: a study export from participants' folders."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path

from tui.alignment.export import FORMATS
from tui.alignment.export.phones import DEFAULT_REGION
from tui.alignment.export.redaction import summary
from tui.alignment.export.run import BrokenFiles, ExportReport, export_folders
from tui.application.participant import keeper_for
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
                        help="P01, P02, …; the key goes to a separate file (mode 0600)")
    export.add_argument("--key", type=Path, metavar="FILE",
                        help="reuse and extend this pseudonym key, so pseudonyms stay the "
                             "same across exports (implies --pseudonymise)")
    export.add_argument("--key-out", type=Path, metavar="FILE",
                        help="write the key here (default: --key, else beside the export; "
                             "a key already there is extended)")
    export.add_argument("--skip-broken", action="store_true",
                        help="leave out diary files that cannot be read (a git merge "
                             "conflict, say) with a warning, instead of stopping")
    export.add_argument("--redact", action="store_true",
                        help="mask e-mail addresses, phone numbers, home-folder paths, "
                             "URL passwords and participants' names in every field (years, "
                             "dates, DOIs, ISBNs, counts and pages are kept)")
    export.add_argument("--redact-name", action="append", default=[], metavar="NAME",
                        help="also mask this name and its first and family names (repeat; "
                             "implies --redact)")
    export.add_argument("--redact-report", type=Path, metavar="FILE",
                        help="write where each mask is (entry id, field, kind; never the "
                             "masked text) as CSV, mode 0600 (implies --redact)")
    export.add_argument("--phone-region", default=DEFAULT_REGION, metavar="CC",
                        help="the country whose national phone formats come first "
                             f"(default {DEFAULT_REGION}; others are looked for too)")
    export.add_argument("--bom", action="store_true", help="CSV starts with a UTF-8 BOM (Excel)")
    export.add_argument("--raw-cells", action="store_true",
                        help="CSV cells as they are: by default a cell starting with = + - @, "
                             "a tab or a CR gets a leading ' so spreadsheets show it as text, "
                             "not a formula")
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
    if not args.sources:  # your own diary: its participant file is made if it is missing
        keeper_for(paths).current()
    names = (args.redact_name if (args.redact or args.redact_name or args.redact_report)
             else None)
    try:
        report = export_folders(
            args.sources or [paths.diary_dir], args.format, args.output,
            skip_broken=args.skip_broken, progress=_progress, progress_from=PROGRESS_FROM,
            pseudonymise=args.pseudonymise, redact_names=names, bom=args.bom,
            raw_cells=args.raw_cells, key=args.key, key_out=args.key_out,
            phone_region=args.phone_region, redact_report=args.redact_report)
    except BrokenFiles as exc:
        for problem in exc.problems:
            err.line(f"coalign: {problem}")
        err.line(f"coalign: {exc}")
        return 2
    _print_report(report, args.output)
    return 0


def _print_report(report: ExportReport, output: Path) -> None:
    for problem in report.skipped_files:
        err.line(f"warning: skipped {problem}")
    for warning in report.warnings:
        err.line(f"warning: {warning}")
    out.line(f"wrote {report.written} entries to {output}"
             + (f"; left out {report.skipped_no_consent} without consent"
                if report.skipped_no_consent else ""))
    for absent in report.left_out:
        out.line(f"left out {absent.describe()}")
    if report.masked is not None:
        out.line(f"masked: {summary(report.masked)}")
    if report.redact_report:
        out.line(f"redaction report: {report.redact_report} (entry, field, kind; "
                 "no masked text)")
    if report.key_path:
        how = (f"extended, {report.key_added} new" if report.key_extended
               else f"new, {report.key_added} participants")
        out.line(f"pseudonym key: {report.key_path} ({how}; keep it apart from the export)")

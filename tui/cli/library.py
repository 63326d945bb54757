"""`coalign library add PATH… | list | show ID | remove ID|PATH… | search WORDS… | reindex`:
the researcher's own library that answers are grounded in (issue 16)."""

from __future__ import annotations

import argparse
from pathlib import Path

from tui.alignment.library.model import DEFAULT_LIBRARY
from tui.errors import ActionRefused
from tui.output.terminal import Terminal, err, out
from tui.paths import default_paths

BAR = 30


def add_library_parser(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    library = commands.add_parser("library", help="your own PDFs, notes and BibTeX, for "
                                  "grounded answers")
    actions = library.add_subparsers(dest="library_command", metavar="ACTION", required=True)
    add = actions.add_parser("add", help="index PDFs, Markdown or text notes, .bib files, "
                             "folders of them (unchanged files are skipped)")
    add.add_argument("paths", nargs="+", type=Path, metavar="PATH")
    for flag, what in (("--discipline", "a discipline tag"), ("--region", "a region it covers"),
                       ("--keyword", "a keyword")):
        add.add_argument(flag, action="append", default=[], help=f"{what} for every file added")
    add.add_argument("--language", default="", help="their language, where detection is wrong")
    listing = actions.add_parser("list", help="the documents indexed")
    show = actions.add_parser("show", help="one document: its metadata and first passages")
    show.add_argument("id", metavar="ID")
    drop = actions.add_parser("remove", help="forget documents (by #ID) or added files (PATH)")
    drop.add_argument("targets", nargs="+", metavar="ID|PATH")
    find = actions.add_parser("search", help="BM25 search of the passages")
    find.add_argument("words", nargs="+")
    find.add_argument("-n", type=int, default=8, help="passages to show (default 8)")
    find.add_argument("--profile", default=None, help="apply this profile's filters")
    again = actions.add_parser("reindex", help="read changed files again, rebuild the index")
    again.add_argument("--all", action="store_true", help="read every file again")
    for parser in (add, listing, drop, find, again):
        parser.add_argument("--library", default=None, metavar="NAME",
                            help=f"a named library (default: {DEFAULT_LIBRARY}"
                            f"{'' if parser in (add, drop) else '; list: all'})")


class _Bar:
    """A progress bar on a terminal (stderr); a line every tenth of the way elsewhere."""

    def __init__(self, terminal: Terminal) -> None:
        self.terminal = terminal
        self.shown = -1

    def __call__(self, done: int, total: int, path: Path) -> None:
        if total < 2:
            return
        if self.terminal.isatty():
            filled = BAR * done // total
            self.terminal.control("\r\x1b[K")
            self.terminal.write(f"[{'#' * filled}{'.' * (BAR - filled)}] {done}/{total} "
                                f"{path.name[:40]}")
            if done == total:
                self.terminal.line()
        elif total >= 20 and (tenth := 10 * done // total) > self.shown:
            self.shown = tenth
            self.terminal.line(f"indexing: {done} of {total} files")


def cmd_library(args: argparse.Namespace) -> int:
    # The readers (pypdf, bibtexparser, the language model) load only for this command.
    from tui.alignment.library.ingest import Tags, add_paths, reindex
    from tui.alignment.library.search import search
    from tui.application.library import (
        list_lines,
        open_index,
        remove,
        report_lines,
        search_lines,
        show_lines,
    )
    from tui.application.profiles import open_library

    paths = default_paths()
    command = args.library_command
    chosen = getattr(args, "library", None)
    name = chosen or DEFAULT_LIBRARY  # where add and remove work
    if command in ("add", "reindex"):
        index = open_index(paths, create=True)
        if command == "add":
            tags = Tags(tuple(args.discipline), tuple(args.region), tuple(args.keyword),
                        args.language)
            report = add_paths(index, args.paths, name, tags, _Bar(err))
        else:
            report = reindex(index, chosen, args.all, _Bar(err))
        lines, problems = report_lines(report)
        for line in lines:
            out.line(line)
        for problem in problems:
            err.line(problem)
        return 1 if report.problems else 0
    index = open_index(paths)
    if command == "list":
        lines = list_lines(index, chosen)
    elif command == "show":
        lines = show_lines(index, args.id)
    elif command == "remove":
        lines = remove(index, args.targets, name)
    else:
        filters = None
        if args.profile:
            try:
                entry = open_library(paths).get(args.profile)
            except KeyError:
                raise ActionRefused(f"no profile called {args.profile}; `coalign profile "
                                    "list` shows them") from None
            filters = entry.profile.filters if entry.profile else None
        result = search(index, " ".join(args.words), max(1, args.n),
                        [chosen] if chosen else [], filters)
        lines = search_lines(result)
    for line in lines:
        out.line(line)
    return 0

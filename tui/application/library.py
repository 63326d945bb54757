"""`coalign library …` for the CLI: the library's documents added, listed, shown, removed,
searched and re-indexed, as plain lines (untrusted text: the CLI writes it sanitised)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from tui.alignment.library.index import LibraryIndex
from tui.alignment.library.ingest import AddReport
from tui.alignment.library.model import Document
from tui.alignment.library.search import SearchResult
from tui.alignment.text import counted, strip_control
from tui.errors import ActionRefused
from tui.paths import Paths

SNIPPET = 200
UNCHANGED_LISTED = 10  # skipped files named one by one up to this many


def open_index(paths: Paths, create: bool = False) -> LibraryIndex:
    """The library in the data dir (created when create; else LibraryError if none yet)."""
    if create:
        paths.ensure_data_dir(writable=True)
    return LibraryIndex(paths.library_database, create=create)


def _flat(text: str, limit: int = 0) -> str:
    flat = " ".join(strip_control(text).split())
    return flat if not limit or len(flat) <= limit else flat[:limit - 1] + "…"


def document_line(document: Document) -> str:
    """'#12  pdf   2019 en  Okafor & Mensah (2019) “Oral archives”  (9 passages, default)'."""
    meta = document.meta
    title = f" “{_flat(meta.title, 70)}”" if meta.title and meta.authors else ""
    return (f"#{document.id:<5} {document.kind:<5} {meta.year or '    '} "
            f"{meta.language or '--':<3} {_flat(meta.label, 60)}{title}  "
            f"({counted(document.passages, 'passage')}, {document.library})")


def list_lines(index: LibraryIndex, library: str | None = None) -> list[str]:
    documents = index.documents([library] if library else [])
    if not documents:
        return ["the library is empty: add files with `coalign library add PATH…`"]
    lines = [document_line(document) for document in documents]
    totals = index.libraries()
    lines.append("; ".join(f"{name}: {docs} documents, {passages} passages"
                           for name, (docs, passages) in totals.items()
                           if not library or name == library))
    return lines


def _list(values: Sequence[str]) -> str:
    return ", ".join(_flat(value) for value in values) or "none"


def show_lines(index: LibraryIndex, arg: str, passages: int = 3) -> list[str]:
    """One document: every piece of metadata, where it came from, and its first passages."""
    try:
        document = index.document(int(arg.strip().lstrip("#")))
    except (ValueError, KeyError):
        raise ActionRefused(f"no document {arg!r}: `coalign library list` shows their "
                            "numbers") from None
    meta = document.meta
    language = f"{meta.language or 'unknown'}" + (f" ({meta.language_from})"
                                                  if meta.language_from else "")
    regions = _list(meta.regions) + (f" ({meta.regions_from})" if meta.regions_from else "")
    lines = [f"#{document.id} {document.kind} in library {document.library}",
             f"  file:        {_flat(document.path)}" + (f" (entry {meta.key}, line {meta.line})"
                                                       if meta.key else ""),
             f"  title:       {_flat(meta.title) or 'none'}",
             f"  authors:     {_list(meta.authors)}",
             f"  year:        {meta.year or 'unknown'}",
             f"  language:    {language}",
             f"  keywords:    {_list(meta.keywords)}",
             f"  disciplines: {_list(meta.disciplines)}",
             f"  regions:     {regions}",
             f"  passages:    {document.passages}"
             + (f" from {document.pages} pages" if document.pages else "")]
    if meta.doi:
        lines.append(f"  doi:         {_flat(meta.doi)}")
    for page, text in index.passages(document.id, passages):
        where = f"p. {page}: " if page else ""
        lines.append(f"  · {where}{_flat(text, SNIPPET)}")
    return lines


def remove(index: LibraryIndex, targets: Sequence[str], library: str) -> list[str]:
    """Forget documents by number (#12) or every document of an added file (its path)."""
    lines = []
    for target in targets:
        if target.lstrip("#").isdigit():
            try:
                document = index.remove_document(int(target.lstrip("#")))
            except KeyError:
                raise ActionRefused(f"no document {target}: `coalign library list` shows "
                                    "their numbers") from None
            lines.append(f"removed #{document.id} {_flat(document.meta.label)}")
            continue
        path = str(Path(target).expanduser().resolve())
        count = index.remove_path(library, path)
        if not count:
            raise ActionRefused(f"{target}: not in library {library}; `coalign library list` "
                                "shows what is")
        lines.append(f"removed {counted(count, 'document')} of {_flat(path)}")
    return lines


def report_lines(report: AddReport) -> tuple[list[str], list[str]]:
    """What an add or a re-index did (to stdout), and its problems (to stderr)."""
    lines = [f"added {path}: {counted(documents, 'document')}, {counted(passages, 'passage')}"
             for path, documents, passages in report.added]
    if len(report.unchanged) <= UNCHANGED_LISTED:
        lines += [f"skipped {path}: {why}" for path, why in report.unchanged]
    problems = [f"warning: {problem}" for problem in report.problems]
    problems += [f"warning: {path}: gone from disk; its documents are kept until "
                 f"`coalign library remove {path}`" for path in report.missing]
    lines.append(f"{len(report.added)} files indexed ({report.documents} documents, "
                 f"{report.passages} passages), {len(report.unchanged)} unchanged, "
                 f"{len(report.problems)} with problems")
    return lines, problems


def search_lines(result: SearchResult) -> list[str]:
    """The hits of `library search`, best first, and what the filters kept out."""
    if not result.query:
        return ["no words to search for (give some that are not all common words)"]
    lines = [f"[{n}] {hit.score:6.2f}  #{hit.document.id} {_flat(hit.where, 100)}\n"
             f"      {_flat(hit.text, SNIPPET)}" for n, hit in enumerate(result.hits, 1)]
    if not lines:
        lines.append("no passage matches")
    for name, rule in result.filtered.rules.items():
        count = len(result.filtered.excluded[name])
        lines.append(f"filter {name} {rule}: {counted(count, 'document')} excluded, "
                     f"{result.matched_excluded.get(name, 0)} of them matching")
    return lines

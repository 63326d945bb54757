"""A BibTeX or BibLaTeX file as library documents: each entry's abstract and the PDFs its
`file` field names (as Zotero, Better BibTeX and JabRef write it), read with the same
parser as the citation check (tui.alignment.assumptions.bibliography)."""

from __future__ import annotations

import re
from pathlib import Path

from bibtexparser.model import Entry

from tui.alignment.assumptions.bibliography import BibEntry, field_text, read_entries
from tui.alignment.library.language import language_code
from tui.alignment.library.model import BIB, Metadata, ReadDocument
from tui.alignment.library.readers import ReadError, abstract_passages, complete, one_line, read_pdf
from tui.errors import FileIssue

BIB_SUFFIXES = (".bib", ".bibtex", ".biblatex")
_UNESCAPED = re.compile(r"(?<!\\)[;]")
_COLON = re.compile(r"(?<!\\):")
_LIST = re.compile(r"\s*[;,]\s*")


def _unescape(text: str) -> str:
    return text.replace("\\:", ":").replace("\\;", ";").replace("\\\\", "\\").strip()


def file_paths(value: str, folder: Path) -> list[Path]:
    """The PDFs a `file` field names: 'Full Text:/a/b.pdf:application/pdf;…' (Zotero,
    JabRef) or '/a/b.pdf; /c.pdf' (Better BibTeX); relative ones from the .bib's folder."""
    found = []
    for part in _UNESCAPED.split(value):
        pieces = _COLON.split(part.strip())
        candidates = [":".join(pieces[1:-1])] if len(pieces) >= 3 else pieces
        for candidate in candidates:
            text = _unescape(candidate)
            if text.lower().endswith(".pdf"):
                path = Path(text).expanduser()
                found.append(path if path.is_absolute() else folder / path)
                break
    return found


def _items(value: str) -> list[str]:
    return [item for part in _LIST.split(value) if (item := one_line(part))]


def _meta(bib: BibEntry, entry: Entry) -> Metadata:
    meta = Metadata(title=bib.title or bib.key, authors=list(bib.authors), year=bib.year,
                    doi=bib.doi, key=bib.key, line=bib.line)
    language = field_text(entry, "langid") or field_text(entry, "language")
    if language:
        meta.language, meta.language_from = language_code(language), "bib"
    meta.keywords = _items(field_text(entry, "keywords"))
    meta.disciplines = _items(field_text(entry, "disciplines") or field_text(entry, "discipline"))
    meta.regions = _items(field_text(entry, "regions") or field_text(entry, "region"))
    meta.regions_from = "given" if meta.regions else ""
    return meta


def _document(path: Path, bib: BibEntry, entry: Entry,
              issues: list[FileIssue]) -> ReadDocument:
    meta = _meta(bib, entry)
    abstract = field_text(entry, "abstract")
    found = abstract_passages(meta, abstract)
    files, pages, samples = [], 0, [abstract]
    for pdf in file_paths(field_text(entry, "file", raw=True), path.parent):
        if not pdf.is_file():
            issues.append(FileIssue(path, bib.line, f"entry '{bib.key}' names {pdf}, which does "
                                    "not exist; indexed without it: fix its file field"))
            continue
        try:
            read = read_pdf(pdf)
        except ReadError as exc:
            issues.append(FileIssue(path, bib.line, f"entry '{bib.key}': {exc}"))
            continue
        files.append(pdf)
        pages += read.pages
        found += read.passages
        samples.append(" ".join(p.text for p in read.passages[:20]))
    return ReadDocument(BIB, path, complete(meta, "\n".join(samples)), found, pages, files)


def read_bib(path: Path) -> tuple[list[ReadDocument], list[FileIssue]]:
    """Every entry of a .bib file as a document, and the problems met (one line each)."""
    library, entries = read_entries(path)
    issues = list(library.issues)
    documents = [_document(path, bib, entry, issues)
                 for bib, entry in zip(library.entries, entries)]
    return documents, issues

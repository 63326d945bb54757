"""The user's own BibTeX libraries, read with bibtexparser 2; a broken entry is one issue line."""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import bibtexparser
from bibtexparser import middlewares
from bibtexparser.model import (
    Block,
    DuplicateBlockKeyBlock,
    DuplicateFieldKeyBlock,
    Entry,
    MiddlewareErrorBlock,
    ParsingFailedBlock,
)
from pylatexenc.latex2text import LatexNodes2Text

from tui.alignment.text import strip_control
from tui.errors import FileIssue

_ARXIV_ID = re.compile(r"(?<![\d.])(\d{4}\.\d{4,5})(?:v\d+)?(?![\d])")
_YEAR = re.compile(r"\b(1\d{3}|20\d{2})\b")
_HEAD = re.compile(r"\s*@(\w+)\s*[{(]\s*([^,\s]{0,80})")


@dataclass(frozen=True)
class BibEntry:
    """One work of the user's library, with display-safe fields."""

    key: str
    source: Path
    line: int  # 1-based line of the entry in its file
    authors: tuple[str, ...]  # surnames, first author first
    year: int | None
    title: str
    doi: str = ""
    arxiv: str = ""
    venue: str = ""

    @property
    def label(self) -> str:
        names = self.authors[0] + (" et al." if len(self.authors) > 2 else
                                   f" & {self.authors[1]}" if len(self.authors) == 2 else "")
        return f"{names if self.authors else self.key} ({self.year or 'n.d.'})"


LoadIssue = FileIssue  # A problem with one .bib file: file:line: what and how to fix


@dataclass
class Library:
    """All entries of the user's .bib files, indexed for checking citations."""

    entries: list[BibEntry] = field(default_factory=list)
    issues: list[LoadIssue] = field(default_factory=list)
    files: list[Path] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.by_doi = {e.doi: e for e in self.entries if e.doi}
        self.by_arxiv = {e.arxiv: e for e in self.entries if e.arxiv}
        self.by_title = {title_key(e.title): e for e in reversed(self.entries) if e.title}
        self.by_surname: dict[str, list[BibEntry]] = {}
        for entry in self.entries:
            if entry.authors:
                self.by_surname.setdefault(fold(entry.authors[0]), []).append(entry)


def fold(text: str) -> str:
    """A matching key: accents and case removed, letters and digits only."""
    plain = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in plain.casefold() if ch.isalnum())


def title_key(title: str) -> str:
    """A title for comparing: words folded, punctuation gone."""
    return " ".join(key for word in title.split() if (key := fold(word)))


def clean(value: str) -> str:
    """A .bib value made display-safe: braces and leftover LaTeX commands gone, one line."""
    value = re.sub(r"\\[a-zA-Z]+\*?\s*", "", value.replace("\\&", "&").replace("~", " "))
    return " ".join(strip_control(value.replace("{", "").replace("}", "")).split())


def _plain(text: str) -> str:
    """Untrusted text on one line, without control characters."""
    return " ".join(strip_control(text).split())[:200]


def normal_doi(text: str) -> str:
    """'https://doi.org/10.1/ABC' -> '10.1/abc' (DOIs are case-insensitive)."""
    doi = re.sub(r"^(?:https?://(?:dx\.)?doi\.org/|doi:\s*)", "", text.strip(), flags=re.I)
    return doi.rstrip(".").casefold()


@cache
def _latex() -> LatexNodes2Text:
    return LatexNodes2Text()


def decode(value: str) -> str:
    """LaTeX to text ('R{\\"o}ttger' -> 'Röttger'), then made display-safe with clean()."""
    if "\\" in value:
        try:
            value = _latex().latex_to_text(value)
        except Exception:  # noqa: BLE001 - keep the raw text rather than lose the entry
            pass
    return clean(value)


def _field(entry: Entry, name: str) -> str:
    found = entry.fields_dict.get(name)
    return decode(str(found.value)) if found is not None else ""


def field_text(entry: Entry, name: str, raw: bool = False) -> str:
    """An entry's field decoded from LaTeX ('' when it has none); raw: as written (a
    `file` field's paths, whose backslashes are no LaTeX)."""
    if not raw:
        return _field(entry, name)
    found = entry.fields_dict.get(name)
    return str(found.value) if found is not None else ""


def _surnames(entry: Entry) -> tuple[str, ...]:
    found = entry.fields_dict.get("author") or entry.fields_dict.get("editor")
    if found is None or not isinstance(found.value, list):
        return ()
    names = []
    for person in found.value:
        last = getattr(person, "last", None)
        names.append(decode(" ".join(last)) if last else decode(str(person)))
    return tuple(name for name in names if name and name.casefold() != "others")


def _line(block: Block) -> int:
    """The 1-based line a block starts on (bibtexparser sets it on every block it reads)."""
    assert block.start_line is not None
    return block.start_line + 1


def _entry(entry: Entry, path: Path) -> BibEntry:
    year = _YEAR.search(_field(entry, "year") or _field(entry, "date"))
    arxiv = ""
    if _field(entry, "archiveprefix").casefold() == "arxiv" or "arxiv" in _field(
            entry, "journal").casefold() + _field(entry, "doi").casefold():
        found = _ARXIV_ID.search(" ".join(_field(entry, k) for k in ("eprint", "journal", "doi")))
        arxiv = found.group(1) if found else ""
    venue = next((v for k in ("journal", "booktitle", "publisher") if (v := _field(entry, k))), "")
    return BibEntry(clean(entry.key), path, _line(entry), _surnames(entry),
                    int(year.group(1)) if year else None, _field(entry, "title"),
                    normal_doi(_field(entry, "doi")), arxiv, venue)


def _issue(path: Path, block: ParsingFailedBlock) -> LoadIssue:
    line = _line(block)
    if isinstance(block, DuplicateBlockKeyBlock):
        return LoadIssue(path, line, f"the key '{_plain(block.key)}' is used twice; the second "
                                     "entry was skipped: give it a key of its own")
    if isinstance(block, DuplicateFieldKeyBlock):
        key = _plain(getattr(block.ignore_error_block, "key", "?"))
        fields = ", ".join(sorted(_plain(k) for k in block.duplicate_keys))
        return LoadIssue(path, line, f"entry '{key}' sets {fields} twice; it was skipped: "
                                     "keep one of them")
    if isinstance(block, MiddlewareErrorBlock):
        why = _plain(str(block.error))
        return LoadIssue(path, line, f"an entry's LaTeX could not be decoded ({why}); it was "
                                     "skipped: simplify its accents or commands")
    reason = _plain(str(getattr(block.error, "abort_reason", block.error))).rstrip(".")
    raw = block.raw or ""  # always set on blocks read from a file
    last = line + raw.count("\n")
    head = _HEAD.match(raw)
    what = f"entry '{_plain(head[2])}' (@{head[1]})" if head else "a block"
    return LoadIssue(path, line, f"{what} could not be read ({reason}); it was skipped: check "
                                 f"its braces and quotes between lines {line} and {last}")


@contextmanager
def _quiet() -> Iterator[None]:
    """bibtexparser logs broken entries to stderr, which would break the screen; we report."""
    loggers = [logging.getLogger(name) for name in list(logging.root.manager.loggerDict)
               if name == "bibtexparser" or name.startswith("bibtexparser.")]
    before = [logger.disabled for logger in loggers]
    for logger in loggers:
        logger.disabled = True
    try:
        yield
    finally:
        for logger, was in zip(loggers, before):
            logger.disabled = was


def _parse(text: str) -> bibtexparser.Library:
    # LaTeX is decoded per field read (decode), not for every field: ten times faster.
    stack = [middlewares.SeparateCoAuthors(), middlewares.SplitNameParts()]
    with _quiet():
        return bibtexparser.parse_string(text, append_middleware=stack)


_LOADED: dict[Path, tuple[tuple[int, int], Library]] = {}  # unchanged files are not re-read


def load_bibliography(path: Path) -> Library:
    """One .bib file; what cannot be read becomes an issue, never an exception."""
    try:
        stat = path.stat()
        cached = _LOADED.get(path)
        if cached and cached[0] == (stat.st_mtime_ns, stat.st_size):
            return cached[1]
    except OSError:
        stat = None
    library = _read(path)
    if stat is not None:
        _LOADED[path] = ((stat.st_mtime_ns, stat.st_size), library)
    return library


def _read(path: Path) -> Library:
    return read_entries(path)[0]


def read_entries(path: Path) -> tuple[Library, list[Entry]]:
    """One .bib file, and its entries as bibtexparser gives them (for their other fields:
    abstract, file, keywords); what cannot be read becomes an issue, never an exception."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as error:
        return Library(issues=[LoadIssue(path, None, f"is not UTF-8 ({error.reason} at byte "
                                         f"{error.start}): save it as UTF-8")]), []
    except OSError as error:
        return Library(issues=[LoadIssue(path, None, f"cannot be read ({error.strerror or error})"
                                         ": check the path in your config")]), []
    try:
        parsed = _parse(text)
    except Exception as error:  # noqa: BLE001 - a parser bug must not take the panel down
        why = _plain(str(error))
        return Library(issues=[LoadIssue(path, None, f"could not be parsed ({why}): check it "
                                         "with a BibTeX tool")], files=[path]), []
    entries = [_entry(entry, path) for entry in parsed.entries]
    issues = [_issue(path, block) for block in parsed.failed_blocks]
    return Library(entries, issues, [path]), list(parsed.entries)


def load_bibliographies(paths: Iterable[Path | str]) -> Library:
    """All the user's .bib files in one Library; a broken file never stops the others."""
    entries, issues, files = [], [], []
    for path in paths:
        one = load_bibliography(Path(path).expanduser())
        entries += one.entries
        issues += one.issues
        files += one.files
    return Library(entries, issues, files)

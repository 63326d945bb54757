"""Read one file of the library: a PDF (pypdf, page by page) or a Markdown or text note.

A file that cannot be read raises ReadError with one line saying why and what to do.
"""

from __future__ import annotations

import logging
import re
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tui.alignment.library.language import detect, language_code
from tui.alignment.library.model import NOTE, PDF, Metadata, Passage, ReadDocument
from tui.alignment.library.text import clean_text, passages
from tui.alignment.text import strip_control
from tui.errors import CoalignError

PDF_SUFFIXES = (".pdf",)
NOTE_SUFFIXES = (".md", ".markdown", ".txt", ".text")
MAX_NOTE_BYTES = 20 * 1024 * 1024
_YEAR = re.compile(r"\b(1[5-9]\d\d|20\d\d)\b")
_HEADING = re.compile(r"^#{1,2}\s+(.+?)\s*#*\s*$", re.MULTILINE)
_FRONT = re.compile(r"\A(?:\ufeff)?---[ \t]*\n(.*?)\n(?:---|\.\.\.)[ \t]*(?:\n|\Z)", re.DOTALL)
_FIELD = re.compile(r"^([A-Za-z_][\w-]*)\s*:\s*(.*)$")
_MARKS = re.compile(r"^(?:#{1,6}|>|[-*+])\s+", re.MULTILINE)  # Markdown line marks
_UNTITLED = re.compile(r"^(untitled|microsoft word - .*|document\d*|\s*)$", re.IGNORECASE)


class ReadError(CoalignError):
    """A file of the library could not be read; it is skipped, said in one line."""


def one_line(text: str, limit: int = 300) -> str:
    """Untrusted metadata on one display-safe line."""
    return " ".join(strip_control(text).split())[:limit]


def surname(name: str) -> str:
    """'Ada Okafor' or 'Okafor, Ada' -> 'Okafor'."""
    name = one_line(name, 120)
    if "," in name:
        return name.split(",")[0].strip()
    return name.split()[-1] if name.split() else ""


def split_names(value: str) -> list[str]:
    """'Ada Okafor; Kwame Mensah' or 'Okafor, A. and Mensah, K.' -> their surnames."""
    parts = re.split(r"\s*;\s*|\s+and\s+|\s*&\s*", value)
    return [found for part in parts if (found := surname(part))]


def year_of(text: str) -> int | None:
    found = _YEAR.search(text or "")
    return int(found.group(1)) if found else None


def complete(meta: Metadata, sample: str) -> Metadata:
    """Fill what the file did not say: the language (detected) and the places its title,
    keywords and sample name (the regions filter's evidence)."""
    if not meta.language:
        meta.language = detect(sample)
        meta.language_from = "detected" if meta.language else ""
    if not meta.regions:
        from tui.alignment.assumptions.grounding import find_places

        text = " \n ".join([meta.title, "; ".join(meta.keywords), sample[:2000]])
        names = dict.fromkeys(mention.place.name for mention in find_places(text))
        meta.regions = list(names)
        meta.regions_from = "named" if meta.regions else ""
    return meta


@contextmanager
def _quiet() -> Iterator[None]:
    """pypdf warns about damaged files on stderr, which would break the screen; we report."""
    logger = logging.getLogger("pypdf")
    level = logger.level
    logger.setLevel(logging.CRITICAL + 1)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        logger.setLevel(level)


def _pdf_meta(reader: object, path: Path) -> Metadata:
    meta = Metadata()
    try:
        info = getattr(reader, "metadata", None) or {}
        title = one_line(str(info.get("/Title") or ""))
        author = one_line(str(info.get("/Author") or ""))
        created = str(info.get("/CreationDate") or "")
    except Exception:  # noqa: BLE001 - a damaged info dictionary: go on without it
        title = author = created = ""
    meta.title = title if not _UNTITLED.match(title) else path.stem
    meta.authors = split_names(author)
    meta.year = year_of(created[2:6] if created.startswith("D:") else created)
    return meta


def read_pdf(path: Path) -> ReadDocument:
    """A PDF's text page by page, with what its info dictionary says (title, author, year)."""
    from pypdf import PdfReader

    with _quiet():
        try:
            reader = PdfReader(path)
            if reader.is_encrypted and not reader.decrypt(""):
                raise ReadError(f"{path}: is encrypted; skipped: save a copy without a "
                                "password and add that")
            pages = [page.extract_text() or "" for page in reader.pages]
            meta = _pdf_meta(reader, path)
        except ReadError:
            raise
        except Exception as exc:  # noqa: BLE001 - pypdf raises many kinds on damaged files
            why = one_line(str(exc), 120) or type(exc).__name__
            raise ReadError(f"{path}: is not a readable PDF ({why}); skipped: open it in a PDF "
                            "reader and save it again, or export it anew") from None
    found = [passage for number, text in enumerate(pages, 1)
             for passage in passages(text, page=number)]
    if not found:
        raise ReadError(f"{path}: has no text to index ({len(pages)} pages without a text "
                        "layer; a scan?); skipped: run OCR on it first")
    sample = clean_text("\n".join(pages))
    return ReadDocument(PDF, path, complete(meta, sample), found, pages=len(pages))


def _front_matter(text: str) -> tuple[dict[str, str], str]:
    """A note's `---` front matter (key: value lines) and the text after it."""
    match = _FRONT.match(text)
    if not match:
        return {}, text
    fields = {}
    for line in match.group(1).splitlines():
        if found := _FIELD.match(line.strip()):
            fields[found.group(1).casefold()] = found.group(2).strip().strip("\"'")
    return fields, text[match.end():]


def _items(value: str) -> list[str]:
    """'[a, "b c"]' or 'a, b c' -> ['a', 'b c']."""
    value = value.strip().removeprefix("[").removesuffix("]")
    return [item for part in value.split(",") if (item := one_line(part.strip().strip("\"'")))]


def _note_meta(fields: dict[str, str], body: str, path: Path) -> Metadata:
    def first(*keys: str) -> str:
        return next((fields[key] for key in keys if fields.get(key)), "")

    meta = Metadata()
    heading = _HEADING.search(body) if path.suffix.lower() in (".md", ".markdown") else None
    meta.title = one_line(first("title") or (heading.group(1) if heading else "") or path.stem)
    authors = first("authors", "author")
    meta.authors = ([surname(name) for name in _items(authors)] if authors.startswith("[")
                    else split_names(authors))
    meta.year = year_of(first("year", "date"))
    if language := first("language", "lang", "langid"):
        meta.language, meta.language_from = language_code(language), "front matter"
    meta.keywords = _items(first("keywords", "tags"))
    meta.disciplines = _items(first("disciplines", "discipline"))
    meta.regions = _items(first("regions", "region"))
    meta.regions_from = "given" if meta.regions else ""
    return meta


def read_note(path: Path) -> ReadDocument:
    """A Markdown or text note; `---` front matter may give title, authors, year, language,
    keywords (or tags), discipline and region."""
    try:
        if path.stat().st_size > MAX_NOTE_BYTES:
            raise ReadError(f"{path}: is over {MAX_NOTE_BYTES // 2**20} MB; skipped: split it "
                            "into smaller notes")
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ReadError(f"{path}: is not UTF-8 text (byte {exc.start}); skipped: save it as "
                        "UTF-8") from None
    except OSError as exc:
        raise ReadError(f"{path}: cannot be read ({exc.strerror or exc}); skipped") from None
    fields, body = _front_matter(text)
    found = passages(_MARKS.sub("", body))
    if not found:
        raise ReadError(f"{path}: is empty; skipped")
    meta = _note_meta(fields, body, path)
    return ReadDocument(NOTE, path, complete(meta, clean_text(body)), found)


def read_file(path: Path) -> ReadDocument:
    """A PDF or a note, by its suffix."""
    suffix = path.suffix.lower()
    if suffix in PDF_SUFFIXES:
        return read_pdf(path)
    if suffix in NOTE_SUFFIXES:
        return read_note(path)
    raise ReadError(f"{path}: is not a PDF, Markdown, text or BibTeX file; skipped")


def abstract_passages(meta: Metadata, abstract: str) -> list[Passage]:
    """A .bib entry's own passages: its title, authors and year, then its abstract."""
    head = f"{meta.title}. {', '.join(meta.authors)} ({meta.year or 'n.d.'})."
    return passages(f"{head}\n\n{abstract}" if abstract else head)

"""The researcher's library as plain data: documents, their passages, and search hits."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_LIBRARY = "default"
PDF, NOTE, BIB = "pdf", "note", "bib"


@dataclass
class Metadata:
    """What is known about a work; empty or None where its file does not say."""

    title: str = ""
    authors: list[str] = field(default_factory=list)  # surnames, first author first
    year: int | None = None
    language: str = ""  # ISO 639 code ('en', 'de'), '' when unknown
    language_from: str = ""  # where the language came from: 'bib', 'front matter', 'detected'
    keywords: list[str] = field(default_factory=list)
    disciplines: list[str] = field(default_factory=list)
    regions: list[str] = field(default_factory=list)  # place names (countries, M49 regions)
    regions_from: str = ""  # 'given' (a field or flag) or 'named' (found in title, abstract)
    doi: str = ""
    key: str = ""  # the BibTeX key, '' for files added directly
    line: int = 0  # the entry's line in its .bib file (0: not from a .bib)

    @property
    def label(self) -> str:
        """'Okafor (2019)', 'Mensah & Boateng (2021)', 'Asante et al. (n.d.)' or the title."""
        if not self.authors:
            return f"{self.title or self.key or 'untitled'} ({self.year or 'n.d.'})"
        names = self.authors[0]
        if len(self.authors) == 2:
            names += f" & {self.authors[1]}"
        elif len(self.authors) > 2:
            names += " et al."
        return f"{names} ({self.year or 'n.d.'})"


@dataclass
class Passage:
    """One stretch of a document's text, with its page for PDFs (None elsewhere)."""

    text: str
    page: int | None = None


@dataclass
class ReadDocument:
    """A document as a reader made it, before it is stored."""

    kind: str  # PDF, NOTE or BIB
    path: Path  # the file it was read from (a .bib entry: the .bib file)
    meta: Metadata
    passages: list[Passage]
    pages: int = 0  # pages of a PDF (0 for other kinds)
    files: list[Path] = field(default_factory=list)  # PDFs a .bib entry's `file` field named


@dataclass(frozen=True)
class Document:
    """A stored document of one library."""

    id: int
    library: str
    kind: str
    path: str
    sha256: str
    meta: Metadata
    passages: int
    pages: int
    added_at: float


@dataclass(frozen=True)
class Hit:
    """One passage found for a query, with its BM25 score (higher: a better match)."""

    passage_id: int
    document: Document
    page: int | None
    text: str
    score: float

    @property
    def where(self) -> str:
        """'Okafor (2019), “Oral archives”, p. 3'."""
        meta = self.document.meta
        title = f", “{meta.title}”" if meta.title and meta.authors else ""  # else the label
        page = f", p. {self.page}" if self.page else ""
        return f"{meta.label}{title}{page}"

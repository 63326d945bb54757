"""Each cited work looked up in the user's own BibTeX libraries, offline."""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from enum import Enum

from tui.alignment.assumptions.bibliography import (
    BibEntry,
    Library,
    fold,
    normal_doi,
    title_key,
)
from tui.alignment.assumptions.citations import Citation

PROVENANCE = ("Citations found by pattern in the text and looked up in your own .bib files "
              "(by DOI, then first author and year, then a similar title); \"not found\" means "
              "not in your libraries, which is not proof that the work does not exist.")

TITLE_SIMILAR = 0.85  # difflib ratio from which two titles count as the same work
YEAR_SLACK = 2  # a same-author entry this many years off is reported as a year difference


class Status(Enum):
    """What the user's libraries say about one cited work."""

    FOUND = "found"
    FOUND_WITH_DIFFERENCES = "found with differences"
    NOT_FOUND = "not found"


@dataclass(frozen=True)
class CitationCheck:
    """One citation, the library entry it matched (if any), how, and what differs."""

    citation: Citation
    status: Status
    entry: BibEntry | None = None
    matched_by: str = ""  # "doi", "arxiv", "author and year", "author", "title"
    differences: tuple[str, ...] = ()


def similarity(a: str, b: str) -> float:
    """How alike two titles are, 0 to 1, ignoring case, accents and punctuation."""
    return difflib.SequenceMatcher(None, title_key(a), title_key(b)).ratio()


def _surname_key(name: str) -> str:
    return fold(name.split()[-1]) if name.split() else ""


def differences(citation: Citation, entry: BibEntry) -> tuple[str, ...]:
    """What the citation says that the library entry does not (only parts the text gives)."""
    found = []
    if citation.year and entry.year and citation.year != entry.year:
        found.append(f"year: cited {citation.year}, your library has {entry.year}")
    cited = [_surname_key(name) for name in citation.authors]
    known = [_surname_key(name) for name in entry.authors]
    if cited and known and (cited[0] != known[0] or any(a not in known for a in cited)
                            or (len(cited) == 2 and not citation.et_al and len(known) > 2)):
        library = ", ".join(entry.authors[:3]) + (" et al." if len(entry.authors) > 3 else "")
        found.append(f"authors: cited {' & '.join(citation.authors)}"
                     f"{' et al.' if citation.et_al else ''}, your library has {library}")
    if citation.title and entry.title and similarity(citation.title, entry.title) < 0.95:
        found.append(f"title: cited “{citation.title}”, your library has “{entry.title}”")
    if citation.doi and entry.doi and normal_doi(citation.doi) != entry.doi:
        found.append(f"DOI: cited {citation.doi}, your library has {entry.doi}")
    return tuple(found)


def _by_author(citation: Citation, library: Library) -> tuple[BibEntry | None, str]:
    same = library.by_surname.get(_surname_key(citation.authors[0]), [])
    if citation.title:
        titled = [e for e in same if e.title and similarity(e.title, citation.title) >= 0.6]
        same = titled or same
    exact = [e for e in same if e.year == citation.year]
    if exact:
        pool = exact
    else:
        pool = [e for e in same if e.year and citation.year
                and abs(e.year - citation.year) <= YEAR_SLACK]
    if not pool:
        return None, ""
    cited = {_surname_key(name) for name in citation.authors}
    best = max(pool, key=lambda e: (len(cited & {_surname_key(n) for n in e.authors}),
                                    similarity(e.title, citation.title) if citation.title else 0,
                                    -abs((e.year or 0) - (citation.year or 0))))
    return best, "author and year" if exact else "author"


def _by_title(citation: Citation, library: Library) -> BibEntry | None:
    close = difflib.get_close_matches(title_key(citation.title), library.by_title, 1,
                                      TITLE_SIMILAR)
    return library.by_title[close[0]] if close else None


def find_entry(citation: Citation, library: Library) -> tuple[BibEntry | None, str]:
    """The library entry a citation names, and how it was matched."""
    if citation.doi and normal_doi(citation.doi) in library.by_doi:
        return library.by_doi[normal_doi(citation.doi)], "doi"
    if citation.arxiv and citation.arxiv in library.by_arxiv:
        return library.by_arxiv[citation.arxiv], "arxiv"
    if citation.authors:
        entry, how = _by_author(citation, library)
        if entry:
            return entry, how
    if citation.title:
        entry = _by_title(citation, library)
        if entry:
            return entry, "title"
    return None, ""


def check(citation: Citation, library: Library) -> CitationCheck:
    """FOUND, FOUND_WITH_DIFFERENCES (listed) or NOT_FOUND in the user's libraries."""
    entry, how = find_entry(citation, library)
    if entry is None:
        return CitationCheck(citation, Status.NOT_FOUND)
    found = differences(citation, entry)
    status = Status.FOUND_WITH_DIFFERENCES if found else Status.FOUND
    return CitationCheck(citation, status, entry, how, found)


def check_all(citations: list[Citation], library: Library) -> list[CitationCheck]:
    """Every citation checked; the same work cited twice is checked twice."""
    return [check(citation, library) for citation in citations]

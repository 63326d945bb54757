"""The works a response cites: author–year forms, reference-list lines, titles, DOIs, arXiv ids.

Found by pattern, so unusual citation styles (numbered, corporate authors) are missed.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from dataclasses import dataclass, replace

from tui.alignment.assumptions.geo import surface_names
from tui.alignment.text import strip_control

AUTHOR_YEAR, REFERENCE, DOI, ARXIV, TITLE = "author-year", "reference", "doi", "arxiv", "title"

_UPPER = "A-ZÀ-ÖØ-ÞĀ-ŽŁ"
_PARTICLE = (r"(?:(?i:van|von|de|der|den|da|di|du|del|della|la|le|al|el|ten|ter|dos)\s+)"
             r"{0,2}")
_NAME = rf"{_PARTICLE}[{_UPPER}]\w*(?:['’][{_UPPER}]\w*)?(?:-[{_UPPER}]?\w+)*"
_YEAR = r"(?:1[5-9]\d\d|20\d\d)[a-z]?|n\.d\."
_ETAL = r"\s+et\s+al\.?"
_AUTHORS = rf"(?P<a1>{_NAME})(?:{_ETAL}|,?\s+(?:and|&)\s+(?P<a2>{_NAME}))?"
_NARRATIVE = re.compile(
    rf"(?<![\w-]){_AUTHORS}(?:['’]s)?\s*\(\s*(?P<years>(?:{_YEAR})(?:\s*,\s*(?:{_YEAR}))*)\s*"
    rf"(?:,\s*p+\.\s*[\d–-]+\s*)?\)"
    rf"|(?<![\w-])(?P<e1>{_NAME}){_ETAL},?\s+(?P<eyear>{_YEAR})\b")
_ITEM = re.compile(rf"\s*(?:(?:see|e\.g\.|cf\.|also|but)[,\s]+)*{_AUTHORS},?\s+"
                   rf"(?P<years>(?:{_YEAR})(?:\s*,\s*(?:{_YEAR}))*)")
_PARENS = re.compile(r"\(([^()\n]{4,300})\)")
_INITIALS = rf"(?:[{_UPPER}]\.\s?(?:-?[{_UPPER}]\.\s?)*)"
_REF_AUTHOR = rf"{_NAME},\s+{_INITIALS}"
_REFERENCE = re.compile(
    rf"(?m)(?P<authors>{_REF_AUTHOR}(?:,\s+{_REF_AUTHOR})*(?:,?\s+(?:&|and)\s+{_REF_AUTHOR})?"
    rf"(?:,?\s+et\s+al\.)?)\s*\((?P<year>{_YEAR})(?:,\s*\w+(?:\s+\d+)?)?\)\.\s+"
    rf"(?P<title>[^\n]+?[.?!])(?=\s|$)")
_DOI = re.compile(r"(?:https?://(?:dx\.)?doi\.org/|\bdoi:\s*)?\b(?P<doi>10\.\d{4,9}/[^\s\"<>\x00-\x1f\x7f-\x9f]+)",
                  re.IGNORECASE)
_ARXIV = re.compile(r"(?:\barXiv:\s*|arxiv\.org/abs/)(?P<id>\d{4}\.\d{4,5})(?:v\d+)?",
                    re.IGNORECASE)
_QUOTED = re.compile(r"[\"“](?P<q>[^\"“”\n]{8,200})[\"”]|(?<!\*)\*(?P<i>[^*\n]{8,200})\*(?!\*)")
_TITLE_CUE = re.compile(r"(?:titled|entitled|paper|article|book|study|chapter|report|thesis|"
                        r"essay|monograph|in)\W{0,3}$", re.IGNORECASE)
# Capitalised words that precede a bracketed year without being anyone's name.
_NOT_NAMES = frozenset(
    "In On At By For From See The This That These Those Since During Until Before After And "
    "Or But Also As Table Figure Fig Section Chapter Appendix Vol Volume Report January "
    "February March April May June July August September October November December Spring "
    "Summer Autumn Fall Winter Study Studies Survey Census Act Law Data Version".split())
_REACH = 1000  # how far apart (characters) a title or DOI and its citation may start
_SENTENCE_END = re.compile(rf"(?<!\bal)(?<!\b[{_UPPER}])[.?!]\s+(?=[{_UPPER}\"“(])|\n")


@dataclass(frozen=True)
class Citation:
    """One cited work as the text gives it; unknown parts are empty.

    `text` is the raw slice text[start:end] of untrusted output: show `label` instead, or
    render it literally.
    """

    start: int
    end: int
    text: str
    kind: str  # AUTHOR_YEAR, REFERENCE, DOI, ARXIV or TITLE: how it was found
    authors: tuple[str, ...] = ()  # surnames as written, first author first
    et_al: bool = False
    year: int | None = None
    title: str = ""
    doi: str = ""
    arxiv: str = ""

    @property
    def label(self) -> str:
        """A short, display-safe name: 'Smith & Jones (2020)', a title or a DOI."""
        if self.authors:
            names = " & ".join(self.authors[:2]) + (" et al." if self.et_al else "")
            return f"{names} ({self.year or 'n.d.'})"
        return self.title or (f"doi:{self.doi}" if self.doi else f"arXiv:{self.arxiv}")


def _year(text: str) -> int | None:
    return int(text[:4]) if text[:4].isdigit() else None


def _surname(name: str) -> str:
    return " ".join(name.split())


def _author_year(match: re.Match[str], offset: int = 0) -> list[Citation]:
    first = match["a1"] or match["e1"]
    if first.split()[-1] in _NOT_NAMES or first in surface_names():
        return []
    authors = tuple(_surname(n) for n in (first, match.groupdict().get("a2")) if n)
    et_al = "et al" in match.group()
    years = (match.groupdict().get("years") or match["eyear"]).split(",")
    start = match.start("a1" if match["a1"] else "e1")
    words = match.string[start:match.end()]
    return [Citation(start + offset, match.end() + offset, words, AUTHOR_YEAR, authors, et_al,
                     _year(y.strip())) for y in years]


def _parenthetical(text: str) -> list[Citation]:
    found = []
    for group in _PARENS.finditer(text):
        position = group.start(1)
        for part in group[1].split(";"):
            item = _ITEM.match(part)
            if item:
                found += _author_year(item, position)
            position += len(part) + 1
    return found


def _references(text: str) -> list[Citation]:
    found = []
    for match in _REFERENCE.finditer(text):
        names = re.findall(rf"({_NAME}),\s+{_INITIALS}", match["authors"])
        title = match["title"].rstrip(".").strip()
        found.append(Citation(match.start(), match.end(), match.group(), REFERENCE,
                              tuple(_surname(n) for n in names), "et al" in match["authors"],
                              _year(match["year"]), strip_control(title)))
    return found


def _trim_doi(doi: str) -> str:
    """Drop the punctuation after a DOI, and closing brackets it does not open itself."""
    doi = doi.rstrip(".,;:'’”")
    for close, opening in ((")", "("), ("]", "[")):
        while doi.endswith(close) and doi.count(close) > doi.count(opening):
            doi = doi[:-1].rstrip(".,;:")
    return doi


def _identifiers(text: str) -> list[Citation]:
    found = []
    for match in _DOI.finditer(text):
        doi = _trim_doi(match["doi"])
        end = match.start("doi") + len(doi)
        found.append(Citation(match.start(), end, text[match.start():end], DOI, doi=doi))
    for match in _ARXIV.finditer(text):
        found.append(Citation(match.start(), match.end(), match.group(), ARXIV,
                              arxiv=match["id"]))
    return found


def _titles(text: str) -> list[Citation]:
    found = []
    for match in _QUOTED.finditer(text):
        title = (match["q"] or match["i"]).strip().rstrip(",.")
        if len(title.split()) >= 2 and title[0].isupper():
            found.append(Citation(match.start(), match.end(), match.group(), TITLE,
                                  title=strip_control(title)))
    return found


def _same_sentence(text: str, a: Citation, b: Citation) -> bool:
    low, high = sorted((a, b), key=lambda c: c.start)
    return (high.start - low.end <= 80
            and not _SENTENCE_END.search(text, low.end, max(low.end, high.start) + 1))


def _belongs(text: str, work: Citation, extra: Citation) -> bool:
    """A reference line owns what follows on its line; a DOI must touch its citation."""
    if work.kind == REFERENCE and work.end <= extra.start:
        return "\n" not in text[work.end:extra.start]
    if extra.kind == TITLE:
        return _same_sentence(text, work, extra)
    low, high = sorted((work, extra), key=lambda c: c.start)
    return len(text[low.end:high.start].strip(" ,;:(")) == 0 and high.start - low.end <= 6


def _merge(text: str, works: list[Citation], extras: list[Citation]) -> list[Citation]:
    """Give each title, DOI and arXiv id to the author–year citation it belongs to."""
    merged = {id(work): work for work in works}
    works = sorted(works, key=lambda w: w.start)
    starts = [w.start for w in works]
    alone = []
    for extra in extras:
        nearby = works[bisect_left(starts, extra.start - _REACH):
                       bisect_right(starts, extra.end + _REACH)]
        near = [w for w in nearby if _belongs(text, w, extra)]
        near = [w for w in near if not getattr(merged[id(w)], extra.kind)]
        if near:
            work = min(near, key=lambda w: abs(w.start - extra.start))
            merged[id(work)] = replace(merged[id(work)], **{extra.kind: getattr(extra, extra.kind)})
        elif extra.kind != TITLE or _TITLE_CUE.search(text, max(0, extra.start - 20), extra.start):
            alone.append(extra)
    return sorted([*merged.values(), *alone], key=lambda c: c.start)


def _inside(span: Citation, others: list[Citation]) -> bool:
    return any(o.start <= span.start and span.end <= o.end and o is not span for o in others)


def find_citations(text: str) -> list[Citation]:
    """Every work the text cites, in order; a title or DOI joins its author–year citation."""
    references = _references(text)
    narrative = [c for m in _NARRATIVE.finditer(text) for c in _author_year(m)]
    works = references + narrative + _parenthetical(text)
    works = [w for w in works if w.kind == REFERENCE or not _inside(w, references)]
    works = list({(w.start, w.year): w for w in works}.values())
    extras = [e for e in _identifiers(text) + _titles(text)
              if not (e.kind == TITLE and _inside(e, references))]
    return _merge(text, works, extras)

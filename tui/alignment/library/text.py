"""Text into passages for the index, and a user's words into a safe FTS5 query."""

from __future__ import annotations

import re

from tui.alignment.library.model import Passage
from tui.alignment.text import strip_control

PASSAGE_WORDS = 120  # about this many words a passage (paragraphs are kept whole up to 2x)
MAX_TERMS = 24  # words of a prompt searched for at most
_WORD = re.compile(r"\w+", re.UNICODE)
_PARAGRAPH = re.compile(r"\n\s*\n")
_SENTENCE = re.compile(r"(?<=[.!?])\s+")
_HYPHENATED = re.compile(r"(\w)-\n(\w)")  # a word a PDF line break cut in two

# Words too common to say what a question is about (English, German, French, Spanish).
STOPWORDS = frozenset("""
a about above after again all also am an and any are as at be because been before being
below between both but by can could did do does doing down during each few for from further
had has have having he her here hers him his how i if in into is it its itself just me more
most my no nor not now of off on once only or other our ours out over own same she should so
some such than that the their them then there these they this those through to too under
until up very was we were what when where which while who whom why will with would you your
yours tell give show explain describe list please say said know think mean does did according
der die das und oder ist sind ein eine einer eines den dem des zu von mit auf für nicht im
le la les et ou est sont un une des du de en dans pour par sur qui que
el los las y o es son una unos unas del al con por para que
""".split())


def clean_text(text: str) -> str:
    """Extracted text made plain: controls gone, words a line break cut joined again."""
    text = strip_control(text).replace("\u00ad", "")
    return _HYPHENATED.sub(r"\1\2", text)


def _pieces(paragraph: str, limit: int) -> list[str]:
    """A paragraph longer than limit words, cut at sentence ends (or, failing that, words)."""
    pieces: list[str] = []
    current: list[str] = []
    for sentence in _SENTENCE.split(paragraph):
        words = sentence.split()
        while len(words) > limit:  # one very long "sentence" (a table, a list)
            if current:
                pieces.append(" ".join(current))
                current = []
            pieces.append(" ".join(words[:limit]))
            words = words[limit:]
        if current and len(current) + len(words) > limit:
            pieces.append(" ".join(current))
            current = []
        current += words
    if current:
        pieces.append(" ".join(current))
    return pieces


def passages(text: str, page: int | None = None, words: int = PASSAGE_WORDS) -> list[Passage]:
    """Text cut into passages of about `words` words: short paragraphs joined, long ones
    cut at sentence ends."""
    found: list[Passage] = []
    current: list[str] = []
    for paragraph in _PARAGRAPH.split(clean_text(text)):
        flat = " ".join(paragraph.split())
        if not flat:
            continue
        size = len(flat.split())
        if size > 2 * words:
            if current:
                found.append(Passage(" ".join(current), page))
                current = []
            found += [Passage(piece, page) for piece in _pieces(flat, words)]
            continue
        if current and len(" ".join(current).split()) + size > words:
            found.append(Passage(" ".join(current), page))
            current = []
        current.append(flat)
    if current:
        found.append(Passage(" ".join(current), page))
    return found


def terms(text: str, limit: int = MAX_TERMS) -> list[str]:
    """The words of text worth searching for, in order, each once (no stopwords)."""
    seen: dict[str, None] = {}
    for match in _WORD.finditer(text.casefold()):
        word = match.group().strip("_")
        year = len(word) == 4 and word.isdigit()
        if year or (len(word) > 1 and word not in STOPWORDS and not word.isdigit()):
            seen.setdefault(word, None)
    return list(seen)[:limit]


def fts_query(words: list[str]) -> str:
    """An FTS5 query for words: each one quoted (FTS5 syntax in user text is never read
    as syntax) and joined by OR, so BM25 ranks passages by how many of them, and how rare,
    they hold; '' for no words."""
    return " OR ".join(f'"{word.replace(chr(34), chr(34) * 2)}"' for word in words)

"""The passages that best match a prompt (FTS5's BM25), among the documents the profile's
filters keep, and what the filters kept out of this search.

A passage's id holds its document's (index.passage_id), so ranking, the filters and the
count of excluded documents that match all run on the FTS table alone, without a join.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field

from tui.alignment.library.filters import FilterResult, apply_filters
from tui.alignment.library.index import ORDINAL_BITS, LibraryIndex
from tui.alignment.library.model import Document, Hit
from tui.alignment.library.text import fts_query, terms
from tui.alignment.profiles.schema import Filters

COMMON = 0.5  # a word in over half the passages adds nothing to BM25 (its idf is 0)
BUDGET = 0.1  # passages the query's words may hold together, as a share of them all
MIN_BUDGET = 5000  # passages: a small library is searched for every word
MIN_WORDS = 2  # rarest words kept whatever the budget
PER_DOCUMENT = 2  # passages of one document at most, so that one long PDF cannot fill them all
HEAD_WEIGHT = 0.5  # a match in the title, authors or tags counts half a match in the text
TOP = 200  # best passages ranked before the filters; fewer kept than asked: ranked within
_RANKED = f"""
SELECT rowid, bm25(passages_fts, 1.0, {HEAD_WEIGHT}) AS rank FROM passages_fts
WHERE passages_fts MATCH ? {{within}} ORDER BY rank LIMIT ?
"""
_WITHIN = f"AND (rowid >> {ORDINAL_BITS}) IN (SELECT value FROM json_each(?))"
_MATCHED = f"SELECT DISTINCT rowid >> {ORDINAL_BITS} FROM passages_fts WHERE passages_fts MATCH ?"


@dataclass
class SearchResult:
    """The hits for one query, best first, and the filters' work on the documents."""

    query: str  # the FTS5 query sent ('' when no word of the text is worth searching for)
    hits: list[Hit]
    filtered: FilterResult
    matched_excluded: dict[str, int] = field(default_factory=dict)  # filter -> documents
    documents: int = 0  # documents searched (in the libraries named)


def telling_words(index: LibraryIndex, words: list[str]) -> list[str]:
    """The words worth searching for: those some passage holds, rarest first; past the
    MIN_WORDS rarest, only while together they hold at most BUDGET of the passages (or
    MIN_BUDGET) and none that over half of them hold. BM25 gives common words almost no
    weight, and they cost the most to rank: a question of everyday words stays fast and
    ranks about the same."""
    if not words:
        return []
    total = max(1, index.passage_count())
    budget = max(BUDGET * total, MIN_BUDGET)
    counts = index.word_counts(words)
    found = sorted((n, i, w) for i, w in enumerate(words) if (n := counts.get(w, 0)) > 0)
    kept: list[str] = []
    held = 0
    for count, _position, word in found:
        if len(kept) >= MIN_WORDS and (count > COMMON * total or held + count > budget):
            break
        kept.append(word)
        held += count
    return sorted(kept, key=words.index)


def search(index: LibraryIndex, text: str, limit: int = 4, libraries: Iterable[str] = (),
           filters: Filters | None = None, per_document: int = PER_DOCUMENT) -> SearchResult:
    """The best `limit` passages for text in the named libraries (all when none), among the
    documents every filter keeps; how many documents each filter kept out that would have
    matched. User text is quoted word by word: FTS5 syntax in it is never read as syntax."""
    libraries = tuple(libraries)
    documents = {d.id: d for d in index.documents(libraries)}
    filtered = index.remember(("filters", repr(filters), libraries),
                              lambda: apply_filters(filters, documents.values()))
    query = fts_query(telling_words(index, terms(text)))
    result = SearchResult(query, [], filtered, documents=len(documents))
    if not query:
        return result
    if filtered.allowed:
        result.hits = _best(index, query, filtered.allowed, documents, limit, per_document)
    excluded = {i for ids in filtered.excluded.values() for i in ids}
    if excluded:
        matched = {row[0] for row in index.query(_MATCHED, (query,))} & excluded
        result.matched_excluded = {name: len(matched.intersection(ids))
                                   for name, ids in filtered.excluded.items()}
    return result


def _best(index: LibraryIndex, query: str, allowed: set[int], documents: dict[int, Document],
          limit: int, per_document: int) -> list[Hit]:
    """The best passages of allowed documents: among the TOP best of all, else (the filters
    keep few of those) ranked among the allowed documents' alone."""
    def pick(rows: list[tuple[int, float]]) -> list[tuple[int, float]]:
        taken: dict[int, int] = {}
        chosen = []
        for rowid, rank in rows:
            doc_id = rowid >> ORDINAL_BITS
            if doc_id in allowed and taken.get(doc_id, 0) < per_document:
                taken[doc_id] = taken.get(doc_id, 0) + 1
                chosen.append((rowid, rank))
                if len(chosen) == limit:
                    break
        return chosen

    rows = [(row[0], row[1]) for row in index.query(_RANKED.format(within=""), (query, TOP))]
    chosen = pick(rows)
    if len(chosen) < limit and len(rows) == TOP:
        within = (query, json.dumps(sorted(allowed)), limit * (per_document + 4))
        chosen = pick([(row[0], row[1]) for row in
                       index.query(_RANKED.format(within=_WITHIN), within)])
    texts = index.passage_texts([rowid for rowid, _rank in chosen])
    return [Hit(rowid, documents[rowid >> ORDINAL_BITS], *texts[rowid], round(-rank, 3))
            for rowid, rank in chosen if rowid in texts]

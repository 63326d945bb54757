"""A history search as a researcher types it, turned into an SQLite FTS5 query.

Words must all occur (in any order); `"two words"` is an exact phrase; `word*` matches
words that start with it; `-word` (or `-"a phrase"`) leaves out messages holding it; `OR`
between two terms makes either do (`kant OR hume`, binding closer than the words around
it). Everything the user typed reaches FTS5 as a quoted string, so no character of the
query is ever read as FTS5 syntax (a stray quote or bracket is just text).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from tui.errors import ActionRefused

# a phrase in double quotes (possibly negated), or a run of other characters
_TOKEN = re.compile(r'(-?)"([^"]*)"|(\S+)')
OR = "OR"


@dataclass(frozen=True)
class Term:
    """One thing to look for: a word or a phrase, maybe as a prefix, maybe left out."""

    text: str
    prefix: bool = False
    negated: bool = False

    def fts(self) -> str:
        quoted = '"' + self.text.replace('"', '""') + '"'
        return quoted + "*" if self.prefix else quoted


def terms(query: str) -> list[Term | str]:
    """The query's terms in order, with the OR between them kept as the string OR."""
    found: list[Term | str] = []
    for match in _TOKEN.finditer(query):
        negated, phrase, bare = match.group(1), match.group(2), match.group(3)
        if phrase is not None:
            if phrase.strip():
                found.append(Term(phrase, negated=bool(negated)))
            continue
        if bare == OR:
            found.append(OR)
            continue
        negated_bare = bare.startswith("-") and len(bare) > 1
        word = bare[1:] if negated_bare else bare
        prefix = word.endswith("*") and len(word.rstrip("*")) > 0
        word = word.rstrip("*") if prefix else word
        word = word.replace('"', "")
        if word:
            found.append(Term(word, prefix=prefix, negated=negated_bare))
    return found


def fts_query(query: str) -> str:
    """The FTS5 MATCH expression for query ('' when there is nothing to look for);
    ActionRefused when it only says what to leave out."""
    wanted: list[list[Term]] = []  # each group: terms joined by OR
    left_out: list[Term] = []
    joining = False
    for item in terms(query):
        if item == OR:
            joining = bool(wanted)
            continue
        assert isinstance(item, Term)
        if item.negated:
            left_out.append(item)
            joining = False
        elif joining:
            wanted[-1].append(item)
            joining = False
        else:
            wanted.append([item])
    if not wanted:
        if left_out:
            raise ActionRefused("say what to look for as well as what to leave out "
                                "(e.g. kant -hume)")
        return ""
    expression = " AND ".join(
        group[0].fts() if len(group) == 1 else "(" + " OR ".join(t.fts() for t in group) + ")"
        for group in wanted)
    for term in left_out:
        expression = f"{expression} NOT {term.fts()}"
    return expression

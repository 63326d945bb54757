"""'When is it useful?' (P11): what this model, under this profile, has been good and bad
at, drawn from the user's own marks and diary so far."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

# Kinds of request, tried in order; the first whose words appear in the prompt wins.
KINDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("sources and citations", ("cite", "citation", "citations", "source", "sources",
                               "reference", "references", "paper", "papers",
                               "literature", "book", "books", "author", "study", "studies")),
    ("code", ("code", "python", "function", "script", "error", "bug", "regex", "sql")),
    ("summaries", ("summarise", "summarize", "summary", "tl;dr", "shorten")),
    ("writing and rephrasing", ("write", "draft", "rephrase", "rewrite", "edit", "email")),
    ("explanations", ("why", "how", "explain", "difference")),
    ("facts", ("what", "who", "when", "where", "which", "name")),
)
OTHER = "other requests"
_WORDS = re.compile(r"[\w;]+")
ENOUGH = 3  # marks needed before the guide says anything about a kind


def request_kind(prompt: str) -> str:
    words = set(_WORDS.findall(prompt.lower()))
    return next((kind for kind, cues in KINDS if words & set(cues)), OTHER)


@dataclass
class KindRecord:
    """How answers to one kind of request were judged."""

    kind: str
    marked: int = 0
    invalid: int = 0
    misunderstood: int = 0
    misaligned_in_diary: int = 0

    @property
    def bad_share(self) -> float:
        return (self.invalid + self.misunderstood) / (2 * self.marked) if self.marked else 0.0

    def sentence(self) -> str:
        """First person and hedged, so the user judges, not the colour of a bar."""
        if self.marked < ENOUGH:
            return (f"{self.kind}: you have marked {self.marked} answer(s); I cannot tell yet "
                    "how well I do here.")
        share = f"{self.invalid} of {self.marked} invalid, {self.misunderstood} misunderstood"
        if self.bad_share >= 0.5:
            verdict = "I am often wrong or off target here: check me, or do this without me."
        elif self.bad_share >= 0.2:
            verdict = "I am unreliable here: check what matters."
        else:
            verdict = "your marks say I have mostly been useful here."
        return f"{self.kind}: {share}. {verdict}"


def build_guide(marked: Iterable[tuple[str, Mapping[str, object]]],
                diary: Iterable[tuple[str, str]] = ()) -> list[KindRecord]:
    """Records per kind from (prompt, mark) pairs and (prompt, diary outcome) pairs."""
    records: dict[str, KindRecord] = {}
    for prompt, mark in marked:
        record = records.setdefault(request_kind(prompt), KindRecord(request_kind(prompt)))
        record.marked += 1
        record.invalid += mark.get("validity") == "invalid"
        record.misunderstood += mark.get("understanding") == "misunderstood"
    for prompt, outcome in diary:
        if outcome == "misaligned":
            kind = request_kind(prompt)
            records.setdefault(kind, KindRecord(kind)).misaligned_in_diary += 1
    return sorted(records.values(), key=lambda r: (-r.bad_share, -r.marked, r.kind))

"""The model's own token probabilities: where it was least sure, said in the first person.

A probability is how likely the model found its next piece of text, not whether it is true.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from tui.alignment.text import strip_control

PROVENANCE = ("From the probabilities the model gave each piece of its answer while writing "
              "it: low means the model hesitated, not that the text is wrong, and high does "
              "not mean it is right.")

LOW = 0.5  # a token below this probability counts as low confidence


@dataclass(frozen=True)
class LowSpan:
    """A stretch of the answer (text[start:end]) written with low probability."""

    start: int
    end: int
    text: str
    mean: float  # mean probability of the tokens in the stretch
    lowest: float
    tokens: int


@dataclass(frozen=True)
class ConfidenceSummary:
    """The answer's token probabilities in a few numbers, and its least sure stretches."""

    tokens: int  # tokens with a probability (others are not counted)
    mean: float | None
    share_low: float | None  # share of tokens below the threshold
    threshold: float
    spans: tuple[LowSpan, ...]  # the least sure, least sure first
    low_count: int = 0  # all stretches below the threshold, shown or not

    @property
    def available(self) -> bool:
        return self.tokens > 0


def pairs(tokens: Iterable[Any]) -> list[tuple[str, float | None]]:
    """(text, probability) pairs from pairs or from objects with .text and .prob."""
    out = []
    for token in tokens:
        text, prob = (token.text, token.prob) if hasattr(token, "text") else token
        out.append((str(text), None if prob is None else min(1.0, max(0.0, float(prob)))))
    return out


def _word_bounds(text: str, start: int, end: int) -> tuple[int, int]:
    """Trim the spaces at a span's edges, then widen it to whole words."""
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if start == end:
        return start, end
    while start > 0 and text[start - 1].isalnum():
        start -= 1
    while end < len(text) and text[end].isalnum():
        end += 1
    return start, end


def low_spans(tokens: Iterable[Any], threshold: float = LOW) -> list[LowSpan]:
    """Runs of tokens below the threshold, widened to whole words and merged where they touch."""
    items = pairs(tokens)
    text = "".join(piece for piece, _ in items)
    offsets, position = [], 0
    for piece, _ in items:
        offsets.append((position, position + len(piece)))
        position += len(piece)
    runs: list[list[int]] = []  # [start, end] in characters, widened
    for (start, end), (_, prob) in zip(offsets, items):
        if prob is None or prob >= threshold or start == end:
            continue
        start, end = _word_bounds(text, start, end)
        if start >= end:
            continue
        if runs and start <= runs[-1][1] + 1 and not text[runs[-1][1]:start].strip():
            runs[-1][1] = max(runs[-1][1], end)
        else:
            runs.append([start, end])
    spans = []
    for start, end in runs:
        probs = [p for (a, b), (_, p) in zip(offsets, items)
                 if p is not None and a < end and b > start]
        spans.append(LowSpan(start, end, text[start:end], sum(probs) / len(probs), min(probs),
                             len(probs)))
    return spans


def summarise(tokens: Iterable[Any], threshold: float = LOW, most: int = 5) -> ConfidenceSummary:
    """Mean probability, share below the threshold and the `most` least sure stretches."""
    items = pairs(tokens)
    probs = [p for _, p in items if p is not None]
    if not probs:
        return ConfidenceSummary(0, None, None, threshold, ())
    every = low_spans(items, threshold)
    spans = sorted(every, key=lambda span: span.mean)[:most]
    share = sum(1 for p in probs if p < threshold) / len(probs)
    return ConfidenceSummary(len(probs), sum(probs) / len(probs), share, threshold, tuple(spans),
                             len(every))


def _quote(text: str, limit: int = 40) -> str:
    plain = " ".join(strip_control(text).split())
    return plain if len(plain) <= limit else plain[:limit - 1].rstrip() + "…"


def hedge(span: LowSpan) -> str:
    """'I am unsure about “Nairobi” (I gave it 23 % probability).' — mean token probability."""
    if span.mean < 0.1:
        opening = "I am very unsure about"
    elif span.mean < 0.3:
        opening = "I am unsure about"
    else:
        opening = "I am not certain about"
    return f"{opening} “{_quote(span.text)}” (I gave it {round(span.mean * 100)} % probability)."


def hedges(summary: ConfidenceSummary) -> list[str]:
    """One first-person sentence per least sure stretch, least sure first."""
    return [hedge(span) for span in summary.spans]

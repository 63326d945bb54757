"""Compose the system prompt and sampling a profile asks for, deterministically."""

from __future__ import annotations

from dataclasses import dataclass

from tui.alignment.profiles.schema import Filters, Profile, humanise

PREAMBLE = "You are a helpful research assistant. Answer clearly and accurately."
HONESTY = ("If you are not sure of a fact or a source, say so plainly. Never invent sources, "
           "authors, quotations or links.")
BANDS = ((0.75, "Prioritise strongly"), (0.4, "Take into account"), (0.0, "Low priority"))


@dataclass(frozen=True)
class Composition:
    """Exactly what the model is told: the system prompt and the sampling overrides."""

    system_prompt: str
    temperature: float | None = None
    max_tokens: int | None = None
    top_p: float | None = None

    def sampling_line(self) -> str:
        """'temperature 0.3, max_tokens app default, top_p app default'."""
        parts = []
        for key in ("temperature", "max_tokens", "top_p"):
            value = getattr(self, key)
            parts.append(f"{key} {value:g}" if value is not None else f"{key} app default")
        return ", ".join(parts)


def band(weight: float) -> str:
    """How strongly a weight is phrased; '' for 0 (the value is left out)."""
    if weight <= 0:
        return ""
    return next(label for floor, label in BANDS if weight >= floor)


def _values(profile: Profile) -> list[str]:
    ordered = sorted(profile.values.items(), key=lambda item: (-item[1].weight, item[0]))
    lines = []
    for name, value in ordered:
        if label := band(value.weight):
            meaning = f": {value.meaning.strip()}" if value.meaning.strip() else ""
            title = humanise(name)
            lines.append(f"- {title[:1].upper()}{title[1:]} ({label.lower()}){meaning}")
    return ["Values to uphold, most important first:", *lines] if lines else []


def _tradeoffs(profile: Profile) -> list[str]:
    lines = []
    for tradeoff in profile.tradeoffs:
        first, second = (humanise(name) for name in tradeoff.between)
        note = tradeoff.note.strip() or "weigh both and say which you favoured."
        lines.append(f"When {first} and {second} conflict: {note}")
    return lines


def _filters(filters: Filters) -> list[str]:
    lines = []
    if filters.years:
        lines.append(f"Prefer sources published {filters.years[0]}–{filters.years[1]}.")
    for items, phrase in ((filters.languages, "Prefer sources in these languages"),
                          (filters.disciplines, "Draw on these disciplines"),
                          (filters.regions, "Give attention to these regions")):
        if items:
            lines.append(f"{phrase}: {', '.join(items)}.")
    return lines


def compose(profile: Profile) -> Composition:
    """The same profile always gives byte-identical text (values by weight, then name)."""
    paragraphs = [PREAMBLE]
    if profile.goal.is_set:
        paragraphs.append(f"The researchers you work with describe their goal like this: "
                          f"\"{profile.goal.sentence}\"")
    for block in (_values(profile), _tradeoffs(profile), _filters(profile.filters)):
        if block:
            paragraphs.append("\n".join(block))
    paragraphs.append(HONESTY)
    sampling = profile.sampling
    return Composition("\n\n".join(paragraphs), sampling.temperature, sampling.max_tokens,
                       sampling.top_p)

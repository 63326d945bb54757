"""Markdown export: a readable report, a heading per participant, the four fields per entry."""

from __future__ import annotations

from itertools import groupby
from operator import itemgetter
from typing import IO, Callable, Iterable

from tui.alignment.diary.entry import DiaryEntry

FIELDS = (("1. Initial prompting", "initial_prompting"),
          ("2. Misaligned response", "misaligned_response"),
          ("3. Intuitive intervention", "intuitive_intervention"))


def _quote(text: str) -> str:
    """Text as a Markdown block quote, so its own markup cannot break the report."""
    lines = (text.strip() or "(not given)").splitlines()
    return "\n".join(f"> {line}" if line.strip() else ">" for line in lines)


def entry_markdown(entry: DiaryEntry) -> str:
    """One entry as a Markdown section."""
    parts = [f"### {entry.id} ({entry.day})", ""]
    for title, name in FIELDS:
        parts += [f"**{title}**", "", _quote(getattr(entry, name)), ""]
    outcome = entry.final_outcome or "not given"
    parts += ["**4. Final outcome**: " + outcome, ""]
    if entry.outcome_note.strip():
        parts += [_quote(entry.outcome_note), ""]
    if entry.values_at_risk:
        parts += ["- Values at risk: " + ", ".join(f"`{v}`" for v in entry.values_at_risk)]
    for mark in entry.marks:
        label = " · ".join(str(mark[k]) for k in ("validity", "understanding") if mark.get(k))
        reason = str(mark.get("reason", "")).replace("\n", " ")
        parts += [f"- Mark: {label or 'unmarked'}" + (f" ({reason})" if reason else "")]
    if entry.interventions:
        parts += ["- Interventions: " + ", ".join(e["kind"] for e in entry.interventions)]
    if entry.profile_name or entry.model:
        parts += [f"- Profile: {entry.profile_name or 'neutral'}; model: {entry.model or '?'}"]
    return "\n".join(parts).rstrip() + "\n"


def write_markdown(entries: Iterable[DiaryEntry], handle: IO[str],
                   tick: Callable[[], None] = lambda: None) -> int:
    """Write the report; entries are grouped by pseudonym, oldest first within each. Each
    entry is rendered as it comes, so only the sections are held until they are sorted."""
    sections = sorted(((entry.pseudonym, entry.id, entry_markdown(entry)) for entry in entries),
                      key=itemgetter(0, 1))
    handle.write("# Misalignment Diary\n")
    count = 0
    for pseudonym, group in groupby(sections, key=itemgetter(0)):
        items = list(group)
        noun = "entry" if len(items) == 1 else "entries"
        handle.write(f"\n## {pseudonym} ({len(items)} {noun})\n")
        for _pseudonym, _id, section in items:
            handle.write("\n" + section)
            count += 1
            tick()
    return count

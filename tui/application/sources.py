"""What a grounded answer was given and what it cites, as plain lines: the short list under
the answer (TUI and REPL) and the assumptions panel's "Sources" section."""

from __future__ import annotations

from typing import Any

from tui.alignment.conversation import Message
from tui.alignment.library.cite import CitedSources, check_markers
from tui.alignment.text import counted, strip_control

PROVENANCE = ("Exact: the passages taken from your library (SQLite FTS5, BM25 scores: higher "
              "is a closer match) and placed in the prompt, recorded on the answer when it was "
              "made. Which ones the answer cites is read from its [n] markers; a cited number "
              "no passage had is a source the model invented.")
NOT_GROUNDED = ("Not grounded: this answer was given no passages from your library (/ground "
                "on, or [grounding] enabled = true in the profile, turns it on).")
SNIPPET = 160  # characters of each passage shown in the panel


def record_of(answer: Message) -> dict[str, Any] | None:
    """The answer's grounding record, when it was grounded."""
    record = answer.meta.get("grounding")
    return record if isinstance(record, dict) and record.get("on") else None


def given(record: dict[str, Any]) -> list[dict[str, Any]]:
    passages = record.get("passages")
    return [p for p in passages if isinstance(p, dict)] if isinstance(passages, list) else []


def cited_sources(answer: Message) -> CitedSources | None:
    """Which given sources the answer cites, and which numbers it cites that it never got."""
    record = record_of(answer)
    if record is None:
        return None
    return check_markers(answer.content, [int(p.get("n", 0)) for p in given(record)])


def _where(passage: dict[str, Any]) -> str:
    title = f" “{passage['title']}”" if passage.get("title") and passage.get("authors") else ""
    page = f", p. {passage['page']}" if passage.get("page") else ""
    return strip_control(f"{passage.get('label', '?')}{title}{page}")


def _numbers(numbers: tuple[int, ...]) -> str:
    return ", ".join(f"[{n}]" for n in numbers)


def answer_lines(answer: Message) -> list[str]:
    """The sources under a grounded answer: each one given, whether it was cited, and the
    numbers cited that were never given ([] for an answer that was not grounded)."""
    record = record_of(answer)
    check = cited_sources(answer)
    if record is None or check is None:
        return []
    passages = given(record)
    if not passages:
        return [f"Sources: none given ({strip_control(str(record.get('note', '')))})"]
    lines = [f"Sources from your library ({len(check.cited)} of {len(passages)} cited):"]
    for passage in passages:
        mark = "cited" if passage.get("n") in check.cited else "not cited"
        lines.append(f"  [{passage.get('n')}] {_where(passage)} · {mark}")
    if check.missing:
        lines.append(f"  {_numbers(check.missing)} cited, but no such source was given: "
                     "invented")
    return lines


def _filter_lines(record: dict[str, Any]) -> list[str]:
    filters = [f for f in record.get("filters") or [] if isinstance(f, dict)]
    if not filters:
        return ["Filters: your profile sets none, so every document could be used."]
    lines = [f"Kept out by your profile's filters ({record.get('kept', '?')} of "
             f"{record.get('documents', '?')} documents kept):"]
    for item in filters:
        count = int(item.get("excluded", 0))
        matched = int(item.get("matched", 0))
        also = (f", {matched or 'none'} of them matching this prompt" if count > 1 else
                f", {'matching' if matched else 'not matching'} this prompt" if count else "")
        unknown = int(item.get("unknown", 0))
        unjudged = (f"; {unknown} that {'does' if unknown == 1 else 'do'} not say "
                    f"{'was' if unknown == 1 else 'were'} kept" if unknown else "")
        lines.append(f"  {item.get('filter')} {strip_control(str(item.get('rule')))}: "
                     f"{counted(count, 'document')} excluded{also}{unjudged}")
    return lines


def section_lines(answer: Message) -> list[str]:
    """The panel's Sources section: what was given, what was cited, what was invented, and
    how many documents each filter kept out."""
    record = record_of(answer)
    check = cited_sources(answer)
    if record is None or check is None:
        return [NOT_GROUNDED]
    where = ", ".join(record.get("libraries") or []) or "every library"
    lines = [f"Grounding: on ({strip_control(str(record.get('why', '')))}) · {where}"]
    passages = given(record)
    if not passages:
        lines.append(f"No passages were given: {strip_control(str(record.get('note', '')))}.")
    else:
        lines.append(f"Given to the model ({len(passages)}), best match first:")
    for passage in passages:
        mark = "CITED" if passage.get("n") in check.cited else "not cited"
        lines.append(f"  [{passage.get('n')}] {mark} · {_where(passage)} · score "
                     f"{passage.get('score')} · document #{passage.get('document')}")
        text = " ".join(strip_control(str(passage.get("text", ""))).split())
        lines.append(f"      “{text[:SNIPPET]}{'…' if len(text) > SNIPPET else ''}”")
    if passages:
        lines.append(f"Cited: {_numbers(check.cited) or 'none of them'}"
                     + (f"; not cited: {_numbers(check.uncited)}" if check.uncited else ""))
    if check.missing:
        lines.append(f"Cited but never given (invented): {_numbers(check.missing)}")
    return lines + _filter_lines(record)

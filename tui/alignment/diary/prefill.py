"""Prefill a diary entry from an exchange: the prompt, the answer, its meta, what came next."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Iterable, Sequence

from tui.alignment.diary.entry import EVENT_KINDS, DiaryEntry

_VERBS = {
    "rewind": "rewound the conversation",
    "retry": "asked for another answer",
    "mark": "marked the answer",
    "stop": "stopped the answer",
    "profile": "changed the value profile",
    "pause": "paused and stepped away from the model",
}
_PROFILE_KEYS = ("name", "source", "commit")


def entry_from_exchange(prompt_text: str, response_text: str,
                        message_meta: dict[str, Any] | None = None,
                        later_events: Iterable[dict[str, Any]] = (), *,
                        model: str = "", session_id: str = "",
                        message_ids: Sequence[int] = (), pseudonym: str = "",
                        consent: bool = False,
                        context: Sequence[dict[str, str]] = ()) -> DiaryEntry:
    """A draft entry with the paper's four fields filled from plain transcript data."""
    meta = message_meta or {}
    mark = meta.get("mark") or {}
    events = [e for e in map(normalise_event, later_events) if e is not None]
    return DiaryEntry(
        initial_prompting=prompt_text.strip(),
        misaligned_response=response_text.strip() or "(empty answer)",
        intuitive_intervention=describe_interventions(events),
        interventions=events,
        values_at_risk=_values(mark),
        marks=[_mark(mark)] if _mark(mark) else [],
        profile=profile_fields(meta.get("profile")),
        model=model, session_id=str(session_id), message_ids=[int(i) for i in message_ids],
        pseudonym=pseudonym, consent=consent,
        transcript=[*({"role": str(t["role"]), "content": str(t["content"])} for t in context),
                    {"role": "user", "content": prompt_text},
                    {"role": "assistant", "content": response_text}],
    )


def normalise_event(event: dict[str, Any]) -> dict[str, str] | None:
    """{"kind", "at" (ISO), "detail"} from a loose event dict; None for unknown kinds."""
    kind = str(event.get("kind", "")).strip().lower()
    if kind not in EVENT_KINDS:
        return None
    at = event.get("at", "")
    if isinstance(at, (int, float)):
        at = datetime.fromtimestamp(at, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    return {"kind": kind, "at": str(at or ""), "detail": str(event.get("detail", "") or "")}


def describe_interventions(events: Sequence[dict[str, str]]) -> str:
    """What the user did next, in words, e.g. 'Marked the answer (invalid: …); then …'."""
    parts = []
    for event in events:
        words = _VERBS[event["kind"]]
        detail = event.get("detail", "").strip()
        parts.append(f"{words} ({detail})" if detail else words)
    if not parts:
        return ""
    text = "; then ".join(parts)
    return text[0].upper() + text[1:] + "."


def _values(mark: dict[str, Any]) -> list[str]:
    seen: list[str] = []
    for value in mark.get("values_at_risk") or []:
        value = str(value).strip().lstrip("#")
        if value and value not in seen:
            seen.append(value)
    return seen


def _mark(mark: dict[str, Any]) -> dict[str, str]:
    kept = {k: str(mark.get(k) or "") for k in ("validity", "understanding", "reason")}
    return kept if any(kept.values()) else {}


def profile_fields(profile: Any) -> dict[str, str]:
    """Name, source and commit only: a profile's file path may reveal a home folder."""
    if not isinstance(profile, dict):
        return {}
    kept = {k: str(profile[k]) for k in _PROFILE_KEYS if profile.get(k) is not None}
    if profile.get("modified") is True and "commit" in kept:  # a working tree that differs
        kept["commit"] += f", modified (sha256 {str(profile.get('sha256') or '?')[:12]})"
    return kept

"""Flat rows of diary entries, shared by the CSV export and its documentation."""

from __future__ import annotations

from tui.alignment.diary.entry import DiaryEntry

# Free text: NVivo's "codable" columns (import them as the content to code).
CODABLE_COLUMNS = ("initial_prompting", "misaligned_response", "intuitive_intervention",
                   "outcome_note", "mark_reasons")
# Attributes of an entry: NVivo's "classifying" columns (case/source classifications).
CLASSIFYING_COLUMNS = ("id", "pseudonym", "created_at", "updated_at", "final_outcome",
                       "values_at_risk", "validity", "understanding", "interventions",
                       "profile", "profile_source", "profile_commit", "model", "session_id",
                       "message_ids")
# The stable order of the CSV columns: classifying first, then codable.
COLUMNS = CLASSIFYING_COLUMNS + CODABLE_COLUMNS
LIST_SEPARATOR = "; "


def _join(items: list[str]) -> str:
    return LIST_SEPARATOR.join(item for item in items if item)


def flat_row(entry: DiaryEntry) -> list[str]:
    """One entry as strings in COLUMNS order (lists joined with '; ')."""
    marks = entry.marks
    values = {
        "id": entry.id, "pseudonym": entry.pseudonym, "created_at": entry.created_at,
        "updated_at": entry.updated_at, "final_outcome": entry.final_outcome,
        "values_at_risk": _join(entry.values_at_risk),
        "validity": _join([str(m.get("validity", "")) for m in marks]),
        "understanding": _join([str(m.get("understanding", "")) for m in marks]),
        "interventions": _join([e.get("kind", "") for e in entry.interventions]),
        "profile": entry.profile.get("name", ""), "profile_source": entry.profile.get("source", ""),
        "profile_commit": entry.profile.get("commit", ""), "model": entry.model,
        "session_id": entry.session_id,
        "message_ids": _join([str(i) for i in entry.message_ids]),
        "initial_prompting": entry.initial_prompting,
        "misaligned_response": entry.misaligned_response,
        "intuitive_intervention": entry.intuitive_intervention,
        "outcome_note": entry.outcome_note,
        "mark_reasons": _join([str(m.get("reason", "")) for m in marks]),
    }
    return [values[column] for column in COLUMNS]

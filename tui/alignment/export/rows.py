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
    """One entry as strings in COLUMNS order (lists joined with '; '); built as a list
    in that order, for speed (tests check it against the column names)."""
    marks, profile = entry.marks, entry.profile
    return [
        entry.id, entry.pseudonym, entry.created_at, entry.updated_at, entry.final_outcome,
        _join(entry.values_at_risk),
        _join([str(m.get("validity", "")) for m in marks]),
        _join([str(m.get("understanding", "")) for m in marks]),
        _join([e.get("kind", "") for e in entry.interventions]),
        profile.get("name", ""), profile.get("source", ""), profile.get("commit", ""),
        entry.model, entry.session_id, _join([str(i) for i in entry.message_ids]),
        # the codable columns
        entry.initial_prompting, entry.misaligned_response, entry.intuitive_intervention,
        entry.outcome_note, _join([str(m.get("reason", "")) for m in marks]),
    ]

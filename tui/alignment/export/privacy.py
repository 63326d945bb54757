"""Privacy for study exports: stable pseudonyms, redaction of personal data, consent."""

from __future__ import annotations

from typing import Iterable

from tui.alignment.diary.entry import DiaryEntry
from tui.alignment.export.participants import renamed
from tui.alignment.export.pseudonyms import PseudonymKey
from tui.alignment.export.redaction import Redactor, redact, redact_entry

# Redaction lives in redaction.py; its names stay importable from here.
__all__ = ["Redactor", "pseudonymise", "redact", "redact_entry", "with_consent"]


def pseudonymise(entries: Iterable[DiaryEntry], key: PseudonymKey | None = None
                 ) -> tuple[list[DiaryEntry], dict[str, str]]:
    """The entries with pseudonyms from key (extended with P01, P02, … for participants new
    to it, in sorted order), copied where renamed, and participant id (or, without one,
    the original) -> new."""
    items = list(entries)
    key = key if key is not None else PseudonymKey()
    given = key.assign((entry.participant_id, entry.pseudonym) for entry in items)
    return (list(renamed(items, lambda entry: given[(entry.participant_id, entry.pseudonym)])),
            {pid or original: new for (pid, original), new in given.items()})


def with_consent(entries: Iterable[DiaryEntry]) -> tuple[list[DiaryEntry], int]:
    """The entries whose participant consented, and how many were left out (entry.consent
    is the participant file's, put there by load_folders at export time)."""
    kept, skipped = [], 0
    for entry in entries:
        if entry.consent:
            kept.append(entry)
        else:
            skipped += 1
    return kept, skipped

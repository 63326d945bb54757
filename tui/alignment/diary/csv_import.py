"""Import diary entries collected elsewhere (e.g. the paper's pre-workshop form) from CSV."""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from tui.alignment.diary.entry import OUTCOMES, DiaryEntry, DiaryError, new_id
from tui.alignment.diary.store import DiaryStore

# normalised header -> entry field; the paper's names and ours both work
HEADERS = {
    "initialprompting": "initial_prompting", "prompt": "initial_prompting",
    "misalignedresponse": "misaligned_response", "response": "misaligned_response",
    "intuitiveintervention": "intuitive_intervention", "intervention": "intuitive_intervention",
    "finaloutcome": "final_outcome", "outcome": "final_outcome",
    "outcomenote": "outcome_note", "note": "outcome_note",
    "valuesatrisk": "values_at_risk", "values": "values_at_risk",
    "date": "created_at", "createdat": "created_at", "model": "model",
}
_OUTCOME_WORDS = {"aligned": "aligned", "partly": "partly", "partlyaligned": "partly",
                  "partial": "partly", "misaligned": "misaligned", "": ""}


@dataclass
class ImportReport:
    """How many rows became entries, and one line per row that did not."""

    added: int = 0
    errors: list[str] = field(default_factory=list)


def import_csv(path: Path | str, store: DiaryStore, pseudonym: str,
               consent: bool = False) -> ImportReport:
    """Add one entry per good row; report bad rows by number (the header is row 1)."""
    report = ImportReport()
    try:
        with open(path, newline="", encoding="utf-8-sig") as handle:
            reader = csv.DictReader(handle)
            columns = {name: HEADERS.get(_norm(name)) for name in reader.fieldnames or []}
            if "misaligned_response" not in columns.values():
                raise DiaryError(f"{path}: no 'Misaligned Response' column; add one")
            for number, row in enumerate(reader, start=2):  # row 1 is the header
                try:
                    entry = _entry(row, columns, pseudonym, consent)
                    store.add(entry)
                    report.added += 1
                except DiaryError as exc:
                    reason = re.sub(r"^diary entry \S+: ", "", str(exc))
                    report.errors.append(f"row {number}: {reason}")
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise DiaryError(f"{path}: cannot read CSV: {exc}") from None
    return report


def _norm(header: str | None) -> str:
    return re.sub(r"[\s_\-()0-9.]+", "", (header or "").lower())


def _entry(row: dict[str, str], columns: dict[str, str | None], pseudonym: str,
           consent: bool) -> DiaryEntry:
    text: dict[str, str] = {}  # entry field (a HEADERS value) -> the cell's text
    for header, target in columns.items():
        if target and row.get(header) is not None:
            text[target] = row[header].strip()
    if not text.get("misaligned_response"):
        raise DiaryError("misaligned_response is empty; fill it in")
    outcome = _OUTCOME_WORDS.get(_norm(text.get("final_outcome", "")))
    if outcome is None:
        raise DiaryError(f"final_outcome {text['final_outcome']!r} is unknown; "
                         f"use one of {', '.join(OUTCOMES)}")
    values = [v.strip().lstrip("#") for v in re.split(r"[,;]", text.get("values_at_risk", ""))
              if v.strip().lstrip("#")]
    created = _date(text.get("created_at", ""))
    entry = DiaryEntry(
        misaligned_response=text["misaligned_response"],
        initial_prompting=text.get("initial_prompting", ""),
        intuitive_intervention=text.get("intuitive_intervention", ""),
        final_outcome=outcome, outcome_note=text.get("outcome_note", ""),
        values_at_risk=values, model=text.get("model", ""),
        pseudonym=pseudonym, consent=consent,
        created_at=created, id=new_id(created) if created else "")
    return entry.validate()


def _date(text: str) -> str:
    if not text:
        return ""
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise DiaryError(f"date {text!r} is not a date; use 2026-11-27 or "
                         "2026-11-27T10:15:30Z") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")

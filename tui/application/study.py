"""`coalign study summary`: what a study's diary folders hold, per participant and in all.

Counts only, never text: entries and their outcomes, values at risk (ranked, compared
case-insensitively), interventions by kind, profiles, consent as each folder's participant
file records it, and the usage recorded beside each diary.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

from tui.alignment.diary import DiaryEntry, load_folders
from tui.alignment.diary.entry import EVENT_KINDS, OUTCOMES
from tui.alignment.diary.participant import FolderParticipant, Participant
from tui.alignment.export.participants import person
from tui.alignment.export.qdpx_export import value_key  # values as the .qdpx codebook has them
from tui.alignment.usage import USAGE_FIELDS, UsageTotals
from tui.application.usage import collective_usage

NO_OUTCOME = "none"
NOT_RECORDED = "not recorded"
OUTCOME_KEYS = (*OUTCOMES, NO_OUTCOME)


@dataclass
class Tally:
    """Counts over a set of entries (one participant's, or the whole study's)."""

    entries: int = 0
    outcomes: Counter[str] = field(default_factory=Counter)
    values: Counter[str] = field(default_factory=Counter)  # by value_key: case folded
    spellings: Counter[tuple[str, str]] = field(default_factory=Counter)  # (key, as written)
    interventions: Counter[str] = field(default_factory=Counter)
    profiles: Counter[str] = field(default_factory=Counter)
    usage: UsageTotals = field(default_factory=UsageTotals)
    usage_recorded: bool = False

    def count(self, entry: DiaryEntry) -> None:
        self.entries += 1
        self.outcomes[entry.final_outcome or NO_OUTCOME] += 1
        written = {value_key(v): " ".join(v.split()) for v in entry.values_at_risk
                   if value_key(v)}
        self.values.update(written.keys())
        self.spellings.update(written.items())
        self.interventions.update(str(event.get("kind", "")) for event in entry.interventions)
        self.profiles[entry.profile_name or NOT_RECORDED] += 1

    def merge(self, other: Tally) -> None:
        self.entries += other.entries
        for name in ("outcomes", "values", "spellings", "interventions", "profiles"):
            getattr(self, name).update(getattr(other, name))
        self.usage.merge(other.usage)
        self.usage_recorded = self.usage_recorded or other.usage_recorded


@dataclass
class ParticipantRow:
    """One participant: who (as their files say), their consent, and their counts."""

    label: str
    participant_id: str = ""
    folders: list[str] = field(default_factory=list)
    participant: Participant | None = None  # None: no usable participant file
    tally: Tally = field(default_factory=Tally)

    @property
    def consent(self) -> bool:
        return self.participant is not None and self.participant.consent

    @property
    def consent_state(self) -> str:
        """'given 2026-11-02', 'withdrawn 2026-12-01', 'not given' or 'no participant file'."""
        found = self.participant
        if found is None:
            return "no participant file"
        if found.consent:
            return f"given {found.consent_given_at[:10]}".strip()
        if found.consent_withdrawn_at:
            return f"withdrawn {found.consent_withdrawn_at[:10]}"
        return "not given"


@dataclass
class StudySummary:
    """Every participant's row, the study's totals and those an export would hold."""

    rows: list[ParticipantRow]
    total: Tally
    consenting: Tally
    warnings: list[str] = field(default_factory=list)

    def ranked_values(self) -> list[tuple[str, int, int]]:
        """(value, entries, participants), most entries first, then by name; each value
        named as it is most often written."""
        spread = Counter(key for row in self.rows for key in row.tally.values)
        named: dict[str, str] = {}
        for (key, written), _n in sorted(self.total.spellings.items(),
                                         key=lambda item: (-item[1], item[0][1])):
            named.setdefault(key, written)
        ranked = sorted(self.total.values.items(), key=lambda item: (-item[1], item[0]))
        return [(named.get(key, key), n, spread[key]) for key, n in ranked]

    def as_dict(self) -> dict[str, Any]:
        """Plain data for `--json` (counts, labels and dates only)."""
        return {"participants": [_row_dict(row) for row in self.rows],
                "total": _tally_dict(self.total), "consenting": _tally_dict(self.consenting),
                "values_at_risk": [{"value": v, "entries": n, "participants": p}
                                   for v, n, p in self.ranked_values()],
                "warnings": list(self.warnings)}


def summarise(folders: Iterable[Path | str]) -> StudySummary:
    """Read the folders (each a participant's diary, as for `diary export`) and count; an
    entry found in several folders counts once (its newest version, as exports keep it)."""
    rows: dict[str, ParticipantRow] = {}
    kept: dict[str, tuple[DiaryEntry, ParticipantRow]] = {}
    warnings: list[str] = []
    for folder in map(Path, folders):
        if not folder.is_dir():
            warnings.append(f"{folder} is not a folder; skipped (check the --from path)")
            continue
        problems: list[str] = []
        found: list[FolderParticipant] = []
        entries = load_folders([folder], problems, participants=found)
        warnings += [f"skipped {problem}" for problem in problems]
        row = _row_for(rows, folder, found[0].participant if found else None, entries)
        for entry in entries:
            earlier = kept.get(entry.id)
            if earlier is None or entry.updated_at > earlier[0].updated_at:
                kept[entry.id] = (entry, row)
        _add_usage(row, folder, warnings)
    for entry, row in kept.values():
        row.tally.count(entry)
    total, consenting = Tally(), Tally()
    for row in rows.values():
        total.merge(row.tally)
        if row.consent:
            consenting.merge(row.tally)
    ordered = sorted(rows.values(), key=lambda row: (row.label.casefold(), row.participant_id))
    return StudySummary(_labelled_apart(ordered), total, consenting, warnings)


def _labelled_apart(rows: list[ParticipantRow]) -> list[ParticipantRow]:
    """Rows whose labels are shared (a pseudonym used twice, or none) get their short
    participant id (else their folder) added, so no two rows read the same."""
    shared = Counter(row.label for row in rows)
    for row in rows:
        if shared[row.label] > 1:
            row.label += f" ({row.participant_id[:8] or row.folders[0]})"
    return rows


def _row_for(rows: dict[str, ParticipantRow], folder: Path, participant: Participant | None,
             entries: list[DiaryEntry]) -> ParticipantRow:
    """The row of the folder's participant (one row however many folders they have)."""
    key = participant.id if participant else (person(entries[0]) if entries else str(folder))
    row = rows.get(key)
    if row is None:
        label = (participant.label if participant else
                 (entries[0].pseudonym if entries and entries[0].pseudonym else folder.name))
        row = rows[key] = ParticipantRow(label, participant.id if participant else "",
                                         participant=participant)
    row.folders.append(str(folder))
    return row


def _add_usage(row: ParticipantRow, folder: Path, warnings: list[str]) -> None:
    """The folder's recorded usage, summed into its participant's row."""
    said: list[str] = []
    groups = collective_usage([folder], said)
    warnings += [w for w in said if "holds no usage records" not in w]
    if "all" in groups:
        row.tally.usage.merge(groups["all"])
        row.tally.usage_recorded = True


def _usage_dict(tally: Tally) -> dict[str, Any] | None:
    if not tally.usage_recorded:
        return None
    usage = tally.usage
    return {**{name: getattr(usage, name) for name in USAGE_FIELDS},
            "tokens": usage.tokens, "energy_wh": round(usage.energy_wh, 6)}


def _tally_dict(tally: Tally) -> dict[str, Any]:
    return {"entries": tally.entries,
            "outcomes": {key: tally.outcomes.get(key, 0) for key in OUTCOME_KEYS},
            "values_at_risk": dict(sorted(tally.values.items(), key=lambda i: (-i[1], i[0]))),
            "interventions": {kind: tally.interventions.get(kind, 0) for kind in EVENT_KINDS},
            "profiles": dict(sorted(tally.profiles.items(), key=lambda i: (-i[1], i[0]))),
            "usage": _usage_dict(tally)}


def _row_dict(row: ParticipantRow) -> dict[str, Any]:
    found = row.participant
    return {"participant": row.label, "participant_id": row.participant_id,
            "folders": row.folders, "participant_file": found is not None,
            "consent": row.consent, "consent_state": row.consent_state,
            "consent_given_at": found.consent_given_at if found else "",
            "consent_withdrawn_at": found.consent_withdrawn_at if found else "",
            **_tally_dict(row.tally)}

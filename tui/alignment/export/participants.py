"""Who an export holds: participants left out for consent, and pseudonyms made distinct.

Entries are grouped by participant id (entries without one, by pseudonym), so a missing
or shared pseudonym never merges two people: they are renamed apart and a warning says so.
"""

from __future__ import annotations

import copy
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable, Iterator, Sequence

from tui.alignment.diary.entry import DiaryEntry
from tui.alignment.diary.participant import FolderParticipant

UNNAMED = "unnamed"


@dataclass(frozen=True)
class LeftOut:
    """A participant none of whose entries the export holds, and why."""

    label: str  # their pseudonym, else their short participant id, else their folder
    reason: str
    entries: int

    def describe(self) -> str:
        noun = "entry" if self.entries == 1 else "entries"
        return f"{self.label}: {self.reason} ({self.entries} {noun})"


def person(entry: DiaryEntry) -> str:
    """The key that tells participants apart: their id, else their pseudonym."""
    return entry.participant_id or f"pseudonym:{entry.pseudonym}"


def key_of(participant_id: str, pseudonym: str) -> str:
    """person() of an entry with this participant id and pseudonym."""
    return participant_id or f"pseudonym:{pseudonym}"


def left_out(entries: Sequence[DiaryEntry],
             participants: Sequence[FolderParticipant] | None = None) -> list[LeftOut]:
    """The participants of the entries an export leaves out for lack of consent."""
    if participants is not None:
        found: dict[tuple[str, str], int] = {}
        for folder in participants:
            if not folder.consent and folder.entries:
                pair = (folder.label, folder.why_left_out())
                found[pair] = found.get(pair, 0) + folder.entries
        return [LeftOut(label, reason, count) for (label, reason), count in found.items()]
    counts: dict[str, list[DiaryEntry]] = defaultdict(list)
    for entry in entries:
        counts[person(entry)].append(entry)
    return [LeftOut(_label(group[0]), "has not given consent", len(group))
            for group in counts.values()]


def _label(entry: DiaryEntry) -> str:
    return entry.pseudonym or (f"id {entry.participant_id[:8]}" if entry.participant_id
                               else UNNAMED)


def distinct_pseudonyms(entries: Sequence[DiaryEntry]) -> tuple[list[DiaryEntry], list[str]]:
    """The entries, copied where renamed, in which every participant has a pseudonym of
    their own, and the warnings for those renamed: no pseudonym gives unnamed-<id>, a
    shared one <pseudonym>-<id>."""
    names, warnings = distinct_names([(entry.participant_id, entry.pseudonym)
                                      for entry in entries])
    if not names:
        return list(entries), warnings
    return list(renamed(entries, lambda entry: names[person(entry)])), warnings


def renamed(entries: Iterable[DiaryEntry], name_of: Callable[[DiaryEntry], str]
            ) -> Iterator[DiaryEntry]:
    """Each entry with the pseudonym name_of gives it: a copy where that differs."""
    for entry in entries:
        name = name_of(entry)
        if name != entry.pseudonym:
            entry = copy.copy(entry)  # not dataclasses.replace: no __init__ to run again
            entry.pseudonym = name
        yield entry


def distinct_names(pairs: Iterable[tuple[str, str]]) -> tuple[dict[str, str], list[str]]:
    """person -> a pseudonym of their own, for every participant ({} when each already
    has one: then nothing is renamed), and the warnings for those renamed; pairs are
    (participant id, pseudonym) of the entries, in their order (the first one counts)."""
    people: dict[str, tuple[str, str]] = {}
    for participant_id, pseudonym in pairs:
        people.setdefault(key_of(participant_id, pseudonym),
                          (participant_id, pseudonym.strip()))
    by_name: dict[str, list[str]] = defaultdict(list)
    for key, (_pid, name) in people.items():
        by_name[name].append(key)
    names = {key: name for name, keys in by_name.items() if name and len(keys) == 1
             for key in keys}
    taken = set(names.values())
    warnings = []
    for name, keys in sorted(by_name.items()):
        if name and len(keys) == 1:
            continue
        renamed = [_unique(f"{name or UNNAMED}-{_tag(people[key][0], n)}", taken)
                   for n, key in enumerate(keys, start=1)]
        names.update(zip(keys, renamed))
        ids = ", ".join(people[key][0][:8] or "none" for key in keys)
        if len(keys) == 1:
            warnings.append(f"1 participant has no pseudonym (id {ids}); the export names them "
                            f"{renamed[0]}; set `pseudonym` in their config.toml")
            continue
        what = "have no pseudonym" if not name else f"share the pseudonym {name}"
        warnings.append(f"{len(keys)} participants {what} (ids {ids}); they are kept apart as "
                        f"{_and(renamed)}; set `pseudonym` in each one's config.toml")
    if all(names[key] == people[key][1] for key in people):
        return {}, []
    return names, warnings


def _tag(participant_id: str, number: int) -> str:
    return participant_id[:8] if participant_id else str(number)


def _unique(name: str, taken: set[str]) -> str:
    candidate, n = name, 1
    while candidate in taken:
        n += 1
        candidate = f"{name}-{n}"
    taken.add(candidate)
    return candidate


def _and(items: list[str]) -> str:
    return ", ".join(items[:-1]) + " and " + items[-1]


def shared_id_warnings(participants: Sequence[FolderParticipant]) -> list[str]:
    """Folders that carry the same participant id (a participant file copied as a template
    merges people): one warning per id."""
    folders: dict[str, set[Path]] = defaultdict(set)
    for folder in participants:
        if folder.participant is not None:
            folders[folder.participant.id].add(folder.folder.resolve())
    return [f"{len(found)} folders carry the same participant id {pid[:8]} "
            f"({', '.join(str(f) for f in sorted(found))}); their entries count as one "
            "participant; if they are different people, delete one participant.toml and "
            "let coalign make a new one"
            for pid, found in folders.items() if len(found) > 1]

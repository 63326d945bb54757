"""The pseudonym key: participant id -> P01, P02 …, reused and extended across exports.

A key is a CSV file (participant_id, original, pseudonym), private to the coordinator:
it is written with mode 0600, since `original` is what the participant called themself.
A participant keeps their pseudonym in every export made with the same key, whoever else
is left out; a participant new to the key gets the next free number.
"""

from __future__ import annotations

import csv
import io
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

from tui.alignment.diary.entry import DiaryError
from tui.alignment.files import write_atomic

KEY_COLUMNS = ("participant_id", "original", "pseudonym")
LEGACY_COLUMNS = ("original", "pseudonym")  # keys from before participant ids
NUMBERED = re.compile(r"^P(\d+)$")
KEY_MODE = 0o600


@dataclass
class KeyRow:
    """One participant in the key."""

    participant_id: str  # "" only in keys from before participant ids
    original: str
    pseudonym: str


@dataclass
class PseudonymKey:
    """The rows of a key, in the order they were given; `added` counts new ones."""

    rows: list[KeyRow] = field(default_factory=list)
    added: int = 0

    @classmethod
    def read(cls, path: Path) -> PseudonymKey:
        """The key in path (an absent file is an empty key); DiaryError when unusable."""
        try:
            text = Path(path).read_text(encoding="utf-8-sig")
        except FileNotFoundError:
            return cls()
        except (OSError, UnicodeDecodeError) as exc:
            raise DiaryError(f"cannot read the pseudonym key {path}: {exc}") from None
        reader = csv.reader(io.StringIO(text))
        header = tuple(next(reader, ()))
        if header not in (KEY_COLUMNS, LEGACY_COLUMNS):
            raise DiaryError(f"{path}: not a coalign pseudonym key (its first line must be "
                             f"{','.join(KEY_COLUMNS)}); give another --key")
        key = cls()
        for number, row in enumerate(reader, start=2):
            if not row:
                continue
            if len(row) != len(header):
                raise DiaryError(f"{path}:{number}: needs {len(header)} columns "
                                 f"({','.join(header)}); fix that line")
            values = dict(zip(header, row))
            key._take(path, number, KeyRow(values.get("participant_id", ""),
                                           values["original"], values["pseudonym"]))
        return key

    def _take(self, path: Path | str, number: int | None, row: KeyRow) -> None:
        where = f"{path}:{number}" if number else str(path)
        for kept in self.rows:
            same_id = bool(row.participant_id) and kept.participant_id == row.participant_id
            if same_id and kept.pseudonym != row.pseudonym:
                raise DiaryError(f"{where}: participant {row.participant_id} is both "
                                 f"{kept.pseudonym} and {row.pseudonym}; keep one line")
            if same_id:
                return
            if kept.pseudonym == row.pseudonym:
                raise DiaryError(f"{where}: {row.pseudonym} is given to two participants; "
                                 "keep one line")
        if not row.pseudonym.strip():
            raise DiaryError(f"{where}: a row has no pseudonym; fill it in or remove it")
        self.rows.append(row)

    def merge(self, other: PseudonymKey, source: Path | str) -> None:
        """Take other's rows in (they must agree with these)."""
        for row in other.rows:
            self._take(source, None, row)

    def pseudonym_for(self, participant_id: str, original: str) -> str:
        """This participant's pseudonym; a new one (the next free number) if they are new."""
        return self.assign([(participant_id, original)])[(participant_id, original)]

    def assign(self, participants: Iterable[tuple[str, str]]) -> dict[tuple[str, str], str]:
        """(participant id, original) -> pseudonym for each; new ones numbered in sorted
        order, after every number already in the key."""
        wanted = sorted(set(participants), key=lambda item: (item[1], item[0]))
        found = {item: self._find(*item) for item in wanted}
        new = [item for item in wanted if found[item] is None]
        numbers = [int(m.group(1)) for row in self.rows if (m := NUMBERED.match(row.pseudonym))]
        width = max(2, len(str(max(numbers, default=0) + len(new))))
        for item in new:
            found[item] = self._new(*item, width)
        return {item: pseudonym for item, pseudonym in found.items() if pseudonym}

    def _find(self, participant_id: str, original: str) -> str | None:
        for row in self.rows:
            if participant_id and row.participant_id == participant_id:
                row.original = original or row.original  # the key shows the latest name
                return row.pseudonym
        for row in self.rows:  # a row from before participant ids: matched by its original
            if not row.participant_id and row.original == original:
                row.participant_id = participant_id
                return row.pseudonym
        return None

    def _new(self, participant_id: str, original: str, width: int) -> str:
        used = {row.pseudonym for row in self.rows}
        numbers = [int(m.group(1)) for row in self.rows if (m := NUMBERED.match(row.pseudonym))]
        number = max(numbers, default=0) + 1
        while f"P{number:0{width}d}" in used:
            number += 1
        pseudonym = f"P{number:0{width}d}"
        self.rows.append(KeyRow(participant_id, original, pseudonym))
        self.added += 1
        return pseudonym

    def originals(self) -> list[str]:
        return [row.original for row in self.rows if row.original]

    def write(self, path: Path) -> None:
        """Save the key (sorted by pseudonym) atomically, readable by its owner only."""
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(KEY_COLUMNS)
        for row in sorted(self.rows, key=_order):
            writer.writerow([row.participant_id, row.original, row.pseudonym])
        try:
            write_atomic(Path(path), buffer.getvalue())
            os.chmod(path, KEY_MODE)
        except OSError as exc:
            raise DiaryError(f"cannot write the pseudonym key {path}: "
                             f"{exc.strerror or exc}") from None


def _order(row: KeyRow) -> tuple[int, str]:
    found = NUMBERED.match(row.pseudonym)
    return (int(found.group(1)) if found else 1 << 30, row.pseudonym)

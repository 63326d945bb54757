"""CSV export: one row per entry, columns in rows.COLUMNS order, newlines kept inside cells."""

from __future__ import annotations

import csv
from typing import IO, Callable, Iterable

from tui.alignment.diary.entry import DiaryEntry
from tui.alignment.export.rows import CLASSIFYING_COLUMNS, CODABLE_COLUMNS, COLUMNS, flat_row

__all__ = ["CLASSIFYING_COLUMNS", "CODABLE_COLUMNS", "COLUMNS", "write_csv"]


def write_csv(entries: Iterable[DiaryEntry], handle: IO[str],
              tick: Callable[[], None] = lambda: None) -> int:
    """Write a header and one row per entry to a text handle opened with newline=''."""
    writer = csv.writer(handle, quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    count = 0
    for entry in entries:
        writer.writerow(flat_row(entry))
        count += 1
        tick()
    return count

"""CSV export: one row per entry, columns in rows.COLUMNS order, newlines kept inside cells.

A cell that a spreadsheet would read as a formula (it starts with = + - @, a tab or a
carriage return: OWASP's CSV-injection list) is written with a leading `'`, which
spreadsheets show as text; only a cell's first character counts, so a minus sign inside
free text is untouched. raw_cells=True (`--raw-cells`) writes every cell as it is.
"""

from __future__ import annotations

import csv
from typing import IO, Callable, Iterable

from tui.alignment.diary.entry import DiaryEntry
from tui.alignment.export.rows import CLASSIFYING_COLUMNS, CODABLE_COLUMNS, COLUMNS, flat_row

__all__ = ["CLASSIFYING_COLUMNS", "CODABLE_COLUMNS", "COLUMNS", "FORMULA_STARTS", "safe_cell",
           "write_csv"]

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(cell: str) -> str:
    """The cell with a leading ' when a spreadsheet would read it as a formula."""
    return "'" + cell if cell.startswith(FORMULA_STARTS) else cell


def write_csv(entries: Iterable[DiaryEntry], handle: IO[str],
              tick: Callable[[], None] = lambda: None, raw_cells: bool = False) -> int:
    """Write a header and one row per entry to a text handle opened with newline=''."""
    writer = csv.writer(handle, quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    count = 0
    starts = FORMULA_STARTS
    for entry in entries:
        row = flat_row(entry)
        writer.writerow(row if raw_cells else  # safe_cell, inline: twenty cells a row
                        ["'" + cell if cell.startswith(starts) else cell for cell in row])
        count += 1
        tick()
    return count

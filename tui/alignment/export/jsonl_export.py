"""JSON Lines export: one entry per line, every field, nested where natural."""

from __future__ import annotations

import json
from typing import IO, Callable, Iterable

from tui.alignment.diary.entry import DiaryEntry


def write_jsonl(entries: Iterable[DiaryEntry], handle: IO[str],
                tick: Callable[[], None] = lambda: None) -> int:
    """Write each entry's as_dict() as one compact JSON line."""
    count = 0
    for entry in entries:
        handle.write(json.dumps(entry.as_dict(), ensure_ascii=False, separators=(",", ":")))
        handle.write("\n")
        count += 1
        tick()
    return count

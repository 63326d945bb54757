"""JSON Lines export: one entry per line, every field, nested where natural."""

from __future__ import annotations

import json
from typing import IO, Callable, Iterable

from tui.alignment.diary.entry import FIELD_NAMES, DiaryEntry

_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))


def write_jsonl(entries: Iterable[DiaryEntry], handle: IO[str],
                tick: Callable[[], None] = lambda: None) -> int:
    """Write each entry's fields (what as_dict() gives, uncopied) as one compact JSON line."""
    count = 0
    for entry in entries:
        handle.write(_ENCODER.encode({name: getattr(entry, name) for name in FIELD_NAMES}))
        handle.write("\n")
        count += 1
        tick()
    return count

"""`diary edit ID`: an entry as TOML text to edit, and the rules for taking an edit back.

The edited text must be a valid entry (DiaryEntry.from_dict); id and created_at stay as
they were; an edit that changes nothing is no change (the file is not rewritten and
updated_at keeps its value).
"""

from __future__ import annotations

import tomllib

from tui.alignment.diary.entry import DiaryEntry, DiaryError
from tui.alignment.diary.store import dumps

FIXED = ("id", "created_at")  # who and when an entry was made: never edited
HEADER = ("# coalign diary entry {id}: edit the values, save and quit to keep them.\n"
          "# id and created_at cannot be changed; updated_at is set when you save.\n"
          "# Quit without saving to keep the entry as it is.\n")


def editable_text(entry: DiaryEntry) -> str:
    """The entry as the TOML text an editor opens (comment lines are ignored)."""
    return HEADER.format(id=entry.id) + dumps(entry)


def edited_entry(original: DiaryEntry, text: str) -> DiaryEntry | None:
    """The entry the edited text describes, or None when it changes nothing; DiaryError
    (one line: where, what, the fix) when it is no valid entry or changes a fixed field."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise DiaryError(f"not valid TOML: {exc}; fix that line") from None
    for name in FIXED:
        if name in data and data[name] != getattr(original, name):
            raise DiaryError(f"{name} cannot be changed; put back "
                             f"{name} = \"{getattr(original, name)}\"")
    data.update({name: getattr(original, name) for name in FIXED})
    data["updated_at"] = original.updated_at
    entry = DiaryEntry.from_dict(data)
    if entry.as_dict() == original.as_dict():
        return None
    return entry

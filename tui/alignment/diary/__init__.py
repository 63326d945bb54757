"""The Misalignment Diary (paper §4.1, §5.1): entries, their store, prefill and CSV import."""

from tui.alignment.diary.entry import OUTCOMES, SCHEMA, DiaryEntry, DiaryError, new_id, now_iso
from tui.alignment.diary.folders import load_folders
from tui.alignment.diary.store import DiaryFilter, DiaryStore

__all__ = ["OUTCOMES", "SCHEMA", "DiaryEntry", "DiaryError", "DiaryFilter", "DiaryStore",
           "load_folders", "new_id", "now_iso"]

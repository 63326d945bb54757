"""Diary entries on disk: one TOML file per entry, written atomically, merged across folders."""

from __future__ import annotations

import builtins
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import tomli_w

import tui.alignment.diary.toml_read as toml_read
from tui.alignment.diary.entry import ID_PATTERN, OUTCOMES, DiaryEntry, DiaryError, now_iso
from tui.alignment.diary.participant import PARTICIPANT_FILE, conflict_problem
from tui.alignment.files import fsync_dir, remove_stale_temp_files, write_atomic

SUFFIX = ".toml"
# Where glob() matches names whatever their case (Windows), so does entry_names().
_FOLDED_NAMES = os.path.normcase("A") == "a"


@dataclass(frozen=True)
class DiaryFilter:
    """Which entries to list: every set criterion must match (dates are YYYY-MM-DD, inclusive)."""

    since: str = ""
    until: str = ""
    profile: str = ""
    value: str = ""
    outcome: str = ""

    def matches(self, entry: DiaryEntry) -> bool:
        return ((not self.since or entry.day >= self.since[:10])
                and (not self.until or entry.day <= self.until[:10])
                and (not self.profile or entry.profile_name == self.profile)
                and (not self.value or self.value.lower() in
                     (v.lower() for v in entry.values_at_risk))
                and (not self.outcome or entry.final_outcome == self.outcome))


@dataclass
class DiaryStore:
    """A folder of diary entries, `<id>.toml` each; broken files are reported and skipped.
    stamp, when set, puts the participant (id, pseudonym, consent) on each entry saved."""

    folder: Path
    problems: list[str] = field(default_factory=list)
    stamp: Callable[[DiaryEntry], None] | None = None

    def __post_init__(self) -> None:
        self.folder = Path(self.folder)

    def path_to(self, entry_id: str) -> Path:
        if not ID_PATTERN.match(entry_id):
            raise DiaryError(f"no diary entry {entry_id!r}; `coalign diary list` shows the ids")
        return self.folder / f"{entry_id}{SUFFIX}"

    def add(self, entry: DiaryEntry) -> DiaryEntry:
        """Save a new entry; returns it once it is safely on disk."""
        if self.stamp is not None:
            self.stamp(entry)
        entry.validate()
        if self.path_to(entry.id).exists():
            raise DiaryError(f"diary entry {entry.id} already exists; use update")
        write_atomic(self.path_to(entry.id), dumps(entry))
        return entry

    def update(self, entry: DiaryEntry) -> DiaryEntry:
        """Replace an existing entry, stamping updated_at."""
        if not self.path_to(entry.id).exists():
            raise DiaryError(f"no diary entry {entry.id}; use add")
        entry.updated_at = now_iso()
        if self.stamp is not None:
            self.stamp(entry)
        entry.validate()
        write_atomic(self.path_to(entry.id), dumps(entry))
        return entry

    def get(self, entry_id: str) -> DiaryEntry:
        path = self.path_to(entry_id)
        if not path.exists():
            raise DiaryError(f"no diary entry {entry_id}; `coalign diary list` shows the ids")
        return read_entry(path)

    def delete(self, entry_id: str) -> None:
        path = self.path_to(entry_id)
        if not path.exists():
            raise DiaryError(f"no diary entry {entry_id}; `coalign diary list` shows the ids")
        path.unlink()
        fsync_dir(self.folder)

    def list(self, where: DiaryFilter | None = None) -> list[DiaryEntry]:
        """Entries oldest first; broken files go to self.problems as 'path: error'."""
        self.problems = []
        entries = []
        if self.folder.is_dir():
            remove_stale_temp_files(self.folder)
        for path in self.entry_files():
            try:
                entry = read_entry(path)
            except DiaryError as exc:
                self.problems.append(str(exc))
                continue
            if where is None or where.matches(entry):
                entries.append(entry)
        return entries

    def entry_files(self) -> builtins.list[Path]:  # `list` here is the method above
        """The entry files, broken ones included (not the participant file)."""
        return [self.folder / name for name in entry_names(self.folder)]


def entry_names(folder: Path | str) -> list[str]:
    """The names of a folder's entry files, sorted (what glob("*.toml") finds, hidden
    files and the participant file left out); [] when folder is not a folder. Listed by
    os.scandir, without a Path per file: a study's export lists 10,000 of them."""
    try:
        with os.scandir(folder) as found:
            names = [item.name for item in found]
    except (FileNotFoundError, NotADirectoryError, PermissionError):  # as glob() does
        return []
    return sorted(name for name in names if _is_entry_name(name))


def _is_entry_name(name: str) -> bool:
    if name.startswith(".") or name == PARTICIPANT_FILE:
        return False
    return (name.lower() if _FOLDED_NAMES else name).endswith(SUFFIX)


def dumps(entry: DiaryEntry) -> str:
    """The TOML text of an entry (None values dropped: TOML has no null)."""
    return tomli_w.dumps(_no_none(entry.as_dict()))


def read_entry(path: Path | str, stem: str | None = None) -> DiaryEntry:
    """Load one file, or raise DiaryError('path: one-line reason'). path may be the text
    of a Path (as str(Path) writes it) and stem its stem, given when known (a study's
    export reads 10,000 files: a Path each costs as much as reading it)."""
    if stem is None:
        stem = Path(path).stem
    try:
        text = read_bytes(path).decode("utf-8")
        if "\r" in text:  # universal newlines, as a text-mode read gives them
            text = text.replace("\r\n", "\n").replace("\r", "\n")
        if problem := conflict_problem(text):
            raise DiaryError(problem)
        data = toml_read.loads(text)  # rtoml, with tomllib's acceptance and messages
        _share_repeated_texts(data)
        if stem != data.get("id"):
            raise DiaryError(f"id {data.get('id')!r} differs from the file name; rename one")
        return DiaryEntry.from_dict(data)
    except (OSError, UnicodeDecodeError, toml_read.TOMLDecodeError, DiaryError) as exc:
        reason = str(exc).removeprefix(f"diary entry {stem}: ")
        raise DiaryError(f"{path}: {reason}") from None


def _share_repeated_texts(data: dict[str, Any]) -> None:
    """Let transcript turns that repeat the initial prompt or the misaligned response
    hold that same str: it is then kept, sent to an export's process, masked and
    written as one object (an entry's transcript usually holds both)."""
    transcript = data.get("transcript")
    if type(transcript) is not list or not transcript:
        return
    repeated = {text: text for text in (data.get("initial_prompting"),
                                        data.get("misaligned_response"))
                if type(text) is str and text}
    for turn in transcript:
        if type(turn) is dict and type(content := turn.get("content")) is str:
            turn["content"] = repeated.get(content, content)


_O_READ = os.O_RDONLY | getattr(os, "O_BINARY", 0)  # Windows: no newline translation


def read_bytes(path: Path | str) -> bytes:
    """A file's bytes by os.read (for a small file, half the time of open().read()); an
    error is raised as open() raises it, naming the file."""
    fd = os.open(path, _O_READ)
    try:
        chunks = []
        while chunk := os.read(fd, 1 << 16):
            chunks.append(chunk)
    except OSError:  # a folder, say: open() words the error with the file's name
        with open(path, "rb") as handle:
            return handle.read()
    finally:
        os.close(fd)
    return b"".join(chunks)


def _no_none(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _no_none(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_no_none(v) for v in value if v is not None]
    return value


_FILTER_KEYS = ("since", "until", "profile", "value", "outcome")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def parse_filter(text: str) -> DiaryFilter:
    """'outcome:partly value:reliability since:2026-11-01' -> DiaryFilter (unknown keys raise)."""
    given: dict[str, str] = {}
    for word in text.split():
        key, sep, value = word.partition(":")
        if not sep or key not in _FILTER_KEYS:
            raise DiaryError(f"filter {word!r} is not KEY:VALUE; keys: {', '.join(_FILTER_KEYS)}")
        given[key] = value.lstrip("#")
    for key in ("since", "until"):
        if given.get(key) and not _DATE.fullmatch(given[key]):
            raise DiaryError(f"{key}:{given[key]} is not a date; write it as {key}:2026-11-01")
    if given.get("outcome") and given["outcome"] not in OUTCOMES:
        raise DiaryError(f"outcome:{given['outcome']} is unknown; use one of "
                         f"{', '.join(OUTCOMES)}")
    return DiaryFilter(**given)

"""This machine's participant: the participant file in the diary folder, kept from config.

How config.toml and the participant file interact (the file is the study's record):
- The file is made on first use (the first entry saved from any front end, the first
  usage record, `coalign diary consent`, an export of your own diary), seeded from
  config's `pseudonym` and `consent`.
- After that, a *change* of `pseudonym` or `consent` in config.toml is carried into the
  file, with the date, the next time coalign uses the diary. This machine remembers what
  it last carried over (in its data dir), so an unchanged config never undoes
  `coalign diary consent withdraw`, and a second machine whose config differs never
  overrides a file it did not make: it only fills in a missing pseudonym.
- `coalign diary consent give|withdraw` changes the file only, never config.toml.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import tomli_w

from tui.alignment.diary.entry import DiaryEntry
from tui.alignment.diary.participant import Participant, read_participant, write_participant
from tui.alignment.diary.store import DiaryStore
from tui.alignment.files import fsync_dir, write_atomic
from tui.config import load_config
from tui.paths import Paths


@dataclass
class ParticipantKeeper:
    """Keeps one diary folder's participant file, seeded and updated from config."""

    folder: Path
    pseudonym: str = ""  # config's
    consent: bool = False  # config's
    seen_file: Path | None = None  # what this machine last carried over from config

    def current(self) -> Participant:
        """The folder's participant, made now if it has none; config changes applied."""
        found = read_participant(self.folder)
        if found is None:
            made = Participant.new(self.pseudonym, self.consent)
            write_participant(self.folder, made)
            self._remember(made.id)
            return made
        seen = self._seen().get(found.id)
        changed = found
        if seen is None:  # a file this machine did not make: only fill in a pseudonym
            if not found.pseudonym and self.pseudonym:
                changed = found.renamed(self.pseudonym)
        else:
            if self.pseudonym and seen.get("pseudonym") != self.pseudonym:
                changed = changed.renamed(self.pseudonym)
            if seen.get("consent") != self.consent:
                changed = changed.given() if self.consent else changed.withdrawn()
        if changed != found:
            write_participant(self.folder, changed)
        if seen != self._config():
            self._remember(found.id)
        return changed

    def stamp(self, entry: DiaryEntry) -> None:
        """Put the participant on an entry about to be saved (DiaryStore.stamp)."""
        participant = self.current()
        entry.participant_id = participant.id
        entry.pseudonym = participant.pseudonym
        entry.consent = participant.consent

    def store(self) -> DiaryStore:
        """The diary folder's store; every entry saved carries the participant."""
        return DiaryStore(self.folder, stamp=self.stamp)

    def config_differs(self, participant: Participant) -> bool:
        """Whether config.toml says otherwise than the participant file (worth a note)."""
        return participant.consent != self.consent or bool(
            self.pseudonym and self.pseudonym != participant.pseudonym)

    def _config(self) -> dict[str, Any]:
        return {"pseudonym": self.pseudonym, "consent": self.consent}

    def _seen(self) -> dict[str, dict[str, Any]]:
        if self.seen_file is None:
            return {}
        try:
            data = tomllib.loads(self.seen_file.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
            return {}
        found = data.get("participants")
        return {k: v for k, v in found.items() if isinstance(v, dict)} \
            if isinstance(found, dict) else {}

    def _remember(self, participant_id: str) -> None:
        if self.seen_file is None:
            return
        seen = self._seen()
        seen[participant_id] = self._config()
        write_atomic(self.seen_file, "# what config.toml last carried into each participant "
                     "file (see tui/application/participant.py)\n"
                     + tomli_w.dumps({"participants": seen}))


def keeper_for(paths: Paths) -> ParticipantKeeper:
    """This machine's participant keeper: the diary folder, config's pseudonym and consent."""
    config, _issues = load_config(paths.config_file)
    return ParticipantKeeper(paths.diary_dir, config.pseudonym, config.consent,
                             paths.participant_seen_file)


def open_diary(paths: Paths) -> DiaryStore:
    """The diary store whose entries carry this machine's participant."""
    return keeper_for(paths).store()


@dataclass(frozen=True)
class Withdrawal:
    """What withdrawing consent did."""

    participant: Participant
    deleted: int  # entry files deleted (0 when they were kept)
    kept: int  # entry files left in the folder


def give_consent(keeper: ParticipantKeeper) -> Participant:
    """Record that the participant consents, from now."""
    participant = keeper.current()
    given = participant.given()
    if given != participant:
        write_participant(keeper.folder, given)
    return given


def withdraw_consent(keeper: ParticipantKeeper, delete_entries: bool) -> Withdrawal:
    """Record the withdrawal (no export holds the entries from now); with delete_entries,
    delete the entry files too (commit and push that, and git history still holds them)."""
    participant = keeper.current()
    withdrawn = participant.withdrawn()
    if withdrawn != participant:
        write_participant(keeper.folder, withdrawn)
    files = DiaryStore(keeper.folder).entry_files()
    if not delete_entries:
        return Withdrawal(withdrawn, 0, len(files))
    for path in files:
        path.unlink(missing_ok=True)
    fsync_dir(keeper.folder)
    return Withdrawal(withdrawn, len(files), 0)


def entry_count(keeper: ParticipantKeeper) -> int:
    return len(DiaryStore(keeper.folder).entry_files())

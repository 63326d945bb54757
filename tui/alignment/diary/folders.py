"""Several participants' diary folders read for a study: listed at once, entries streamed.

A StudyFolders lists each folder's participant file and entry files when made, and reads
the entries only as they are asked for, each file once, in id order across the folders
(an entry in two folders: the copy updated last; a large study's files are read ahead by
a second process, read_ahead.py). Each folder's participant file is put on its entries
(participant_id, pseudonym, consent): what an entry stamped when it was written decides
nothing, and a folder without a usable participant file gives its entries consent = False.
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterable, Iterator

from tui.alignment.diary.entry import DiaryEntry, DiaryError
from tui.alignment.diary.participant import FolderParticipant, Participant, read_participant
from tui.alignment.diary.read_ahead import Preparation, read_entries
from tui.alignment.diary.store import SUFFIX, DiaryFilter, entry_names
from tui.alignment.files import remove_stale_temp_files


class StudyFolders:
    """Participants' folders: their participants now, their entries as they are read."""

    def __init__(self, paths: Iterable[Path | str]) -> None:
        self.folders = [Path(path) for path in paths]
        self.participants: list[Participant | None] = []
        self._problems: list[list[str]] = []  # per folder: its participant file's, then entries'
        self._counts = [0] * len(self.folders)  # entries read from each folder
        files: dict[str, list[tuple[int, str]]] = {}  # stem -> (folder number, path)
        for number, folder in enumerate(self.folders):
            try:
                self.participants.append(read_participant(folder))
                self._problems.append([])
            except DiaryError as exc:
                self.participants.append(None)
                self._problems.append([str(exc)])
            if folder.is_dir():
                remove_stale_temp_files(folder)
            # str(folder / name) for every name, without a Path each ("." gives "name")
            within = str(folder / "x")[:-1]
            for name in entry_names(folder):
                files.setdefault(name[:-len(SUFFIX)], []).append((number, within + name))
        self._files = sorted(files.items())

    def __len__(self) -> int:
        """How many entries there are at most (files with different names)."""
        return len(self._files)

    def entries(self, where: DiaryFilter | None = None,
                preparation: Preparation | None = None) -> Iterator[DiaryEntry]:
        """Every entry that where matches, sorted by id; a file that cannot be read goes
        to problems and is left out. A reader process may prepare some of the entries
        read (read_ahead.Preparation: before the participant file is put on them)."""
        read = read_entries([(path, stem) for stem, copies in self._files
                             for _number, path in copies], preparation)
        try:
            for _stem, copies in self._files:
                kept: DiaryEntry | None = None
                for number, _path in copies:
                    entry = self._take(number, next(read), where)
                    if entry is not None and (kept is None
                                              or entry.updated_at > kept.updated_at):
                        kept = entry
                if kept is not None:
                    yield kept
        finally:
            read.close()

    def _take(self, number: int, entry: DiaryEntry | DiaryError,
              where: DiaryFilter | None) -> DiaryEntry | None:
        if isinstance(entry, DiaryError):
            self._problems[number].append(str(entry))
            return None
        if where is not None and not where.matches(entry):
            return None
        participant = self.participants[number]
        if participant is not None:
            entry.participant_id = participant.id
            entry.pseudonym = participant.pseudonym
        entry.consent = participant is not None and participant.consent
        self._counts[number] += 1
        return entry

    @property
    def problems(self) -> list[str]:
        """'path: reason' of each file that could not be read so far, folder by folder."""
        return [problem for found in self._problems for problem in found]

    def folder_participants(self) -> list[FolderParticipant]:
        """One FolderParticipant per folder, with how many entries were read from it."""
        return [FolderParticipant(folder, participant, count) for folder, participant, count
                in zip(self.folders, self.participants, self._counts)]

    def consenting_count(self) -> int:
        """How many entries the consenting participants have (if every file reads)."""
        return sum(1 for _stem, copies in self._files if self._consents(copies[0][0]))

    def _consents(self, number: int) -> bool:
        participant = self.participants[number]
        return participant is not None and participant.consent

    def consenting_people(self) -> list[tuple[str, str]]:
        """(participant id, pseudonym) of each consenting participant with an entry file, in
        the order their first entries come (what the export holds if every file reads)."""
        people: dict[str, tuple[str, str]] = {}
        for _stem, copies in self._files:
            participant = self.participants[copies[0][0]]
            if participant is not None and participant.consent:
                people.setdefault(participant.id, (participant.id, participant.pseudonym))
        return list(people.values())


def load_folders(paths: Iterable[Path | str], problems: list[str] | None = None,
                 where: DiaryFilter | None = None,
                 participants: list[FolderParticipant] | None = None) -> list[DiaryEntry]:
    """Every entry from several participants' folders, deduplicated by id, sorted by id,
    with its folder's participant on it (see StudyFolders). problems, when given, gets
    'path: reason' of each file that cannot be read; participants, when given, one
    FolderParticipant per folder."""
    study = StudyFolders(paths)
    entries = list(study.entries(where))
    if problems is not None:
        problems.extend(study.problems)
    if participants is not None:
        participants.extend(study.folder_participants())
    return entries

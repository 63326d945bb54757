"""Run a study export: consent filter, pseudonyms, redaction, then the chosen format.

The entries read are held once; what the export makes of each (renamed, masked) is made
as the writer asks for it and dropped once written, so no second copy of the study is
held. Who is who (pseudonyms made distinct, the key, the names to mask) is settled from
every entry before the first one is written.
"""

from __future__ import annotations

import gc
import os
from contextlib import contextmanager
from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, Sequence

from tui.alignment.diary.entry import DiaryEntry, DiaryError
from tui.alignment.diary.folders import StudyFolders
from tui.alignment.diary.participant import FolderParticipant
from tui.alignment.diary.store import DiaryFilter
from tui.alignment.export.csv_export import write_csv
from tui.alignment.export.jsonl_export import write_jsonl
from tui.alignment.export.markdown_export import write_markdown
from tui.alignment.export.participants import (
    LeftOut,
    distinct_names,
    key_of,
    left_out,
    person,
    renamed,
    shared_id_warnings,
)
from tui.alignment.export.phones import DEFAULT_REGION, region_code
from tui.alignment.export.privacy import with_consent
from tui.alignment.export.pseudonyms import PseudonymKey
from tui.alignment.export.qdpx_export import write_qdpx
from tui.alignment.export.redaction import Finding, Redactor, write_findings
from tui.alignment.text import counted

FORMATS = ("csv", "jsonl", "md", "qdpx")
Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class ExportReport:
    """What an export wrote, how many entries lacked consent, and where the key went."""

    written: int
    skipped_no_consent: int
    key_path: Path | None = None
    left_out: tuple[LeftOut, ...] = ()  # participants without consent, and why
    warnings: tuple[str, ...] = ()  # pseudonyms made distinct, shared participant ids
    skipped_files: tuple[str, ...] = ()  # 'path: reason' of files --skip-broken left out
    key_added: int = 0  # participants new to the key
    key_extended: bool = False  # the key held participants before this export
    masked: dict[str, int] | None = None  # kind -> how many masked; None: not redacted
    redact_report: Path | None = None  # where each mask was (entry id, field, kind)


class BrokenFiles(DiaryError):
    """Diary files that cannot be read (a git merge conflict, say): the export stops."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = list(problems)
        count = len(self.problems)
        super().__init__(f"export stopped: {counted(count, 'diary file')} "
                         "cannot be read (above); fix them, or pass --skip-broken to leave "
                         "them out")


def key_path_for(out_path: Path) -> Path:
    """Where the pseudonym key goes: beside the export, to be kept apart from it."""
    return out_path.with_name(out_path.name + ".pseudonym-key.csv")


@dataclass(frozen=True)
class ExportOptions:
    """How to export (see run_export)."""

    pseudonymise: bool = False
    redact_names: Sequence[str] | None = None  # None: no redaction
    bom: bool = False
    raw_cells: bool = False
    key: Path | str | None = None
    key_out: Path | str | None = None
    phone_region: str = DEFAULT_REGION
    redact_report: Path | str | None = None


def run_export(entries: Sequence[DiaryEntry], format: str, out_path: Path | str,
               pseudonymise: bool = False, redact_names: Sequence[str] | None = None,
               progress: Progress | None = None, bom: bool = False,
               raw_cells: bool = False, key: Path | str | None = None,
               key_out: Path | str | None = None,
               participants: Sequence[FolderParticipant] | None = None,
               phone_region: str = DEFAULT_REGION,
               redact_report: Path | str | None = None) -> ExportReport:
    """Export consenting entries to out_path; redact_names=None means no redaction.

    raw_cells writes CSV cells as they are (no ' before a formula-like cell). key reuses
    and extends a pseudonym key (implies pseudonymise); key_out is where the key goes
    (default: key, else beside the export; an existing key there is extended, never
    replaced). participants (from load_folders) say why those left out are left out.
    phone_region is the default region for phone numbers; redact_report (implies
    redaction) gets a CSV of each mask's entry id, field and kind, mode 0600."""
    job = _Export(format, out_path, ExportOptions(
        pseudonymise, redact_names, bom, raw_cells, key, key_out, phone_region, redact_report))
    kept, skipped = with_consent(entries)
    absent = tuple(left_out([e for e in entries if not e.consent], participants)
                   ) if skipped else ()
    job.plan([(entry.participant_id, entry.pseudonym) for entry in kept], participants or ())
    written = job.write(kept, _ticker(len(kept), progress))
    return job.finish(written, skipped, absent, progress)


def export_folders(folders: Iterable[Path | str], format: str, out_path: Path | str, *,
                   skip_broken: bool = False, where: DiaryFilter | None = None,
                   progress: Progress | None = None, progress_from: int = 0,
                   **options: Any) -> ExportReport:
    """Read participants' folders now (consent from their participant files) and export
    them. A file that cannot be read (a git merge conflict, say) raises BrokenFiles,
    unless skip_broken: then it is left out and named in the report.

    Without where, entries stream from the files to the export, each file read once and
    none held after it is written; who is who is settled from the participant files
    first. Should a file --skip-broken leaves out change who the export holds (every
    entry of a participant broken), that export is dropped and made again as below."""
    folders = list(folders)  # read again should the streamed export be dropped
    study = StudyFolders(folders)
    shown = progress if len(study) >= progress_from else None
    if where is None:
        report = _export_streamed(study, _Export(format, out_path, ExportOptions(**options)),
                                  skip_broken, shown)
        if report is not None:
            return report
        study = StudyFolders(folders)
    entries = list(study.entries(where))
    problems = study.problems
    if problems and not skip_broken:
        raise BrokenFiles(problems)
    report = run_export(entries, format, out_path, participants=study.folder_participants(),
                        progress=shown, **options)
    return replace(report, skipped_files=tuple(problems))


def _export_streamed(study: StudyFolders, job: _Export, skip_broken: bool,
                     progress: Progress | None) -> ExportReport | None:
    """The export with entries streamed from the files; None (nothing written) when the
    people it holds are not those the participant files promised."""
    promised = study.consenting_people()
    job.plan(promised, study.folder_participants())
    held: dict[str, tuple[str, str]] = {}  # who the export holds, in order of first entry
    skipped = 0

    def consenting() -> Iterator[DiaryEntry]:
        nonlocal skipped
        for entry in study.entries(preparation=job.redactor):  # it may mask some ahead
            if entry.consent:
                held.setdefault(person(entry), (entry.participant_id, entry.pseudonym))
                yield entry
            else:
                skipped += 1

    written = job.write(consenting(), _ticker(study.consenting_count(), progress))
    problems = study.problems
    if problems and not skip_broken:
        job.discard()
        raise BrokenFiles(problems)
    if list(held.values()) != promised:
        job.discard()
        return None
    participants = study.folder_participants()
    absent = tuple(left_out([], participants)) if skipped else ()
    report = job.finish(written, skipped, absent, progress)
    return replace(report, skipped_files=tuple(problems))


class _Export:
    """One export: options checked, then who is who settled, then written, then kept."""

    def __init__(self, format: str, out_path: Path | str, options: ExportOptions) -> None:
        if format not in FORMATS:
            raise DiaryError(f"unknown export format {format!r}; use one of "
                             f"{', '.join(FORMATS)}")
        if options.redact_report is not None and options.redact_names is None:
            options = replace(options, redact_names=[])
        if options.redact_names is not None:  # a bad region stops before any writing
            options = replace(options, phone_region=region_code(options.phone_region))
        self.format, self.options = format, options
        self.out_path = Path(out_path)
        self.tmp = self.out_path.with_name(f".{self.out_path.name}.part")
        self.name_of: Callable[[DiaryEntry], str] = _pseudonym
        self.warnings: list[str] = []
        self.key_path: Path | None = None
        self.key, self.extended = PseudonymKey(), False
        self.redactor: Redactor | None = None

    def plan(self, people: Sequence[tuple[str, str]],
             participants: Sequence[FolderParticipant]) -> None:
        """Settle pseudonyms (made distinct, then from the key) and what to mask, from
        (participant id, pseudonym) of everyone the export holds, in order of first entry."""
        options = self.options
        distinct, self.warnings = distinct_names(people)
        self.warnings += shared_id_warnings(participants)
        name_of = _distinct_name(distinct)
        names = list(options.redact_names or [])
        if options.pseudonymise or options.key is not None or options.key_out is not None:
            self.key_path, self.key = _open_key(options.key, options.key_out, self.out_path)
            self.extended = bool(self.key.rows)
            pairs = {(pid, distinct[key_of(pid, name)] if distinct else name)
                     for pid, name in people}
            given = self.key.assign(pairs)
            names += sorted({original for _pid, original in pairs} - set(given.values()))
            name_of = _key_name(given, name_of)
        self.name_of = name_of
        if options.redact_names is not None:
            self.redactor = Redactor(names, region=options.phone_region)

    def write(self, entries: Iterable[DiaryEntry], tick: Callable[[], None]) -> int:
        """Write the entries, masked and renamed one by one as the writer asks, to the
        temporary file; returns how many were written. (Masking comes first: it keys an
        entry the reader process masked ahead by the entry itself, which renaming copies;
        pseudonyms are never masked, so the order changes nothing written.)"""
        stream: Iterable[DiaryEntry] = entries
        if self.redactor is not None:
            stream = map(self.redactor.entry, stream)
        stream = renamed(stream, self.name_of)
        try:
            with _cyclic_gc_paused():
                return self._write(stream, tick)
        except OSError as exc:
            self.discard()
            raise DiaryError(f"cannot write {self.out_path}: {exc.strerror or exc}") from None
        except BaseException:
            self.discard()
            raise

    def _write(self, stream: Iterable[DiaryEntry], tick: Callable[[], None]) -> int:
        if self.format == "qdpx":
            with open(self.tmp, "wb") as handle:
                return write_qdpx(stream, handle, tick)
        writers: dict[str, Callable[..., int]] = {
            "csv": partial(write_csv, raw_cells=self.options.raw_cells),
            "jsonl": write_jsonl, "md": write_markdown}
        bom = self.options.bom and self.format == "csv"
        with open(self.tmp, "w", encoding="utf-8-sig" if bom else "utf-8",
                  newline="") as text:
            return writers[self.format](stream, text, tick)

    def discard(self) -> None:
        self.tmp.unlink(missing_ok=True)

    def finish(self, written: int, skipped: int, absent: tuple[LeftOut, ...],
               progress: Progress | None) -> ExportReport:
        """Save the key, put the export in place, write the redaction report."""
        try:
            if self.key_path is not None:
                self.key.write(self.key_path)
            os.replace(self.tmp, self.out_path)
        except OSError as exc:
            self.discard()
            raise DiaryError(f"cannot write {self.out_path}: {exc.strerror or exc}") from None
        except DiaryError:
            self.discard()
            raise
        if progress:
            progress(written, written)
        masked: dict[str, int] | None = None
        findings: list[Finding] = []
        if self.redactor is not None:
            masked, findings = self.redactor.counts(), self.redactor.findings
        report = self.options.redact_report
        if report is not None:
            write_findings(report, findings)
        return ExportReport(written, skipped, self.key_path, absent, tuple(self.warnings),
                            key_added=self.key.added, key_extended=self.extended,
                            masked=masked, redact_report=None if report is None else Path(report))


def _open_key(key: Path | str | None, key_out: Path | str | None,
              out_path: Path) -> tuple[Path, PseudonymKey]:
    """Where the key goes, and the key to extend: --key's, and whatever key is already
    where it goes (never replaced silently)."""
    target = Path(key_out if key_out is not None else key if key is not None
                  else key_path_for(out_path))
    loaded = PseudonymKey()
    if key is not None:
        if not Path(key).is_file():
            raise DiaryError(f"no pseudonym key {key}; check the path, or leave --key out "
                             "(or give --key-out FILE) to start a new key")
        loaded = PseudonymKey.read(Path(key))
    if target.exists() and (key is None or not target.samefile(key)):
        loaded.merge(PseudonymKey.read(target), target)
    return target, loaded


@contextmanager
def _cyclic_gc_paused() -> Iterator[None]:
    """The cyclic garbage collector paused while an export streams: its entries make no
    cycles (reference counts free each one once written), and the collector would only
    walk the batches in flight again and again."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _pseudonym(entry: DiaryEntry) -> str:
    return entry.pseudonym


def _distinct_name(distinct: dict[str, str]) -> Callable[[DiaryEntry], str]:
    """An entry's pseudonym once pseudonyms are made distinct ({}: as it is)."""
    if not distinct:
        return _pseudonym
    return lambda entry: distinct[person(entry)]


def _key_name(given: dict[tuple[str, str], str], name_of: Callable[[DiaryEntry], str]
              ) -> Callable[[DiaryEntry], str]:
    """An entry's pseudonym from the key (given by participant id and distinct name)."""
    return lambda entry: given[(entry.participant_id, name_of(entry))]


def _ticker(total: int, progress: Progress | None) -> Callable[[], None]:
    """A per-entry callback that reports progress about a hundred times in all."""
    if progress is None:
        return lambda: None
    step = max(1, total // 100)
    done = 0

    def tick() -> None:
        nonlocal done
        done += 1
        if done % step == 0:
            progress(done, total)
    return tick

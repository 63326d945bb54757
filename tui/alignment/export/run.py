"""Run a study export: consent filter, pseudonyms, redaction, then the chosen format."""

from __future__ import annotations

import csv
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Sequence

from tui.alignment.diary.entry import DiaryEntry, DiaryError
from tui.alignment.export.csv_export import write_csv
from tui.alignment.export.jsonl_export import write_jsonl
from tui.alignment.export.markdown_export import write_markdown
from tui.alignment.export.privacy import Redactor, with_consent
from tui.alignment.export.privacy import pseudonymise as make_pseudonyms
from tui.alignment.export.qdpx_export import write_qdpx

FORMATS = ("csv", "jsonl", "md", "qdpx")
Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class ExportReport:
    """What an export wrote, how many entries lacked consent, and where the key went."""

    written: int
    skipped_no_consent: int
    key_path: Path | None = None


def key_path_for(out_path: Path) -> Path:
    """Where the pseudonym key goes: beside the export, to be kept apart from it."""
    return out_path.with_name(out_path.name + ".pseudonym-key.csv")


def run_export(entries: Sequence[DiaryEntry], format: str, out_path: Path | str,
               pseudonymise: bool = False, redact_names: Sequence[str] | None = None,
               progress: Progress | None = None, bom: bool = False) -> ExportReport:
    """Export consenting entries to out_path; redact_names=None means no redaction."""
    if format not in FORMATS:
        raise DiaryError(f"unknown export format {format!r}; use one of {', '.join(FORMATS)}")
    out_path = Path(out_path)
    kept, skipped = with_consent(entries)
    key_path = None
    names = list(redact_names or [])
    if pseudonymise:
        kept, key = make_pseudonyms(kept)
        key_path = key_path_for(out_path)
        _write_key(key_path, key)
        names += [real for real in key if real not in key.values()]
    if redact_names is not None:
        redactor = Redactor(names)
        kept = [redactor.entry(entry) for entry in kept]
    tick = _ticker(len(kept), progress)
    tmp = out_path.with_name(f".{out_path.name}.part")
    try:
        if format == "qdpx":
            with open(tmp, "wb") as handle:
                written = write_qdpx(kept, handle, tick)
        else:
            writer = {"csv": write_csv, "jsonl": write_jsonl, "md": write_markdown}[format]
            encoding = "utf-8-sig" if bom and format == "csv" else "utf-8"
            with open(tmp, "w", encoding=encoding, newline="") as handle:
                written = writer(kept, handle, tick)
        os.replace(tmp, out_path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise DiaryError(f"cannot write {out_path}: {exc.strerror or exc}") from None
    if progress:
        progress(written, len(kept))
    return ExportReport(written, skipped, key_path)


def _write_key(path: Path, key: dict[str, str]) -> None:
    try:
        with open(path, "w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(["original", "pseudonym"])
            by_pseudonym = sorted(key.items(), key=lambda item: item[1])
            writer.writerows(by_pseudonym)
    except OSError as exc:
        raise DiaryError(f"cannot write the pseudonym key {path}: {exc.strerror}") from None


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

"""`coalign bench --diary N`: a study's export timed from N entries in 12 folders on disk."""

from __future__ import annotations

import json
import os
import resource
import tempfile
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

from tui.alignment.diary import DiaryEntry, load_folders
from tui.alignment.diary.participant import Participant, write_participant
from tui.alignment.diary.store import dumps
from tui.alignment.export import FORMATS
from tui.alignment.export.run import export_folders
from tui.bench.tui_driver import diary_entries
from tui.output.terminal import err, out

PARTICIPANTS = 12
TARGET_S = 2.0  # issue 12: 10,000 entries read from disk and exported, per format (wall)
TARGET_COUNT = 10_000
WITHOUT_CONSENT = 7  # P07 withdrew, as in the QA study: the export leaves them out
# Personal data as participants write it, so that redaction has work to do.
PLANTED = ("Write to me at ada.lovelace@example.org.", "Call me on +44 7700 900123.",
           "It is in /home/adalove/notes/thesis.txt.", "Ada Lovelace said so.")
MODES = {"plain": False, "pseudonymise+redact": True}


def folder_name(number: int) -> str:
    return f"P{number:02d}"


def write_study(root: Path, count: int, participants: int = PARTICIPANTS) -> list[Path]:
    """count entries spread over participants' folders under root (one TOML file each,
    written directly: the bench times reading, not the atomic writes of `diary add`)."""
    folders = [root / folder_name(n) for n in range(1, participants + 1)]
    for number, folder in enumerate(folders, start=1):
        folder.mkdir(parents=True, exist_ok=True)
        write_participant(folder, Participant.new(folder.name, number != WITHOUT_CONSENT))
    for n, entry in enumerate(diary_entries(count)):
        number = n % participants + 1
        entry = _as_participant(entry, n, number)
        (folders[number - 1] / f"{entry.id}.toml").write_text(dumps(entry), encoding="utf-8")
    return folders


def _as_participant(entry: DiaryEntry, n: int, number: int) -> DiaryEntry:
    note = f"{entry.outcome_note} {PLANTED[n % len(PLANTED)]}"
    context = [{"role": "user", "content": entry.initial_prompting},
               {"role": "assistant", "content": entry.misaligned_response}]
    return replace(entry, pseudonym=folder_name(number), consent=number != WITHOUT_CONSENT,
                   outcome_note=note, transcript=context + entry.transcript,
                   id=f"{entry.id[:16]}{n:06x}")  # unique even within a second


def time_export(folders: list[Path], format: str, output: Path,
                private: bool) -> dict[str, Any]:
    """Seconds (wall clock; CPU of this process and of the reader process it forks for a
    large study, tui/alignment/diary/read_ahead.py) to export every folder as `coalign
    diary export` does, the entries streamed from the files (total_s, cpu_s,
    reader_cpu_s), and, for reference, to read them all into memory alone (read_s,
    read_cpu_s: both processes)."""
    started, cpu, children = time.perf_counter(), time.process_time(), _children_cpu()
    report = export_folders(folders, format, output, pseudonymise=private,
                            redact_names=[] if private else None)
    total, total_cpu = time.perf_counter() - started, time.process_time() - cpu
    reader_cpu = _children_cpu() - children
    started, cpu, children = time.perf_counter(), time.process_time(), _children_cpu()
    problems: list[str] = []
    load_folders(folders, problems)  # after the export, so as not to warm its memory
    return {"format": format, "mode": "pseudonymise+redact" if private else "plain",
            "read_s": time.perf_counter() - started,
            "read_cpu_s": time.process_time() - cpu + _children_cpu() - children,
            "total_s": total, "cpu_s": total_cpu, "reader_cpu_s": reader_cpu,
            "written": report.written, "problems": len(problems) + len(report.skipped_files),
            "bytes": output.stat().st_size}


def _children_cpu() -> float:
    """CPU seconds of this process's children that have ended (the reader processes)."""
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    return used.ru_utime + used.ru_stime


def run_diary_bench(count: int, root: Path | None = None) -> dict[str, Any]:
    """Write the study, then time the export in every format and mode, reading included."""
    load = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="coalign-bench-diary-") as temp:
        base = Path(root or temp)
        err.line(f"measuring: writing {count} entries in {PARTICIPANTS} folders…")
        folders = write_study(base / "study", count)
        runs = []
        for format in FORMATS:
            for mode, private in MODES.items():
                err.line(f"measuring: export to {format} ({mode})…")
                runs.append(time_export(folders, format, base / f"export-{mode}.{format}",
                                        private))
    limit = TARGET_S * max(count, 1) / TARGET_COUNT  # the target, scaled to count
    return {"entries": count, "participants": PARTICIPANTS, "target_s": limit,
            "load_average": load, "load_average_end": os.getloadavg()[0],
            "cpus": os.cpu_count(), "runs": runs}


def slowest_export(count: int) -> tuple[float, str]:
    """Seconds of the slowest format to read count entries from disk and export them with
    --pseudonymise --redact (a study's export), and which format it was."""
    with tempfile.TemporaryDirectory(prefix="coalign-bench-diary-") as temp:
        folders = write_study(Path(temp) / "study", count)
        runs = [time_export(folders, format, Path(temp) / f"export.{format}", True)
                for format in FORMATS]
    slowest = max(runs, key=lambda run: run["total_s"])
    return slowest["total_s"], slowest["format"]


def table(result: dict[str, Any]) -> list[str]:
    """One line per format and mode: seconds reading, seconds in all, and the verdict."""
    lines = [f"diary export of {result['entries']} entries from {result['participants']} "
             f"folders on disk (target < {result['target_s']:.2f} s wall clock each, "
             "reading included: total s is the export streaming the files, CPU s the CPU "
             "time of both processes, reader s that of the process reading the files ahead, "
             "on the other core; read s and read CPU are reading them into memory alone, "
             "for reference)",
             f"load average {result['load_average']:.1f} at the start, "
             f"{result['load_average_end']:.1f} at the end, on {result['cpus']} CPUs (a busy "
             "machine stretches the wall-clock times; CPU s less so)",
             f"  {'format':<7} {'mode':<20} {'read s':>7} {'read CPU':>9} {'total s':>8} "
             f"{'CPU s':>6} {'reader s':>9} {'written':>8}"]
    for run in result["runs"]:
        verdict = "ok" if run["total_s"] < result["target_s"] else "MISS"
        cpu = run["cpu_s"] + run["reader_cpu_s"]
        lines.append(f"  {run['format']:<7} {run['mode']:<20} {run['read_s']:>7.2f} "
                     f"{run['read_cpu_s']:>9.2f} {run['total_s']:>8.2f} {cpu:>6.2f} "
                     f"{run['reader_cpu_s']:>9.2f} {run['written']:>8}  {verdict}")
    return lines


def main(count: int, as_json: bool) -> int:
    """Run the diary bench and print its table, or one JSON object with as_json."""
    result = run_diary_bench(count)
    out.line(json.dumps(result) if as_json else "\n".join(table(result)))
    return 0

"""`coalign bench --diary N`: entries written to folders on disk, exported in every format."""

from __future__ import annotations

import csv
import json
import zipfile
from pathlib import Path

import pytest

from tui.alignment.diary.participant import read_participant
from tui.alignment.export import FORMATS
from tui.bench.diary import MODES, PARTICIPANTS, run_diary_bench, slowest_export, table
from tui.main import main

COUNT = 36  # 3 entries for each of 12 participants; P07's 3 lack consent


def test_the_bench_writes_the_study_to_disk_and_exports_every_format(tmp_path: Path) -> None:
    result = run_diary_bench(COUNT, root=tmp_path)
    folders = sorted((tmp_path / "study").iterdir())
    assert len(folders) == PARTICIPANTS
    assert all(len(list(f.glob("2*.toml"))) == COUNT // PARTICIPANTS for f in folders)
    assert all(read_participant(f) is not None for f in folders)
    runs = {(run["format"], run["mode"]): run for run in result["runs"]}
    assert set(runs) == {(f, m) for f in FORMATS for m in MODES}
    assert all(run["written"] == COUNT - 3 and run["problems"] == 0 for run in runs.values())
    assert all(run["read_s"] > 0 and run["total_s"] > 0 for run in runs.values())
    with open(tmp_path / "export-plain.csv", encoding="utf-8", newline="") as handle:
        assert len(list(csv.DictReader(handle))) == COUNT - 3
    private = (tmp_path / "export-pseudonymise+redact.jsonl").read_text(encoding="utf-8")
    assert "ada.lovelace@example.org" not in private  # the planted e-mail is masked
    assert "ada.lovelace@example.org" in (tmp_path / "export-plain.jsonl").read_text()
    assert zipfile.is_zipfile(tmp_path / "export-plain.qdpx")
    lines = table(result)
    assert len([line for line in lines if line.endswith(("ok", "MISS"))]) == len(runs)


def test_bench_diary_on_the_command_line_prints_json(capsys: pytest.CaptureFixture[str]
                                                     ) -> None:
    assert main(["bench", "--diary", "12", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["entries"] == 12 and len(result["runs"]) == len(FORMATS) * len(MODES)


def test_the_full_bench_times_the_slowest_format_from_disk() -> None:
    seconds, format = slowest_export(12)
    assert seconds > 0 and format in FORMATS

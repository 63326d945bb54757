"""CSV formula injection: a cell a spreadsheet would evaluate is written as text."""

from __future__ import annotations

import argparse
import csv
import json
from pathlib import Path

import pytest

from tests.fixtures.diary import sample_entry
from tui.alignment.diary import DiaryEntry
from tui.alignment.export import run_export
from tui.alignment.export.csv_export import COLUMNS, safe_cell
from tui.cli.diary import add_diary_parser

FORMULAS = {"misaligned_response": "=HYPERLINK(\"http://evil.example\",\"click\")",
            "initial_prompting": "+1+2", "intuitive_intervention": "-2+3",
            "outcome_note": "@SUM(A1:A9)", "model": "\tcmd", "session_id": "\r=1"}
KEPT = {"values_at_risk": "range -5 to +5; a=b", "mark_reasons": "n = 1 234 567, −3 °C"}


def entry() -> DiaryEntry:
    return sample_entry(misaligned_response=FORMULAS["misaligned_response"],
                        initial_prompting=FORMULAS["initial_prompting"],
                        intuitive_intervention=FORMULAS["intuitive_intervention"],
                        outcome_note=FORMULAS["outcome_note"], model=FORMULAS["model"],
                        session_id=FORMULAS["session_id"],
                        values_at_risk=["range -5 to +5", "a=b"],
                        marks=[{"reason": "n = 1 234 567, −3 °C"}])


def _row(path: Path) -> dict[str, str]:
    with open(path, newline="", encoding="utf-8") as handle:
        header, row = list(csv.reader(handle))
    assert header == list(COLUMNS)  # the header is never prefixed
    return dict(zip(header, row))


@pytest.mark.parametrize("cell", ["=1", "+1", "-1", "@a", "\tx", "\rx"])
def test_a_cell_starting_like_a_formula_gets_a_quote(cell: str) -> None:
    assert safe_cell(cell) == "'" + cell


@pytest.mark.parametrize("cell", ["", "1-2", "a=b", " =1", "−1", "'=1", "P01", "2026-11-27"])
def test_other_cells_are_left_alone(cell: str) -> None:
    assert safe_cell(cell) == cell


def test_csv_export_quotes_formula_cells_only(tmp_path: Path) -> None:
    run_export([entry()], "csv", tmp_path / "out.csv")
    row = _row(tmp_path / "out.csv")
    for column, cell in FORMULAS.items():
        assert row[column] == "'" + cell, column
    for column, cell in KEPT.items():
        assert row[column] == cell, column
    assert row["created_at"][0].isdigit() and row["pseudonym"] == "P01"


def test_raw_cells_writes_them_as_they_are(tmp_path: Path) -> None:
    run_export([entry()], "csv", tmp_path / "out.csv", raw_cells=True)
    row = _row(tmp_path / "out.csv")
    for column, cell in FORMULAS.items():
        assert row[column] == cell, column


def test_jsonl_and_markdown_are_not_quoted(tmp_path: Path) -> None:
    run_export([entry()], "jsonl", tmp_path / "out.jsonl")
    data = json.loads((tmp_path / "out.jsonl").read_text(encoding="utf-8"))
    assert data["misaligned_response"] == FORMULAS["misaligned_response"]
    assert data["initial_prompting"] == "+1+2" and data["model"] == "\tcmd"
    run_export([entry()], "md", tmp_path / "out.md")
    report = (tmp_path / "out.md").read_text(encoding="utf-8")
    assert "> =HYPERLINK(" in report and "> @SUM(A1:A9)" in report and "'=" not in report


def test_the_cli_has_raw_cells_and_says_what_it_does() -> None:
    parser = argparse.ArgumentParser(prog="coalign")
    actions = parser.add_subparsers(dest="command")
    add_diary_parser(actions)
    args = parser.parse_args(["diary", "export", "--format", "csv", "-o", "x.csv"])
    assert args.raw_cells is False
    args = parser.parse_args(["diary", "export", "--format", "csv", "-o", "x.csv",
                              "--raw-cells"])
    assert args.raw_cells is True
    diary = actions.choices["diary"]
    export = next(a for a in diary._actions if isinstance(a, argparse._SubParsersAction))
    help_text = " ".join(export.choices["export"].format_help().split())
    assert "--raw-cells" in help_text and "leading '" in help_text

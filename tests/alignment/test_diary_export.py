"""Study exports: CSV, JSONL, Markdown, REFI-QDA, privacy, and `coalign diary`."""

from __future__ import annotations

import argparse
import csv
import json
import zipfile
from pathlib import Path

import pytest
import xmlschema

from tests.fixtures.diary import PLANTED, sample_entry
from tui.alignment.diary import DiaryEntry
from tui.alignment.export import run_export
from tui.alignment.export.csv_export import CLASSIFYING_COLUMNS, CODABLE_COLUMNS, COLUMNS
from tui.alignment.export.privacy import pseudonymise, redact
from tui.alignment.export.qdpx_export import NS
from tui.alignment.export.rows import flat_row
from tui.cli.diary import add_diary_parser, cmd_diary

DATA = Path(__file__).parents[1] / "data"
XSD = DATA / "refi-qda" / "Project.xsd"
PERSONAL = (DATA / "diary" / "personal.txt").read_text(encoding="utf-8")


def entries() -> list[DiaryEntry]:
    return [sample_entry(pseudonym="P01"),
            sample_entry(pseudonym="P02", values_at_risk=["care"], marks=[], transcript=[],
                         misaligned_response="Plain answer, with a comma\r\nand a CRLF"),
            sample_entry(pseudonym="P09", consent=False)]


def test_csv_columns_are_documented_and_disjoint() -> None:
    assert set(CODABLE_COLUMNS).isdisjoint(CLASSIFYING_COLUMNS)
    assert COLUMNS == CLASSIFYING_COLUMNS + CODABLE_COLUMNS
    assert COLUMNS[0] == "id" and "misaligned_response" in CODABLE_COLUMNS


@pytest.mark.parametrize("bom", [False, True])
def test_csv_rereads_to_the_same_rows(tmp_path: Path, bom: bool) -> None:
    out = tmp_path / "diary.csv"
    original = entries()
    report = run_export(original, "csv", out, bom=bom)
    assert (report.written, report.skipped_no_consent) == (2, 1)
    assert out.read_bytes().startswith(b"\xef\xbb\xbf") == bom
    with open(out, newline="", encoding="utf-8-sig") as handle:
        rows = list(csv.reader(handle))
    assert rows[0] == list(COLUMNS)
    assert rows[1:] == [flat_row(entry) for entry in original[:2]]
    first, second = (dict(zip(COLUMNS, row)) for row in rows[1:])
    assert first["misaligned_response"] == original[0].misaligned_response
    assert second["misaligned_response"] == "Plain answer, with a comma\r\nand a CRLF"
    assert first["id"] == original[0].id and second["id"] == original[1].id
    assert first["values_at_risk"] == "reliability; honesty"
    assert first["mark_reasons"] == "made up, a citation"
    assert first["outcome_note"] == "Second answer was closer.\nStill vague."


def test_jsonl_round_trips_every_field(tmp_path: Path) -> None:
    out = tmp_path / "diary.jsonl"
    items = entries()
    run_export(items, "jsonl", out)
    lines = out.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 2
    assert [DiaryEntry.from_dict(json.loads(line)) for line in lines] == items[:2]


def test_markdown_has_a_heading_per_participant_and_the_four_fields(tmp_path: Path) -> None:
    out = tmp_path / "diary.md"
    run_export(entries(), "md", out)
    text = out.read_text(encoding="utf-8")
    assert "## P01 (1 entry)" in text and "## P02 (1 entry)" in text and "P09" not in text
    for title in ("Initial prompting", "Misaligned response", "Intuitive intervention",
                  "Final outcome**: partly"):
        assert text.count(title) == 2
    assert "> invented a source, with commas." in text
    assert "Mark: invalid · misunderstood (made up, a citation)" in text


def _qdpx(path: Path) -> tuple[str, dict[str, str]]:
    with zipfile.ZipFile(path) as archive:
        sources = {name: archive.read(name).decode("utf-8") for name in archive.namelist()
                   if name.startswith("sources/")}
        return archive.read("project.qde").decode("utf-8"), sources


def test_qdpx_validates_against_the_refi_qda_schema(tmp_path: Path) -> None:
    out = tmp_path / "diary.qdpx"
    items = entries()
    items[0].transcript[0]["content"] += "\x07 bell"  # illegal in XML
    run_export(items, "qdpx", out)
    project, sources = _qdpx(out)
    schema = xmlschema.XMLSchema(XSD)
    schema.validate(project)
    data = schema.to_dict(project)
    assert [case["@name"] for case in data["Cases"]["Case"]] == ["P01", "P02"]
    codes = data["CodeBook"]["Codes"]["Code"]
    assert [c["@name"] for c in codes[0]["Code"]] == ["care", "honesty", "reliability"]
    names = {v["@name"] for v in data["Variables"]["Variable"]}
    assert {"Initial Prompting", "Intuitive Intervention", "Final Outcome"} <= names
    assert len(sources) == 2
    for source in data["Sources"]["TextSource"]:
        text = sources[f"sources/{source['@plainTextPath'].removeprefix('internal://')}"]
        selection = source["PlainTextSelection"][0]
        span = text[selection["@startPosition"]:selection["@endPosition"]]
        entry = next(e for e in items if e.id == source["@name"])
        expected = (entry.transcript[-1]["content"] if entry.transcript
                    else entry.misaligned_response)
        assert span == expected.replace("\r\n", "\n")  # line endings are LF in a .qdpx
    first = next(s for s in data["Sources"]["TextSource"] if s["@name"] == items[0].id)
    assert len(first["PlainTextSelection"][0]["Coding"]) == 4  # 2 values, 2 marks


def test_qdpx_guids_are_stable(tmp_path: Path) -> None:
    items = entries()
    run_export(items, "qdpx", tmp_path / "a.qdpx")
    run_export(items, "qdpx", tmp_path / "b.qdpx")
    a, b = (_qdpx(tmp_path / name)[0] for name in ("a.qdpx", "b.qdpx"))
    strip = lambda xml: xml.split("creationDateTime", 1)[1].split(">", 1)[1]  # noqa: E731
    assert strip(a) == strip(b)
    assert f'xmlns="{NS}"' in a


def test_redaction_removes_every_planted_personal_datum() -> None:
    masked = redact(PERSONAL, ["Ada Lovelace", "adalove"])
    for datum in PLANTED + ("adalove", "Lovelace", "7946", "555 0199"):
        assert datum.lower() not in masked.lower(), datum
    assert "2026-11-27" in masked and "10:15" in masked and "3.14.159" in masked
    assert "1,000,000" in masked and "[email]" in masked and "/home/[user]/notes" in masked


@pytest.mark.parametrize("fmt", ["csv", "jsonl", "md", "qdpx"])
def test_exports_with_redaction_leak_nothing_planted(tmp_path: Path, fmt: str) -> None:
    item = sample_entry(pseudonym="Ada Lovelace", initial_prompting=PERSONAL,
                        transcript=[{"role": "user", "content": PERSONAL},
                                    {"role": "assistant", "content": "Hello adalove"}],
                        marks=[{"reason": "it wrote to ada.lovelace@example.org"}])
    out = tmp_path / f"out.{fmt}"
    report = run_export([item], fmt, out, pseudonymise=True, redact_names=["adalove"])
    if fmt == "qdpx":
        project, sources = _qdpx(out)
        text = project + "".join(sources.values())
    else:
        text = out.read_text(encoding="utf-8")
    for datum in PLANTED + ("adalove",):
        assert datum.lower() not in text.lower(), datum
    assert report.key_path is not None
    assert "Ada Lovelace,P01" in report.key_path.read_text(encoding="utf-8")


def test_pseudonyms_are_stable_and_consent_is_required() -> None:
    items = [sample_entry(pseudonym=name) for name in ("zoe", "al", "zoe", "bo")]
    renamed, key = pseudonymise(items)
    assert key == {"al": "P01", "bo": "P02", "zoe": "P03"}
    assert [e.pseudonym for e in renamed] == ["P03", "P01", "P03", "P02"]
    assert items[0].pseudonym == "zoe"  # the originals are untouched


def test_progress_reaches_the_total(tmp_path: Path) -> None:
    seen: list[tuple[int, int]] = []
    items = [sample_entry() for _ in range(250)]
    run_export(items, "jsonl", tmp_path / "x.jsonl", progress=lambda d, t: seen.append((d, t)))
    assert seen[-1] == (250, 250) and len(seen) >= 10
    assert all(a <= b for (a, _), (b, _) in zip(seen, seen[1:]))


def test_unknown_format_is_one_line(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="unknown export format 'pdf'; use one of"):
        run_export([], "pdf", tmp_path / "x")


def _cli(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="coalign")
    add_diary_parser(parser.add_subparsers(dest="command"))
    return cmd_diary(parser.parse_args(argv))


def test_cli_add_list_show_import_export(coalign_home: Path, tmp_path: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    assert _cli(["diary", "add", "--misaligned-response", "It ignored my budget",
                 "--initial-prompting", "Plan a trip", "--outcome", "partly",
                 "--value", "cost", "--value", "autonomy"]) == 0
    entry_id = capsys.readouterr().out.split()[-1]
    folder = coalign_home / "data" if (coalign_home / "data").exists() else coalign_home
    assert list(folder.rglob(f"{entry_id}.toml"))
    assert _cli(["diary", "list", "--value", "cost"]) == 0
    assert entry_id in capsys.readouterr().out
    assert _cli(["diary", "show", entry_id]) == 0
    assert "It ignored my budget" in capsys.readouterr().out
    assert _cli(["diary", "import", str(DATA / "diary" / "form.csv")]) == 1
    captured = capsys.readouterr()
    assert "imported 2 entries" in captured.out and "row 3:" in captured.err
    out = tmp_path / "export.csv"
    assert _cli(["diary", "export", "--format", "csv", "-o", str(out)]) == 0
    assert "left out 3 without consent" in capsys.readouterr().out  # consent defaults off
    assert _cli(["diary", "show", "20991231T000000-abcdef"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("coalign: no diary entry") and err.count("\n") == 1

"""Redaction for study exports: phones by libphonenumber, e-mail, URL credentials, home
folders, names and their parts, in every field, research numbers kept (QA B1, B2, B3)."""

from __future__ import annotations

import csv
import html
import json
import os
import stat
import zipfile
from dataclasses import fields
from pathlib import Path

import pytest

from tui.alignment.diary import DiaryEntry, DiaryStore
from tui.alignment.diary.participant import Participant, write_participant
from tui.alignment.export.privacy import Redactor as StillImportable
from tui.alignment.export.redaction import (
    STRUCTURAL,
    STRUCTURAL_KEYS,
    Redactor,
    name_forms,
    redact,
    summary,
)
from tui.alignment.export.run import export_folders

# QA B1: phone numbers left whole or in part.
PHONES = {
    "Call me on +44 7700 900123.": "Call me on [phone].",
    "My number is 020 7946 0958.": "My number is [phone].",
    "Ring +1-202-555-0148.": "Ring [phone].",
    "tel 06.12.34.56.78": "tel [phone]",
    "tel 0176/1234567": "tel [phone]",
    "Büro: +49 30 1234567, danke": "Büro: [phone], danke",
    "(202) 555-0148 or +44 (0)20 7946 0958": "[phone] or [phone]",
    "mobile 06 12 34 56 78 (France)": "mobile [phone] (France)",
}
# QA B3: research numbers masked as phones; none may change.
RESEARCH = ("1955-1965", "between 1960-1975", "in the years 1990-2000.", "1950–2000", "1914–18",
            "on 2026-11-27 at 10:15", "27.11.2026", "2026-11-27T10:00:00Z",
            "doi:10.1093/acprof:oso/9780199535569.001.0001", "ISBN 978-0-19-953556-8",
            "978-0-19-953556-8", "978-0-19-953556-9", "9780199535569",
            "ISBN-10: 0-19-953556-6", "0199535566", "ISBN 0199535566", "n = 1 234 567",
            "1 234 567 respondents", "1\u2009234\u2009567", "N=1234567", "pp. 123-145",
            "pages 1201–1245", "version 3.14.159", "1,000,000 tokens", "pi is 3.14159265",
            "model llama-3-8b-20240101", "commit 3f14159265a", "arXiv:2301.12345v2",
            "PMID: 12345678")
NAMES = ("Maria Gonzalez", "Sofia Rossi", "José Núñez")  # the three participants
OTHER_NAMES = ("Henrik Larsen", "Fatima Al-Sayed")  # given with --redact-name
# Every kind of personal datum, with the exact strings no export may hold.
PERSONAL_TEXT = (
    "Dear Maria, MARIA GONZALEZ wrote to maria.g@uni.example.org; Sofia Rossi's notes and "
    "josé núñez's. Henrik said Fatima Al-Sayed agrees. Call me on +44 7700 900123. "
    "Or 020 7946 0958. US +1-202-555-0148. FR 06.12.34.56.78, DE 0176/1234567 and "
    "+49 30 1234567. Files in /home/amira/thesis, /Users/bob/Desktop, C:\\Users\\carol\\Docs, "
    "/var/home/dan/x and ~erin; repo https://frank:s3cret@git.example.org/lab.git")
LEAKS = ("Maria", "Gonzalez", "maria.g@uni.example.org", "Sofia", "Rossi", "José", "Núñez",
         "Henrik", "Larsen", "Fatima", "Sayed", "7700 900123", "7946 0958", "555-0148",
         "06.12.34.56.78", "0176/1234567", "30 1234567", "amira", "/Users/bob", "carol",
         "/var/home/dan", "~erin", "frank", "s3cret")
RESEARCH_TEXT = " ".join(RESEARCH)


@pytest.mark.parametrize("text,expected", PHONES.items())
def test_phone_numbers_are_masked_whole_at_a_sentence_end_and_in_every_format(
        text: str, expected: str) -> None:
    assert redact(text) == expected


@pytest.mark.parametrize("text", RESEARCH)
def test_research_numbers_are_never_masked(text: str) -> None:
    assert redact(text) == text
    assert redact(f"Ring 020 7946 0958 about {text}") == f"Ring [phone] about {text}"


def test_national_formats_of_other_countries_are_found_whatever_the_default_region() -> None:
    for region in ("GB", "US", "FR", "DE"):
        for text in ("06.12.34.56.78", "0176/1234567", "020 7946 0958", "+1-202-555-0148"):
            assert redact(f"tel {text}.", region=region) == "tel [phone].", (region, text)


def test_a_stricter_leniency_and_a_bad_region_or_leniency() -> None:
    assert Redactor(leniency="valid")("Ring 020 7946 0958.") == "Ring [phone]."
    with pytest.raises(ValueError, match="unknown phone region 'XX'; use a two-letter"):
        Redactor(region="XX")
    with pytest.raises(ValueError, match="unknown phone leniency 'loose'; use one of possible"):
        Redactor(leniency="loose")


def test_paths_credentials_and_e_mail_addresses() -> None:
    masked = redact("/home/amira/x /Users/bob C:\\Users\\carol\\y c:/users/dora/z /var/home/dan "
                    "~erin https://uni.example.edu/~gil/cv.html https://frank:pw@host.example/x "
                    "ftp://hal@files.example.org ivy+tag@mail.example.co.uk")
    assert masked == ("/home/[user]/x /Users/[user] C:\\Users\\[user]\\y c:/users/[user]/z "
                      "/var/home/[user] ~[user] https://uni.example.edu/~[user]/cv.html "
                      "https://[credentials]@host.example/x ftp://[credentials]@files.example.org "
                      "[email]")


def test_names_their_parts_any_case_unicode_and_possessives() -> None:
    r = Redactor(["Maria Gonzalez", "José Núñez", "Fatima Al-Sayed", "Jean-Luc de la Cruz"])
    assert r("Dear Maria, MARIA  GONZALEZ and Ms Gonzalez; Mariana stays.") == \
        "Dear [name], [name] and Ms [name]; Mariana stays."
    decomposed = "Jose\u0301 Nu\u0301n\u0303ez"  # the same name in Unicode's NFD
    assert r(f"JOSÉ NÚÑEZ's idea, {decomposed}'s too") == "[name]'s idea, [name]'s too"
    assert r("Fatima Al-Sayed, Al-Sayed, Sayed; al fresco") == "[name], [name], [name]; al fresco"
    assert r("Jean-Luc, Luc and Cruz de la plage") == "[name], [name] and [name] de la plage"
    assert "la" not in name_forms(["Jean-Luc de la Cruz"])
    assert r("O’Brien") == "O’Brien" and Redactor(["Ann O'Brien"])("O’Brien's") == "[name]'s"


def test_model_and_profile_paths_are_masked_and_findings_never_hold_the_text() -> None:
    r = Redactor(["Maria Gonzalez"])
    entry = DiaryEntry(misaligned_response="Maria rang 020 7946 0958.",
                       model="/home/erin/m.gguf", profile={"name": "lab", "source":
                                                           "lab: /home/carol/lab-profiles"},
                       transcript=[{"role": "user", "content": "I am Maria"},
                                   {"role": "assistant", "content": "Hello Maria"}])
    masked = r.entry(entry)
    assert masked.model == "/home/[user]/m.gguf"
    assert masked.profile == {"name": "lab", "source": "lab: /home/[user]/lab-profiles"}
    assert entry.model == "/home/erin/m.gguf"  # the original is untouched
    assert r.findings == [(entry.id, "misaligned_response", "phone"),
                          (entry.id, "misaligned_response", "name"),
                          (entry.id, "profile.source", "path"), (entry.id, "model", "path"),
                          (entry.id, "transcript[0].content", "name"),
                          (entry.id, "transcript[1].content", "name")]
    assert r.counts() == {"phone": 1, "path": 2, "name": 3}
    assert summary(r.counts()) == "1 phone, 2 path, 3 name" and summary({}) == "nothing"
    assert StillImportable is Redactor


def test_every_field_is_walked_but_the_structural_ones() -> None:
    text = "ann@example.org"
    entry = DiaryEntry(misaligned_response=text, pseudonym=text, participant_id=text,
                       interventions=[{"kind": "mark", "at": "x", "detail": text}],
                       marks=[{"validity": "invalid", "reason": text, "later": text}],
                       transcript=[{"role": "user", "content": text}], values_at_risk=[text],
                       profile={"name": text, "path": text, "commit": text}, session_id=text)
    masked = Redactor().entry(entry)
    for field in fields(DiaryEntry):
        value = getattr(masked, field.name)
        if field.name in STRUCTURAL:
            assert value == getattr(entry, field.name), field.name
        else:
            assert text not in json.dumps(value), field.name
    assert masked.interventions[0]["kind"] == "mark" and masked.marks[0]["later"] == "[email]"
    assert {"kind", "role", "validity", "understanding"} <= STRUCTURAL_KEYS



def test_a_text_masked_once_is_reported_for_every_entry_and_field_it_is_in() -> None:
    text = "mail ann@example.org"
    redactor = Redactor()
    first = DiaryEntry(misaligned_response=text, id="20260101T000000-aaaaaa",
                       transcript=[{"role": "user", "content": "hi"},
                                   {"role": "assistant", "content": text}],
                       profile={"path": text, "weight": 3, "nested": {"list": [text, 7]}})
    second = DiaryEntry(misaligned_response="plain", outcome_note=text, values_at_risk=[text],
                        id="20260101T000001-bbbbbb")
    masked = [redactor.entry(first), redactor.entry(second), redactor.entry(first)]
    in_first = [("aaaaaa", "misaligned_response"), ("aaaaaa", "profile.path"),
                ("aaaaaa", "profile.nested.list[0]"), ("aaaaaa", "transcript[1].content")]
    assert [(f.entry_id[-6:], f.field) for f in redactor.findings] == in_first + [
        ("bbbbbb", "outcome_note"), ("bbbbbb", "values_at_risk[0]")] + in_first
    assert masked[0].profile == {"path": "mail [email]", "weight": 3,
                                 "nested": {"list": ["mail [email]", 7]}}
    assert masked[0].transcript[0] is first.transcript[0]  # unchanged parts are shared
    assert first.profile["path"] == text and redactor.counts() == {"e-mail": 10}

# ---- the whole export: three participants, every field, every format, read back ----

def _planted_entry(n: int) -> DiaryEntry:
    """An entry with personal data in every text field and research numbers beside it."""
    both = f"{PERSONAL_TEXT} | {RESEARCH_TEXT}"
    data: dict[str, object] = {}
    for field in fields(DiaryEntry):  # a text field added later is planted too
        if field.type in ("str", str) and field.name not in STRUCTURAL:
            data[field.name] = both
    data.update(
        values_at_risk=["reliability", f"care for Maria {n}"],
        interventions=[{"kind": "mark", "at": "2026-11-27T10:00:00Z", "detail": both}],
        marks=[{"validity": "invalid", "understanding": "misunderstood", "reason": both}],
        profile={"name": f"lab-{n}", "source": "lab: /home/carol/lab-profiles",
                 "path": "/home/carol/lab-profiles/regional.toml", "commit": "cda8495"},
        model="/home/erin/models/qwen2.5-0.5b.gguf", session_id="sess of maria.g@uni.example.org",
        transcript=[{"role": "user", "content": both}, {"role": "assistant", "content": both}],
        final_outcome="partly", consent=True)
    return DiaryEntry(**data)  # type: ignore[arg-type]


def _study(tmp_path: Path) -> list[Path]:
    folders = []
    for n, name in enumerate(NAMES, start=1):
        folder = tmp_path / "study" / f"p{n}"
        folder.mkdir(parents=True)
        write_participant(folder, Participant(f"{n:016x}", name, True, "2026-11-01T09:00:00Z",
                                              "", "2026-11-01T09:00:00Z"))
        for _ in range(2):
            DiaryStore(folder).add(_planted_entry(n))
        folders.append(folder)
    return folders


def _exported_text(path: Path) -> str:
    if path.suffix != ".qdpx":
        return path.read_text(encoding="utf-8")
    with zipfile.ZipFile(path) as archive:
        names = archive.namelist()
        assert "project.qde" in names and any(n.startswith("sources/") for n in names)
        return "\n".join(archive.read(name).decode("utf-8") for name in names)


@pytest.mark.parametrize("fmt", ["csv", "jsonl", "md", "qdpx"])
def test_an_export_masks_every_planted_datum_and_keeps_every_research_number(
        tmp_path: Path, fmt: str) -> None:
    out, report_csv = tmp_path / f"study.{fmt}", tmp_path / "where.csv"
    report = export_folders(_study(tmp_path), fmt, out, pseudonymise=True,
                            redact_names=list(OTHER_NAMES), redact_report=report_csv)
    assert report.written == 6
    text = _exported_text(out)
    if fmt == "qdpx":  # XML escapes; compare the text a QDA tool reads
        text = html.unescape(text)
    for leak in LEAKS:
        assert leak.casefold() not in text.casefold(), leak
    for number in RESEARCH:
        assert number in text, number
    assert "[phone]" in text and "[name]" in text and "/home/[user]/" in text
    assert report.masked is not None and set(report.masked) == {
        "e-mail", "phone", "path", "credentials", "name"}
    with open(report_csv, newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == sum(report.masked.values())
    per_field = [row["kind"] for row in rows if row["field"] == "misaligned_response"]
    assert per_field.count("phone") == 6 * 6  # six phone numbers in each of six entries
    assert per_field.count("path") == 5 * 6 and per_field.count("credentials") == 6
    assert {"model", "profile.source", "profile.path", "session_id", "values_at_risk[1]",
            "transcript[1].content", "marks[0].reason", "interventions[0].detail",
            "misaligned_response"} <= {row["field"] for row in rows}
    assert set(rows[0]) == {"entry_id", "field", "kind"}
    written = report_csv.read_text(encoding="utf-8")
    assert all(leak not in written for leak in LEAKS)
    if os.name == "posix":
        assert stat.S_IMODE(report_csv.stat().st_mode) == 0o600


def test_the_cli_prints_what_it_masked_and_writes_the_report(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import argparse

    from tui.cli.diary import add_diary_parser, cmd_diary
    folders = _study(tmp_path)
    out, where = tmp_path / "study.jsonl", tmp_path / "where.csv"
    parser = argparse.ArgumentParser(prog="coalign")
    add_diary_parser(parser.add_subparsers(dest="command"))
    argv = ["diary", "export", "--format", "jsonl", "-o", str(out), "--redact-report",
            str(where), "--phone-region", "fr", "--redact-name", "Henrik Larsen"]
    for folder in folders:
        argv += ["--from", str(folder)]
    assert cmd_diary(parser.parse_args(argv)) == 0
    printed = capsys.readouterr().out
    line = next(line for line in printed.splitlines() if line.startswith("masked: "))
    assert "e-mail" in line and "phone" in line and "path" in line and "name" in line
    assert f"redaction report: {where}" in printed and where.is_file()
    assert "Henrik" not in out.read_text(encoding="utf-8")
    bad = ["diary", "export", "--format", "csv", "-o", str(tmp_path / "x.csv"), "--redact",
           "--phone-region", "XX", "--from", str(folders[0])]
    assert cmd_diary(parser.parse_args(bad)) == 2
    err = capsys.readouterr().err
    assert err.startswith("coalign: unknown phone region 'XX'") and err.count("\n") == 1
    assert not (tmp_path / "x.csv").exists()

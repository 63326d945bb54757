"""The .qdpx as QDA tools import it (QA report qa-2026-12/qualcoder-import.md, findings A–E).

The round trip reads the file back with pyrefiqda, a REFI-QDA reader whose models are
generated from the official schema, so it parses every part of project.qde (users,
codebook, variables, cases, sources, selections, codings).
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from pathlib import Path

import xmlschema
from pyrefiqda import RefiProject
from pyrefiqda.models import Project, TextSourceType

from tests.fixtures.diary import sample_entry
from tui.alignment.diary import DiaryEntry
from tui.alignment.export import run_export
from tui.alignment.export.qdpx_export import value_names

XSD = Path(__file__).parents[1] / "data" / "refi-qda" / "Project.xsd"
ZOE = 'Zoë "Z" & Co'
EMOJI_PROMPT = "Flags 🇬🇧🇫🇷, a family 👩‍👩‍👧 and 𝔘𝔫𝔦𝔠𝔬𝔡𝔢 before the answer"
EMOJI_ANSWER = "🙂 It answered in 𝔉𝔯𝔞𝔨𝔱𝔲𝔯 🙃"


def _chat(prompt: str, answer: str) -> list[dict[str, str]]:
    return [{"role": "user", "content": prompt}, {"role": "assistant", "content": answer}]


def study() -> list[DiaryEntry]:
    """Three participants, CRLF and lone CR, emoji, an uncoded entry, colliding code names."""
    return [
        sample_entry(pseudonym="P01", values_at_risk=["Reliability", "honesty"],
                     outcome_note="Windows note\r\nsecond line",
                     transcript=_chat("Pasted\r\nfrom Windows\r\n",
                                      "line one\r\nline two\rline three")),
        sample_entry(pseudonym="P01", values_at_risk=["reliability"], marks=[],
                     transcript=_chat(EMOJI_PROMPT, EMOJI_ANSWER)),
        sample_entry(pseudonym="P02", values_at_risk=["valid", "reliability"],
                     marks=[{"validity": "valid", "understanding": "understood"}]),
        sample_entry(pseudonym="P02", values_at_risk=[], marks=[]),
        sample_entry(pseudonym=ZOE, values_at_risk=["  reliability ", " "],
                     marks=[{"validity": "invalid"}], transcript=[],
                     misaligned_response="Only the\r\nresponse was kept"),
        sample_entry(pseudonym="P09", consent=False),
    ]


# The code names each entry of study() is coded with ("reliability" wins 3 to 1).
CODED = [{"reliability", "honesty", "mark: invalid", "mark: misunderstood"},
         {"reliability"},
         {"valid", "reliability", "mark: valid", "mark: understood"},
         set(),
         {"reliability", "mark: invalid"}]


@dataclass
class ReadBack:
    """A .qdpx as pyrefiqda reads it, with the texts byte-exact from the archive."""

    project: Project
    texts: dict[str, str]  # source guid -> plain text
    codes: dict[str, str]  # code guid -> name
    groups: dict[str, list[str]]  # group name -> its code names
    variables: dict[str, str]  # variable guid -> name

    def sources(self) -> list[TextSourceType]:
        assert self.project.sources is not None
        return self.project.sources.text_source

    def source(self, entry: DiaryEntry) -> TextSourceType:
        return next(s for s in self.sources() if s.name == entry.id)

    def variable(self, source: TextSourceType, name: str) -> str | None:
        values = [v.text_value for v in source.variable_value
                  if self.variables[v.variable_ref.target_guid] == name]
        return values[0] if values else None


def read_back(path: Path, folder: Path) -> ReadBack:
    project = RefiProject.load(path, extract_dir=str(folder))
    texts = {}
    for source in project.sources.text_source if project.sources else []:
        assert source.plain_text_path is not None
        file = RefiProject.resolve_source_path(source.plain_text_path, folder)
        texts[source.guid] = file.read_bytes().decode("utf-8")  # no newline translation
    assert project.code_book is not None and project.variables is not None
    groups = {group.name: [code.name for code in group.code]
              for group in project.code_book.codes.code}
    codes = {code.guid: code.name for group in project.code_book.codes.code
             for code in group.code}
    variables = {v.guid: v.name for v in project.variables.variable}
    return ReadBack(project, texts, codes, groups, variables)


def export(tmp_path: Path, items: list[DiaryEntry] | None = None) -> ReadBack:
    tmp_path.mkdir(exist_ok=True)
    out = tmp_path / "study.qdpx"
    run_export(study() if items is None else items, "qdpx", out)
    return read_back(out, tmp_path / "extracted")


def test_round_trip_keeps_participants_sources_codes_and_coded_text(tmp_path: Path) -> None:
    items = study()
    back = export(tmp_path, items)
    by_id = {entry.id: (entry, coded) for entry, coded in zip(items, CODED)}
    assert back.project.cases is not None
    cases = {case.name: {ref.target_guid for ref in case.source_ref}
             for case in back.project.cases.case}
    assert set(cases) == {"P01", "P02", ZOE}  # P09 gave no consent
    assert sorted(s.name for s in back.sources()) == sorted(e.id for e in items[:5])
    for source in back.sources():
        entry, coded = by_id[source.name]
        assert source.guid in cases[entry.pseudonym]
        assert back.variable(source, "Participant") == entry.pseudonym  # finding A
        text = back.texts[source.guid]
        names: set[str] = set()
        for selection in source.plain_text_selection:
            assert 0 <= selection.start_position <= selection.end_position <= len(text)
            answer = (entry.transcript[-1]["content"] if entry.transcript
                      else entry.misaligned_response)
            coded_text = answer.replace("\r\n", "\n").replace("\r", "\n")
            assert text[selection.start_position:selection.end_position] == coded_text
            names |= {back.codes[c.code_ref.target_guid] for c in selection.coding}
        assert names == coded
    assert back.groups["Values at risk"] == ["honesty", "reliability", "valid"]
    assert back.groups["Marks"] == ["mark: valid", "mark: invalid", "mark: understood",
                                    "mark: misunderstood"]


def test_the_export_is_valid_against_the_refi_qda_schema(tmp_path: Path) -> None:
    out = tmp_path / "study.qdpx"
    run_export(study(), "qdpx", out)
    with zipfile.ZipFile(out) as archive:
        xmlschema.XMLSchema(XSD).validate(archive.read("project.qde").decode("utf-8"))


def test_every_source_names_its_participant_for_tools_that_ignore_cases(tmp_path: Path) -> None:
    items = study()
    back = export(tmp_path, items)
    assert list(back.variables.values())[0] == "Participant"
    assert [back.variable(back.source(e), "Participant") for e in items[:5]] == [
        "P01", "P01", "P02", "P02", ZOE]
    assert back.project.cases is not None
    assert all(not case.variable_value for case in back.project.cases.case)  # files only


def test_line_endings_are_lf_in_sources_variables_and_offsets(tmp_path: Path) -> None:
    items = study()
    back = export(tmp_path, items)
    first, last = back.source(items[0]), back.source(items[4])
    assert all("\r" not in text for text in back.texts.values())
    assert back.texts[first.guid].startswith("User:\nPasted\nfrom Windows\n\n\nAssistant:\n")
    selection = first.plain_text_selection[0]
    text = back.texts[first.guid]
    assert text[selection.start_position:selection.end_position] == (
        "line one\nline two\nline three")
    assert back.variable(first, "Outcome Note") == "Windows note\nsecond line"
    span = last.plain_text_selection[0]
    assert back.texts[last.guid][span.start_position:span.end_position] == (
        "Only the\nresponse was kept")


def test_offsets_count_characters_not_utf16_units(tmp_path: Path) -> None:
    items = study()
    back = export(tmp_path, items)
    source = back.source(items[1])
    text = back.texts[source.guid]
    selection = source.plain_text_selection[0]
    assert text[selection.start_position:selection.end_position] == EMOJI_ANSWER
    before = text[:selection.start_position]
    assert EMOJI_PROMPT in before
    assert len(before.encode("utf-16-le")) // 2 > selection.start_position  # astral chars


def test_an_entry_with_no_value_and_no_mark_has_no_selection(tmp_path: Path) -> None:
    items = study()
    back = export(tmp_path, items)
    selections = [len(back.source(e).plain_text_selection) for e in items[:5]]
    assert selections == [1, 1, 1, 0, 1]
    assert all(selection.coding for s in back.sources() for selection in s.plain_text_selection)
    only_blank = export(tmp_path / "blank", [sample_entry(values_at_risk=[" "], marks=[])])
    assert not only_blank.sources()[0].plain_text_selection


def test_code_names_are_unique_in_the_project(tmp_path: Path) -> None:
    back = export(tmp_path)
    names = [name.casefold() for name in back.codes.values()]
    assert len(names) == len(set(names)) == 7
    valid_value = next(g for g, n in back.codes.items() if n == "valid")
    valid_mark = next(g for g, n in back.codes.items() if n == "mark: valid")
    assert valid_value != valid_mark


def test_value_names_fold_case_and_spacing_and_take_the_commonest_spelling() -> None:
    def names(*values: list[str]) -> list[str]:
        return list(value_names(sample_entry(values_at_risk=v) for v in values).values())

    assert names(["Reliability"], ["reliability"], ["reliability", "care"]) == [
        "care", "reliability"]
    assert names(["Care"], [" care "], ["Reliability"]) == ["Care", "Reliability"]  # tie: first
    assert names(["cafe\u0301"], ["café"]) == ["cafe\u0301"]  # one value in either form
    assert names(["mark: valid"], ["Mark: Valid (value)"]) == [
        "mark: valid (value)", "Mark: Valid (value) (value)"]


def test_a_value_keeps_its_code_guid_when_its_spelling_changes(tmp_path: Path) -> None:
    upper = export(tmp_path / "a", [sample_entry(values_at_risk=["Reliability"], marks=[])])
    lower = export(tmp_path / "b", [sample_entry(values_at_risk=["reliability"], marks=[])])
    assert upper.groups["Values at risk"] == ["Reliability"]
    assert lower.groups["Values at risk"] == ["reliability"]
    assert list(upper.codes)[0] == list(lower.codes)[0]

"""The Misalignment Diary domain: entries, their atomic store, prefill, merge, CSV import."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.fixtures.diary import sample_entry
from tui.alignment.diary import DiaryEntry, DiaryError, DiaryFilter, DiaryStore, load_folders
from tui.alignment.diary.csv_import import import_csv
from tui.alignment.diary.prefill import entry_from_exchange
from tui.alignment.store import Role, Store

ROOT = Path(__file__).resolve().parents[2]
FORM = Path(__file__).parents[1] / "data" / "diary" / "form.csv"


def test_an_entry_made_from_a_real_conversation_round_trips(tmp_path: Path) -> None:
    history = Store(tmp_path / "history.sqlite3")
    session = history.create_session("trip")
    question = history.add_message(session.id, None, Role.USER, "Plan a cheap trip, I'm a student")
    mark = {"validity": "invalid", "understanding": "misunderstood", "reason": "ignored budget",
            "values_at_risk": ["#cost", "autonomy", "cost"], "marked_at": 1.0}
    answer = history.add_message(
        session.id, question.id, Role.ASSISTANT, "Stay at the Ritz.\nIt is lovely.",
        model="qwen", meta={"mark": mark, "profile": {"name": "lab", "source": "git",
                                                       "path": "/home/ada/p.toml", "commit": None}})
    history.close()
    events = [{"kind": "mark", "at": 1764237600.0, "detail": "invalid: ignored budget"},
              {"kind": "retry", "at": "2026-11-27T10:01:00Z"}, {"kind": "nonsense"}]
    entry = entry_from_exchange(question.content, answer.content, answer.meta, events,
                                model="qwen", session_id=str(session.id),
                                message_ids=[question.id, answer.id], pseudonym="P07",
                                consent=True)
    assert entry.initial_prompting == "Plan a cheap trip, I'm a student"
    assert entry.misaligned_response == "Stay at the Ritz.\nIt is lovely."
    assert entry.intuitive_intervention == (
        "Marked the answer (invalid: ignored budget); then asked for another answer.")
    assert [e["kind"] for e in entry.interventions] == ["mark", "retry"]
    assert entry.interventions[0]["at"] == "2025-11-27T10:00:00Z"
    assert entry.values_at_risk == ["cost", "autonomy"]
    assert entry.marks == [{"validity": "invalid", "understanding": "misunderstood",
                            "reason": "ignored budget"}]
    assert entry.profile == {"name": "lab", "source": "git"}  # no home path, no None
    assert entry.transcript[-1] == {"role": "assistant", "content": answer.content}
    store = DiaryStore(tmp_path / "diary")
    store.add(entry)
    assert store.get(entry.id) == entry
    assert (tmp_path / "diary" / f"{entry.id}.toml").is_file()


def test_update_delete_and_filters(tmp_path: Path) -> None:
    store = DiaryStore(tmp_path)
    a = store.add(sample_entry(created_at="2026-11-01T09:00:00Z"))
    b = store.add(sample_entry(created_at="2026-11-20T09:00:00Z", values_at_risk=["care"],
                               final_outcome="aligned", profile={}))
    b.outcome_note = "fixed"
    store.update(b)
    assert store.get(b.id).outcome_note == "fixed"
    assert [e.id for e in store.list()] == [a.id, b.id]
    assert [e.id for e in store.list(DiaryFilter(since="2026-11-10"))] == [b.id]
    assert [e.id for e in store.list(DiaryFilter(until="2026-11-01"))] == [a.id]
    assert [e.id for e in store.list(DiaryFilter(value="Honesty"))] == [a.id]
    assert [e.id for e in store.list(DiaryFilter(outcome="aligned"))] == [b.id]
    assert [e.id for e in store.list(DiaryFilter(profile="lab"))] == [a.id]
    store.delete(a.id)
    assert [e.id for e in store.list()] == [b.id]
    with pytest.raises(DiaryError, match="no diary entry"):
        store.get(a.id)


@pytest.mark.parametrize(("changes", "field"), [
    ({"misaligned_response": "  "}, "misaligned_response"),
    ({"final_outcome": "meh"}, "final_outcome"),
    ({"created_at": "yesterday"}, "created_at"),
    ({"interventions": [{"kind": "dance"}]}, "interventions"),
    ({"values_at_risk": [""]}, "values_at_risk"),
])
def test_validation_names_the_field(changes: dict[str, object], field: str) -> None:
    with pytest.raises(DiaryError) as caught:
        sample_entry(**changes).validate()
    message = str(caught.value)
    assert field in message and ";" in message and "\n" not in message


def test_a_broken_file_is_reported_and_skipped(tmp_path: Path) -> None:
    store = DiaryStore(tmp_path)
    good = store.add(sample_entry())
    (tmp_path / "20261127T000000-abcdef.toml").write_text("misaligned_response = [", "utf-8")
    (tmp_path / "20261127T000001-abcdef.toml").write_text(
        'id = "20261127T000001-abcdef"\nmisaligned_response = ""\n', "utf-8")
    assert [e.id for e in store.list()] == [good.id]
    assert len(store.problems) == 2
    assert all(p.startswith(str(tmp_path)) and "\n" not in p for p in store.problems)
    assert "misaligned_response is empty" in store.problems[1]


def test_killing_the_writer_during_50_saves_loses_no_confirmed_entry(tmp_path: Path) -> None:
    folder = tmp_path / "diary"
    writer = subprocess.Popen([sys.executable, "-m", "tests.fixtures.diary", str(folder), "50"],
                              cwd=ROOT, stdout=subprocess.PIPE, text=True,
                              env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert writer.stdout is not None
    confirmed = [writer.stdout.readline().strip() for _ in range(20)]
    writer.send_signal(signal.SIGKILL)
    writer.wait()
    confirmed += [line.strip() for line in writer.stdout if line.strip()]
    writer.stdout.close()
    assert writer.returncode == -signal.SIGKILL
    store = DiaryStore(folder)
    entries = store.list()
    assert store.problems == []
    assert set(confirmed) <= {e.id for e in entries}
    assert len(entries) < 50  # the kill really landed mid-run
    assert all(e.misaligned_response.endswith("x" * 20000) for e in entries)
    leftovers = [p.name for p in folder.iterdir() if not p.name.endswith(".toml")]
    assert all(name.startswith(".tmp-") for name in leftovers)


def test_merging_two_folders_is_the_union(tmp_path: Path) -> None:
    one, two = DiaryStore(tmp_path / "one"), DiaryStore(tmp_path / "two")
    mine = [one.add(sample_entry(pseudonym="P01")) for _ in range(3)]
    theirs = [two.add(sample_entry(pseudonym="P02")) for _ in range(2)]
    shared = sample_entry(pseudonym="P01", id=mine[0].id, created_at=mine[0].created_at,
                          updated_at="2099-01-01T00:00:00Z", outcome_note="newer")
    two.add(shared)
    merged = load_folders([one.folder, two.folder])
    assert {e.id for e in merged} == {e.id for e in mine + theirs}
    assert len(merged) == 5
    assert next(e for e in merged if e.id == shared.id).outcome_note == "newer"
    assert [e.id for e in merged] == sorted(e.id for e in merged)


def test_ids_sort_by_time_and_are_unique() -> None:
    ids = {sample_entry(created_at="2026-11-27T10:15:30Z").id for _ in range(200)}
    assert len(ids) == 200
    assert all(i.startswith("20261127T101530-") for i in ids)


def test_csv_import_keeps_good_rows_and_reports_bad_ones(tmp_path: Path) -> None:
    store = DiaryStore(tmp_path)
    report = import_csv(FORM, store, pseudonym="P03", consent=True)
    assert report.added == 2
    assert [e.split(":")[0] for e in report.errors] == ["row 3", "row 5", "row 6"]
    assert "misaligned_response is empty; fill it in" in report.errors[0]
    assert "final_outcome" in report.errors[1] and "date" in report.errors[2]
    trip, letter = store.list()
    assert trip.initial_prompting == "Plan a trip, cheaply"
    assert trip.final_outcome == "partly" and trip.values_at_risk == ["cost", "autonomy"]
    assert trip.day == "2026-11-01" and trip.pseudonym == "P03" and trip.consent
    assert letter.misaligned_response == "Translated it,\nbut changed the tone"


def test_csv_import_without_the_response_column_is_one_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("Date,Prompt\n2026-11-01,hi\n", "utf-8")
    with pytest.raises(DiaryError, match="Misaligned Response"):
        import_csv(bad, DiaryStore(tmp_path / "d"), "P01")


def test_unknown_keys_in_a_file_are_an_error() -> None:
    data = sample_entry().as_dict() | {"colour": "red"}
    with pytest.raises(DiaryError, match="unknown field colour"):
        DiaryEntry.from_dict(data)


def test_listing_removes_only_old_temp_files_left_by_a_killed_writer(tmp_path) -> None:
    import os

    from tui.alignment.diary.store import DiaryStore
    from tui.alignment.files import TEMP_PREFIX, TEMP_SUFFIX

    folder = tmp_path / "diary"
    folder.mkdir()
    old = folder / f"{TEMP_PREFIX}old{TEMP_SUFFIX}"
    fresh = folder / f"{TEMP_PREFIX}new{TEMP_SUFFIX}"
    old.write_text("half an entry")
    fresh.write_text("being written")
    os.utime(old, (0, 0))
    assert DiaryStore(folder).list() == []
    assert not old.exists() and fresh.exists()

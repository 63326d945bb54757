"""Recording diary entries from a conversation: prefill, the TUI modal, the REPL command."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import Input, RadioSet

from tests.fixtures.pilot import ask_and_wait, make_service, wait_until
from tests.fixtures.repl import run_repl
from tui.alignment.diary.store import DiaryStore
from tui.application.diary import DiaryRecorder
from tui.application.service import ChatService
from tui.config import Config
from tui.screens.app import CoalignApp
from tui.screens.diary import DiaryScreen


def test_draft_prefills_the_four_fields_from_what_happened(fake_service: ChatService,
                                                          tmp_path: Path) -> None:
    recorder = DiaryRecorder(fake_service, DiaryStore(tmp_path / "diary"), "P07", True)
    fake_service.send("Which studies cover abolition movements worldwide?").wait()
    first = fake_service.last_answer()
    fake_service.mark(validity="invalid", reason="only the American context",
                      values_at_risk=["plurality"])
    fake_service.retry(feedback=True).wait()
    entry = recorder.draft(first.id)
    assert entry.initial_prompting == "Which studies cover abolition movements worldwide?"
    assert entry.misaligned_response == first.content
    assert [event["kind"] for event in entry.interventions] == ["mark", "retry"]
    assert entry.intuitive_intervention == (
        "Marked the answer (invalid · #plurality); then asked for another answer"
        " (after marking it).")
    assert entry.values_at_risk == ["plurality"]
    assert entry.marks[0]["reason"] == "only the American context"
    assert (entry.pseudonym, entry.consent) == ("P07", True)
    assert entry.message_ids == [first.parent_id, first.id]
    saved = recorder.save(entry)
    assert DiaryStore(tmp_path / "diary").get(saved.id).misaligned_response == first.content


def test_stop_and_rewind_are_interventions_too(fake_service: ChatService, tmp_path: Path) -> None:
    recorder = DiaryRecorder(fake_service, DiaryStore(tmp_path / "diary"))
    turn = fake_service.send("tell me everything")
    turn.stop()
    turn.wait()
    stopped = fake_service.last_answer()
    fake_service.rewind()
    kinds = [event["kind"] for event in recorder.draft(stopped.id).interventions]
    assert kinds == ["stop", "rewind"]


async def test_f5_opens_the_diary_modal_and_ctrl_s_saves(tmp_path: Path) -> None:
    service = make_service(tmp_path)
    store = DiaryStore(tmp_path / "diary")
    app = CoalignApp(service, Config(), [], DiaryRecorder(service, store))
    async with app.run_test(size=(110, 45)) as pilot:
        await ask_and_wait(pilot, app, "a question")
        await pilot.press("f5")
        await wait_until(pilot, lambda: isinstance(app.screen, DiaryScreen))
        screen = app.screen
        assert screen.query_one("#initial", Input).value == "a question"
        screen.query_one("#outcome", RadioSet).query("RadioButton")[1].value = True  # partly
        screen.query_one("#note", Input).value = "the retry was better"
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: store.list())
        entry = store.list()[0]
        assert (entry.final_outcome, entry.outcome_note) == ("partly", "the retry was better")


def test_repl_diary_saves_a_prefilled_entry(fake_service: ChatService, tmp_path: Path) -> None:
    store = DiaryStore(tmp_path / "diary")
    keys = "a question\r/diary not what I needed\r/quit\r"
    code, text, _ = run_repl(fake_service, keys, tmp_path,
                             diary=DiaryRecorder(fake_service, store))
    assert code == 0 and "diary entry" in text
    entry = store.list()[0]
    assert entry.initial_prompting == "a question"
    assert entry.outcome_note == "not what I needed"


def _saved_entries(store: DiaryStore) -> list[str]:
    from tui.alignment.diary.entry import DiaryEntry

    ids = []
    for text, outcome, values in (("invented source", "misaligned", ["reliability"]),
                                  ("US-centric list", "partly", ["plurality"])):
        ids.append(store.add(DiaryEntry(misaligned_response=text, final_outcome=outcome,
                                        values_at_risk=values)).id)
    return ids


async def test_diary_list_filters_edits_and_deletes(tmp_path: Path) -> None:
    from textual.widgets import DataTable

    from tui.screens.diary_list import DiaryListScreen

    service = make_service(tmp_path)
    store = DiaryStore(tmp_path / "diary")
    first, second = _saved_entries(store)
    app = CoalignApp(service, Config(), [], DiaryRecorder(service, store))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("f8")
        await wait_until(pilot, lambda: isinstance(app.screen, DiaryListScreen))
        screen = app.screen
        table = screen.query_one(DataTable)
        await wait_until(pilot, lambda: table.row_count == 2)
        screen.query_one("#filter", Input).value = "value:plurality"
        await wait_until(pilot, lambda: table.row_count == 1)
        table.focus()
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, DiaryScreen))
        app.screen.query_one("#note", Input).value = "edited later"
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: store.get(second).outcome_note == "edited later")
        await wait_until(pilot, lambda: app.screen is screen)
        await pilot.press("delete", "delete")
        await wait_until(pilot, lambda: [e.id for e in store.list()] == [first])


def test_repl_lists_diary_entries_with_a_filter(fake_service: ChatService, tmp_path: Path) -> None:
    store = DiaryStore(tmp_path / "diary")
    first, _second = _saved_entries(store)
    code, text, _ = run_repl(fake_service, "/diaries outcome:misaligned\r/diaries bogus\r/quit\r",
                             tmp_path, diary=DiaryRecorder(fake_service, store))
    assert code == 0 and first in text and "1 entries" in text
    assert "error: filter 'bogus' is not KEY:VALUE" in text


def test_entry_from_a_real_conversation_round_trips(real_service: ChatService,
                                                    tmp_path: Path) -> None:
    store = DiaryStore(tmp_path / "diary")
    recorder = DiaryRecorder(real_service, store, "P03", True)
    real_service.send("List two sources on participatory design.").wait()
    real_service.mark(validity="invalid", reason="both sources are invented",
                      values_at_risk=["reliability"])
    real_service.retry(feedback=True).wait()
    answer = real_service.store.path_to(real_service.last_answer().parent_id)[-1]
    first = real_service.store.children(answer.id, answer.session_id)[0]
    entry = recorder.draft(first.id)
    entry.final_outcome, entry.outcome_note = "partly", "the retry admitted it"
    saved = recorder.save(entry)
    again = DiaryStore(tmp_path / "diary").get(saved.id)
    assert again == saved
    assert again.misaligned_response == first.content.strip() and again.model.endswith("Q4_1")
    assert [e["kind"] for e in again.interventions] == ["mark", "retry"]
    assert again.profile == {} and again.values_at_risk == ["reliability"]


def test_after_a_retry_following_a_mark_the_entry_is_about_the_marked_answer(
    fake_service: ChatService, tmp_path: Path,
) -> None:
    fake_service.send("question").wait()
    marked = fake_service.last_answer()
    fake_service.mark(validity="invalid", reason="wrong")
    fake_service.retry(feedback=True).wait()
    entry = DiaryRecorder(fake_service, DiaryStore(tmp_path / "d")).draft()
    assert entry.message_ids == [marked.parent_id, marked.id]
    assert [e["kind"] for e in entry.interventions] == ["mark", "retry"]

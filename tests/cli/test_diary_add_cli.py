"""`coalign diary add` and `import`: the profile in force and the model are recorded, and
`--session ID [--message ID]` attaches an entry to a stored conversation."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.fixtures.fakes import FakeEngine
from tui.alignment.conversation import Message
from tui.alignment.diary import DiaryEntry, DiaryStore
from tui.alignment.store import Store
from tui.application.profiles import open_library
from tui.application.service import ChatService
from tui.engine.base import SamplingSettings
from tui.main import main
from tui.paths import Paths, default_paths

PROMPT = "Which studies cover abolition movements worldwide?"


@pytest.fixture
def paths(coalign_home: Path) -> Paths:
    coalign_home.mkdir(parents=True, exist_ok=True)
    (coalign_home / "config.toml").write_text(
        'pseudonym = "P05"\nconsent = true\nprofile = "group3-care"\n'
        'model = "/home/erin/models/qwen2.5-0.5b.gguf"\n', encoding="utf-8")
    return default_paths()


def _entries(paths: Paths) -> list[DiaryEntry]:
    return DiaryStore(paths.diary_dir).list()


def _added(paths: Paths, capsys: pytest.CaptureFixture[str], *argv: str) -> DiaryEntry:
    assert main(["diary", "add", *argv]) == 0, capsys.readouterr().err
    entry_id = capsys.readouterr().out.split()[-1]
    return DiaryStore(paths.diary_dir).get(entry_id)


def test_add_records_the_profile_in_force_and_the_model_configured(
        paths: Paths, capsys: pytest.CaptureFixture[str]) -> None:
    entry = _added(paths, capsys, "--misaligned-response", "It invented a source")
    assert (entry.profile["name"], entry.profile["source"]) == ("group3-care", "shipped")
    assert entry.model == "qwen2.5-0.5b"  # the file's name: never the home-folder path
    assert (entry.pseudonym, entry.consent) == ("P05", True) and entry.participant_id
    other = _added(paths, capsys, "--misaligned-response", "x", "--model", "m")
    assert other.model == "m"  # --model wins
    assert main(["diary", "list", "--profile", "group3-care"]) == 0  # QA B13: found now
    listed = capsys.readouterr().out
    assert entry.id in listed and other.id in listed


def test_import_records_the_profile_in_force(paths: Paths, tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    form = tmp_path / "form.csv"
    form.write_text("Misaligned Response,Model\nIt hedged everything,\nIt was rude,gemma\n",
                    encoding="utf-8")
    assert main(["diary", "import", str(form)]) == 0
    entries = sorted(_entries(paths), key=lambda e: e.misaligned_response)
    assert [e.profile.get("name") for e in entries] == ["group3-care", "group3-care"]
    assert [e.model for e in entries] == ["qwen2.5-0.5b", "gemma"]  # the form's model wins


@pytest.fixture
def conversation(paths: Paths) -> tuple[int, Message, Message]:
    """A stored session: a prompt, an answer marked invalid, then a retry after the mark;
    answered under profile group2-plurality. Returns (session, first, retry answers)."""
    paths.ensure_data_dir()
    store = Store(paths.database)
    engine = FakeEngine()
    engine.start_loading()
    library = open_library(paths)
    service = ChatService(store, engine, SamplingSettings(max_tokens=64), "", library)
    service.set_profile(library.get("group2-plurality"))
    service.send(PROMPT).wait()
    first = service.last_answer()
    service.mark(validity="invalid", reason="only the American context",
                 values_at_risk=["plurality"])
    service.retry(feedback=True).wait()
    retry = service.last_answer()
    assert first is not None and retry is not None and service.session_id is not None
    session = service.session_id
    store.close()
    return session, first, retry


def test_add_session_message_drafts_the_entry_from_that_answer(
        paths: Paths, conversation: tuple[int, Message, Message],
        capsys: pytest.CaptureFixture[str]) -> None:
    session, first, _retry = conversation
    entry = _added(paths, capsys, "--session", str(session), "--message", str(first.id),
                   "--outcome", "partly", "--value", "care")
    assert entry.misaligned_response == first.content
    assert entry.initial_prompting == PROMPT
    assert entry.session_id == str(session) and entry.message_ids == [first.parent_id, first.id]
    assert [t["role"] for t in entry.transcript] == ["user", "assistant"]
    assert entry.marks[0]["reason"] == "only the American context"
    assert [e["kind"] for e in entry.interventions] == ["mark", "retry"]
    assert entry.values_at_risk == ["plurality", "care"]
    assert entry.final_outcome == "partly"
    assert entry.profile["name"] == "group2-plurality"  # the conversation's, not config's
    assert entry.model == "fake-engine F0"


def test_add_session_alone_or_a_prompt_takes_the_answer_on_the_branch(
        paths: Paths, conversation: tuple[int, Message, Message],
        capsys: pytest.CaptureFixture[str]) -> None:
    session, first, retry = conversation
    assert _added(paths, capsys, "--session", str(session)).message_ids[-1] == retry.id
    by_prompt = _added(paths, capsys, "--session", str(session),
                       "--message", str(first.parent_id))
    assert by_prompt.misaligned_response == retry.content
    given = _added(paths, capsys, "--session", str(session), "--misaligned-response",
                   "my own words")
    assert given.misaligned_response == "my own words" and given.initial_prompting == PROMPT


@pytest.mark.parametrize(("argv", "says"), [
    (["--session", "99"], "no session 99; `coalign history list`"),
    (["--session", "{s}", "--message", "999"], "no message 999"),
    (["--message", "1"], "--message needs --session ID"),
    ([], "give --misaligned-response TEXT, or --session ID"),
])
def test_an_unknown_session_or_message_is_one_line_and_exit_2(
        paths: Paths, conversation: tuple[int, Message, Message], argv: list[str], says: str,
        capsys: pytest.CaptureFixture[str]) -> None:
    session = conversation[0]
    assert main(["diary", "add", *(a.format(s=session) for a in argv)]) == 2
    err = capsys.readouterr().err
    assert len(err.splitlines()) == 1 and says in err
    assert not _entries(paths)


def test_add_session_without_any_history_says_so(
        paths: Paths, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["diary", "add", "--session", "1"]) == 2
    assert "no conversation history yet" in capsys.readouterr().err

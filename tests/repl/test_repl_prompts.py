"""`/prompt` in the REPL: the library listed, placeholders asked for, each use recorded."""

from __future__ import annotations

from pathlib import Path

from tests.fixtures.fakes import FakeEngine
from tests.fixtures.repl import run_repl
from tui.alignment.conversation import Role
from tui.alignment.store import Store
from tui.application.profiles import open_library
from tui.application.service import ChatService
from tui.engine.base import SamplingSettings
from tui.paths import default_paths
from tui.repl.prompting import SlashCompleter


def service_under(store: Store, name: str) -> ChatService:
    library = open_library(default_paths())
    engine = FakeEngine()
    service = ChatService(store, engine, SamplingSettings(max_tokens=8), "sys", library)
    service.set_profile(library.get(name))
    return service


def test_slash_prompt_lists_the_profile_in_force_first(store: Store, coalign_home: Path) -> None:
    service = service_under(store, "group3-care")
    coalign_home.mkdir(parents=True, exist_ok=True)
    _code, text, _ = run_repl(service, "/prompt\r/quit\r", coalign_home)
    lines = [line for line in text.splitlines() if "[profile " in line]
    assert lines[0].startswith("ethics-check") and "(in force, shipped" in lines[0]
    assert any(line.startswith("short-answer") for line in lines)
    assert service.transcript() == []


def test_slash_prompt_asks_for_a_missing_value_then_sends_and_records(
        store: Store, coalign_home: Path, tmp_path: Path) -> None:
    mine = coalign_home / "data" / "profiles"
    mine.mkdir(parents=True)
    (mine / "lab.toml").write_text('schema = 1\n[[prompts]]\nname = "lit-gaps"\n'
                                   'text = "Gaps on {topic} for {region}?"\n')
    service = service_under(store, "lab")
    keys = "/prompt lit-gaps region=Ghana\rtrade routes\r/prompt ethics-check Our plan.\r/quit\r"
    _code, text, _ = run_repl(service, keys, coalign_home)
    first, second = [m for m in service.transcript() if m.role is Role.USER]
    assert first.content == "Gaps on trade routes for Ghana?"
    assert first.meta["prompt"]["arguments"] == {"region": "Ghana", "topic": "trade routes"}
    assert (first.meta["prompt"]["profile"], first.meta["prompt"]["source"]) == ("lab", "yours")
    assert second.content.endswith("do about each?\n\nOur plan.")
    assert second.meta["prompt"]["appended"] == "Our plan."
    assert second.meta["prompt"]["profile"] == "group3-care"
    assert "prompt lit-gaps from profile lab (in force, yours)" in text


def test_an_unknown_prompt_is_one_line(store: Store, coalign_home: Path) -> None:
    service = service_under(store, "neutral")
    coalign_home.mkdir(parents=True, exist_ok=True)
    _code, text, _ = run_repl(service, "/prompt no-such-thing\r/quit\r", coalign_home)
    assert "no prompt called no-such-thing; /prompt (or `coalign prompt list`) lists them" in text
    assert service.transcript() == []


def test_tab_completes_prompt_names() -> None:
    from prompt_toolkit.completion import CompleteEvent
    from prompt_toolkit.document import Document

    completer = SlashCompleter(lambda: [], lambda: [("lit-gaps", "Gaps"), ("ethics", "E")])
    found = list(completer.get_completions(Document("/prompt li"), CompleteEvent()))
    assert [c.text for c in found] == ["lit-gaps"]

"""Pause and daily limits hold in every front end: the TUI, the REPL (its best-of-N loop
too) and `coalign ask`, and across processes sharing one data dir."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

from prompt_toolkit.output import DummyOutput

from tests.fixtures.fakes import FakeEngine
from tests.fixtures.pilot import answers, ask, ask_and_wait, wait_until
from tests.fixtures.repl import run_repl
from tui.alignment.profiles.edit import apply_setting
from tui.alignment.store import Store
from tui.application.profiles import open_library
from tui.application.service import ChatService
from tui.config import Config
from tui.engine.base import SamplingSettings
from tui.paths import default_paths
from tui.repl.loop import Repl
from tui.screens.app import CoalignApp


def service_with(settings: list[str], store: Store | None = None,
                 candidates: int | None = None) -> ChatService:
    """A fake-engine service in $COALIGN_HOME under a saved profile 'limited'."""
    paths = default_paths()
    paths.ensure_data_dir()
    library = open_library(paths)
    profile = library.default().profile
    assert profile is not None
    for setting in settings:
        profile = apply_setting(profile, setting)
    profile = replace(profile, sampling=replace(profile.sampling, candidates=candidates))
    library.save(profile, "limited")
    engine = FakeEngine()
    engine.start_loading()
    service = ChatService(store or Store(paths.database), engine,
                          SamplingSettings(max_tokens=64), "sys", library)
    service.set_profile(library.get("limited"))
    return service


def coalign(*args: str, home: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COALIGN_HOME": str(home)}
    return subprocess.run([sys.executable, "-m", "tui", *args], capture_output=True, text=True,
                          env=env, timeout=120, stdin=subprocess.DEVNULL)


def write_config(home: Path) -> None:
    home.mkdir(parents=True, exist_ok=True)
    (home / "config.toml").write_text('profile = "limited"\n', encoding="utf-8")


def test_the_repl_candidates_loop_stops_at_the_limit(tmp_path: Path) -> None:
    service = service_with(["engagement.daily_requests=2"], candidates=3)
    _code, text, _repl = run_repl(service, "one\r/quit\r", tmp_path)
    assert "daily limit reached: 2 of 2 requests today" in text
    assert "/override goes on for today" in text
    assert len([m for m in service.store.answer_stats()]) == 2  # not 3


async def test_the_tui_candidates_stop_at_the_limit(tmp_path: Path) -> None:
    service = service_with(["engagement.daily_requests=2"], candidates=3)
    app = CoalignApp(service, Config(), [])
    async with app.run_test() as pilot:
        await ask(pilot, "one")
        await wait_until(pilot, lambda: len(service.store.answer_stats()) == 2
                         and not app.chat.busy)
        for _ in range(5):
            await pilot.pause()
        assert len(service.store.answer_stats()) == 2


def test_coalign_ask_stops_at_a_tiny_daily_token_limit(coalign_home: Path) -> None:
    service = service_with(["engagement.daily_tokens=5"])
    service.send("an earlier question").wait()  # uses more than 5 tokens today
    write_config(coalign_home)
    refused = coalign("ask", "--model", "/nonexistent.gguf", "another question",
                      home=coalign_home)
    assert refused.returncode == 2
    assert refused.stderr.strip().splitlines()[-1].startswith("coalign: daily limit reached:")
    assert "--override goes on for today" in refused.stderr
    assert "Traceback" not in refused.stderr
    overridden = coalign("ask", "--override", "--model", "/nonexistent.gguf", "again",
                         home=coalign_home)
    assert "daily limit reached" not in overridden.stderr  # past the limit, to the model
    assert "/nonexistent.gguf" in overridden.stderr
    kinds = [e["kind"] for e in service.store.events(None)]
    assert "override-limits" in kinds


def test_a_pause_in_one_process_holds_coalign_ask_in_another(coalign_home: Path) -> None:
    service = service_with([])
    service.pause(None, "stepping away")
    write_config(coalign_home)
    refused = coalign("ask", "--model", "/nonexistent.gguf", "a question", home=coalign_home)
    assert refused.returncode == 2
    assert "paused (until you resume): stepping away" in refused.stderr
    assert "Traceback" not in refused.stderr
    service.resume()
    went_on = coalign("ask", "--model", "/nonexistent.gguf", "a question", home=coalign_home)
    assert "paused" not in went_on.stderr


async def test_a_pause_from_the_repl_holds_the_tui(tmp_path: Path) -> None:
    repl_service = service_with([])
    out = io.StringIO()
    Repl(repl_service, tmp_path / "history", output=DummyOutput(), out=out).execute(
        "/pause 30 thinking")
    assert "paused (30 more minute(s)): thinking" in out.getvalue()
    tui_service = service_with([])  # another front end on the same data dir
    app = CoalignApp(tui_service, Config(), [])
    async with app.run_test() as pilot:
        await ask(pilot, "a question")
        for _ in range(5):
            await pilot.pause()
        assert answers(app) == [] and tui_service.store.answer_stats() == []
        tui_service.resume()
        await ask_and_wait(pilot, app, "a question")
        assert len(answers(app)) == 1

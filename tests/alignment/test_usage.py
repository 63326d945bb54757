"""Usage meter and daily limits from the profile: warn near, stop at, override once."""

from __future__ import annotations

from pathlib import Path

from tests.fixtures.fakes import FakeEngine
from tests.fixtures.pilot import answers, ask, ask_and_wait, wait_until
from tests.fixtures.repl import run_repl
from tui.alignment.profiles.edit import apply_setting
from tui.alignment.store import Store
from tui.alignment.usage import UsageTotals, closest_limit
from tui.application.profiles import open_library
from tui.application.service import ChatService
from tui.config import Config
from tui.engine.base import SamplingSettings
from tui.paths import default_paths
from tui.screens.app import CoalignApp
from tui.screens.limit import LimitScreen


def limited_service(store: Store, requests: int = 2) -> ChatService:
    library = open_library(default_paths())
    profile = apply_setting(library.default().profile, f"engagement.daily_requests={requests}")
    library.save(profile, "limited")
    engine = FakeEngine()
    engine.start_loading()
    service = ChatService(store, engine, SamplingSettings(max_tokens=64), "sys", library)
    service.set_profile(library.get("limited"))
    return service


def test_totals_and_energy_estimate() -> None:
    totals = UsageTotals()
    totals.add({"prompt_evaluated": 10, "generated_tokens": 5, "prompt_seconds": 30,
                "generation_seconds": 30, "cpu_seconds": 240})
    assert (totals.requests, totals.tokens, totals.minutes) == (1, 15, 1.0)
    assert totals.energy_wh == 1.0  # 240 CPU s x 15 W / 3600
    status = closest_limit(totals, tokens=100, requests=2, minutes=None)
    assert (status.kind, status.near, status.reached) == ("requests", False, False)
    assert closest_limit(totals, None, None, None) is None


def test_limit_stops_the_next_request_until_overridden(store: Store) -> None:
    service = limited_service(store)
    service.send("one").wait()
    assert service.limit_status().describe() == "1 of 2 requests today (50%)"
    service.send("two").wait()
    assert service.limit_blocks() is not None
    service.override_limits()
    assert service.limit_blocks() is None
    kinds = [e["kind"] for e in store.events(service.session.id)]
    assert kinds == ["override-limits"]


async def test_tui_shows_the_limit_screen_and_o_overrides(store: Store) -> None:
    service = limited_service(store, requests=1)
    app = CoalignApp(service, Config(), [])
    async with app.run_test() as pilot:
        await ask_and_wait(pilot, app, "one")
        await ask(pilot, "two")
        await wait_until(pilot, lambda: isinstance(app.screen, LimitScreen))
        assert len(answers(app)) == 1
        await pilot.press("o")  # goes on, and sends the prompt that was kept in the box
        await wait_until(pilot, lambda: app.screen is app.chat and len(answers(app)) == 2
                         and not app.chat.busy)
        assert [m.content for m in service.transcript() if m.role == "user"] == ["one", "two"]


def test_repl_refuses_at_the_limit_and_override_goes_on(store: Store, tmp_path: Path) -> None:
    service = limited_service(store, requests=1)
    code, text, _ = run_repl(service, "one\rtwo\r/override\rtwo\r/quit\r", tmp_path)
    assert code == 0 and "daily limit reached: 1 of 1 requests today" in text
    assert "daily limits overridden for today" in text
    assert [m.content for m in service.transcript() if m.role == "user"] == ["one", "two"]


def test_real_answers_record_cpu_time(real_service: ChatService) -> None:
    real_service.send("Say hello.").wait()
    assert real_service.last_answer().meta["stats"]["cpu_seconds"] > 0


def test_usage_is_recorded_beside_the_diary_and_summed_across_participants(
    tmp_path: Path, coalign_home: Path,
) -> None:
    import os
    import subprocess
    import sys
    import tomllib

    from tests.conftest import TEST_SYSTEM_PROMPT
    from tui.alignment.diary.store import DiaryStore
    from tui.application.diary import DiaryRecorder

    folders = []
    for pseudonym, questions in (("P01", 2), ("P02", 3)):
        engine = FakeEngine()
        engine.start_loading()
        service = ChatService(Store(tmp_path / f"{pseudonym}.sqlite3"), engine,
                              SamplingSettings(max_tokens=8), TEST_SYSTEM_PROMPT)
        recorder = DiaryRecorder(service, DiaryStore(tmp_path / pseudonym), pseudonym, True)
        for index in range(questions):
            service.send(f"question {index}").wait()
        record = tomllib.loads(recorder.record_usage().read_text(encoding="utf-8"))
        assert record["pseudonym"] == pseudonym and record["profiles"]["-"]["requests"] == questions
        folders.append(str(tmp_path / pseudonym))
    result = subprocess.run([sys.executable, "-m", "tui", "usage", "--from", *folders],
                            capture_output=True, text=True, timeout=60,
                            env={**os.environ, "COALIGN_HOME": str(coalign_home)})
    assert result.returncode == 0, result.stderr
    lines = {line.split()[0] + (" " + line.split()[1] if line.startswith(("participant", "profile"))
                                else ""): line.split() for line in result.stdout.splitlines()
             if line.strip()}
    assert lines["participant P01"][2] == "2" and lines["participant P02"][2] == "3"
    assert lines["all"][1] == "5"

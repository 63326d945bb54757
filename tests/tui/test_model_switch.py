"""/model in the TUI with two real GGUFs: the picker lists them, the chosen one loads in
the background, the conversation stays, and the next answer records the new model."""

from __future__ import annotations

from pathlib import Path

from tests.fixtures.pilot import ask_and_wait, wait_until
from tests.fixtures.two_models import start_on_the_first
from tui.screens.app import CoalignApp
from tui.screens.models import ModelsScreen
from tui.widgets.conversation import StatusLine


def status_label(app: CoalignApp) -> str:
    info = app.chat.query_one(StatusLine).info
    return info.label if info is not None else ""


async def test_model_switches_in_the_tui_and_the_answer_records_it(
        model_path: Path, tmp_path: Path) -> None:
    startup, second = start_on_the_first(model_path, tmp_path)
    service = startup.service
    app = CoalignApp(service, startup.config, [], startup.diary)
    async with app.run_test() as pilot:
        await wait_until(pilot, lambda: app.screen is app.chat)
        first = await ask_and_wait(pilot, app, "Say one word.")
        await pilot.press("alt+m")  # the key (the palette and /model run the same action)
        await wait_until(pilot, lambda: isinstance(app.screen, ModelsScreen), timeout=30)
        picker = app.screen
        assert isinstance(picker, ModelsScreen)
        names = [row.name for row in picker.models]
        assert "second" in names and "smollm2-135m" in names
        picker.dismiss(names.index("second"))
        await wait_until(pilot, lambda: service.engine.info is not None
                         and Path(service.engine.info.path) == second, timeout=60)
        await wait_until(pilot, lambda: status_label(app).startswith("second-model"))
        await ask_and_wait(pilot, app, "Say another word.")
    transcript = service.transcript()
    assert len(transcript) == 4 and transcript[1].content == first.text  # the conversation
    assert transcript[1].model and "SmolLM2" in transcript[1].model
    assert transcript[3].model and transcript[3].model.startswith("second-model")
    events = service.store.events(service.session_id)
    assert [e["detail"] for e in events if e["kind"] == "model"] == [
        f"{transcript[1].model} -> {transcript[3].model}"]

"""/model in the REPL with two real GGUFs: listed, switched, and the next answer records
the new model while the conversation goes on."""

from __future__ import annotations

from pathlib import Path

from tests.fixtures.repl import run_repl
from tests.fixtures.two_models import start_on_the_first


def test_model_lists_and_switches_in_the_repl(model_path: Path, tmp_path: Path) -> None:
    startup, second = start_on_the_first(model_path, tmp_path)
    keys = "Say one word.\r/model\r/model second\rSay another word.\r/model nothing-here\r/quit\r"
    code, out, _repl = run_repl(startup.service, keys, tmp_path, diary=startup.diary)
    assert code == 0
    listed = out.split("/model NAME")[0]
    assert "* smollm2-135m" in listed and "  second " in listed and str(second) in listed
    assert "now answering with second-model" in out
    assert "error: model file not found: nothing-here" in out  # the old model stays
    transcript = startup.service.transcript()
    assert [m.model.split()[0] for m in transcript if m.model] == [
        "SmolLM2-135M-Instruct", "SmolLM2-135M-Instruct", "second-model", "second-model"]
    assert Path(startup.service.engine.info.path) == second

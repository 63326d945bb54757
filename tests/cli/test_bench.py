"""`coalign bench` on a tiny configuration: every issue-6 key present, numeric and sane."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from tui.bench.run import NATIVE_TARGETS, TARGETS, run_bench, table
from tui.engine.model_files import bundled_model
from tui.main import build_parser

KEYS = ("raw_tok_s", "engine_tok_s", "tui_tok_s", "prompt_tok_s", "ttft_turn1_s",
        "ttft_turn20_s", "rewind_tokens_evaluated", "rewind_s", "cold_reeval_s",
        "key_latency_p50_ms", "key_latency_p99_ms", "key_latency_max_ms", "startup_s",
        "model_ready_s", "peak_rss_mb", "llama_kv_mb", "llama_compute_mb", "model_mb",
        "export_10k_s", "ttft_warm_s", "ttft_resume_s", "ttft_cold_s", "resume_history_tokens",
        "resume_tokens_evaluated")
POSITIVE = set(KEYS) - {"rewind_tokens_evaluated", "resume_tokens_evaluated"}

MODEL = bundled_model()


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("COALIGN_HOME", str(tmp_path))
    return tmp_path


def test_the_bench_command_parses_its_options() -> None:
    args = build_parser().parse_args(["bench", "--json", "--turns", "3", "--presses", "7"])
    assert (args.command, args.json, args.turns, args.presses) == ("bench", True, 3, 7)
    assert args.model is None


@pytest.mark.model
@pytest.mark.skipif(MODEL is None or not MODEL.exists,
                    reason="the bundled model is not installed")
def test_run_bench_reports_every_key(home: Path) -> None:
    assert MODEL is not None
    result = run_bench(MODEL.path, turns=3, presses=10, tokens=16, threads=2, export_count=200,
                       rounds=1, history_tokens=200)
    for key in KEYS:
        value = result[key]
        assert isinstance(value, int | float) and math.isfinite(value), (key, value)
        if key in POSITIVE:
            assert value > 0, (key, value)
    assert result["rewind_tokens_evaluated"] >= 0
    assert result["key_latency_p50_ms"] <= result["key_latency_p99_ms"]
    assert result["engine_ratio"] == result["engine_tok_s"] / result["raw_tok_s"]  # one round
    assert 0 < result["tui_ui_thread_cpu_pct"] <= 100
    assert result["raw_runs"] == [round(result["raw_tok_s"], 1)]
    assert result["startup_s"] <= result["model_ready_s"]
    assert result["resume_history_tokens"] >= 200  # the saved state spared the history:
    assert result["resume_tokens_evaluated"] < result["cold_tokens_evaluated"] / 4
    for way in ("warm", "resume"):  # the median of three alternating first tokens
        runs = result[f"ttft_{way}_runs"]
        assert len(runs) == 3 and sorted(runs)[1] == round(result[f"ttft_{way}_s"], 3)
    assert result["warm_tokens_evaluated"] == result["resume_tokens_evaluated"] > 1
    lines = table(result)
    measured = len(TARGETS) + sum(key in result for _label, key, _holds in NATIVE_TARGETS)
    assert len([line for line in lines if line.startswith(("  ok", "  MISS"))]) == measured
    # without --native only the resume target is measured
    assert len([line for line in lines if line.startswith("  n/a")]) == len(NATIVE_TARGETS) - 1

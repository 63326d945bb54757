"""`coalign bench --native PATH [--contention]`: the llama-bench reference, interleaved rounds
and their ratios, the competing process, and the issue-13 verdicts, on tiny settings."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from tui.bench import native
from tui.bench.rounds import Native, Probes, measure
from tui.bench.run import NATIVE_TARGETS, table
from tui.errors import CoalignError
from tui.main import build_parser

FAKE = """#!{python}
import json, os, sys
args = sys.argv[1:]
prompt, generate = int(args[args.index("-p") + 1]), int(args[args.index("-n") + 1])
omp = [k for k in os.environ if k in ("OMP_WAIT_POLICY", "GOMP_SPINCOUNT")]
with open({log!r}, "a") as log:
    log.write(json.dumps({{"args": args, "omp": omp}}) + "\\n")
speed = 400.0 if prompt else 100.0
print(json.dumps([{{"n_prompt": prompt, "n_gen": generate, "avg_ts": speed}}]))
"""


@pytest.fixture
def llama_bench(tmp_path: Path) -> tuple[Path, Path]:
    """A stand-in llama-bench that answers 100 tok/s tg, 400 tok/s pp, and logs its calls."""
    log = tmp_path / "calls.jsonl"
    script = tmp_path / "llama-bench"
    script.write_text(FAKE.format(python=sys.executable, log=str(log)))
    script.chmod(0o755)
    return script, log


def test_the_bench_command_takes_the_native_options() -> None:
    args = build_parser().parse_args(["bench", "--native", "/x/llama-bench", "--contention",
                                      "--rounds", "2", "--tokens", "16", "--threads", "1"])
    assert (args.native, args.contention, args.rounds, args.tokens, args.threads) == (
        Path("/x/llama-bench"), True, 2, 16, 1)


def test_llama_bench_runs_with_openmps_own_waiting(llama_bench, monkeypatch) -> None:
    script, log = llama_bench
    monkeypatch.setenv("GOMP_SPINCOUNT", "10000")
    monkeypatch.setenv("OMP_WAIT_POLICY", "PASSIVE")
    speed = native.run_llama_bench(script, Path("m.gguf"), 2, generate=32)
    call = json.loads(log.read_text())
    assert speed == 100.0 and call["omp"] == []
    assert call["args"][:4] == ["-m", "m.gguf", "-t", "2"] and "-o" in call["args"]


def test_a_missing_or_failing_llama_bench_is_one_clear_error(tmp_path: Path) -> None:
    with pytest.raises(CoalignError, match="not an executable llama-bench"):
        native.check_binary(tmp_path / "nope")
    with pytest.raises(CoalignError, match="not the JSON"):
        native.parse_tokens_per_second("llama-bench: usage")


def test_rounds_interleave_and_ratios_are_taken_within_each_round(llama_bench) -> None:
    script, log = llama_bench
    speeds = iter([90.0, 80.0, 50.0, 45.0])  # engine, then TUI, then the contended round's
    threads = iter([2, 1])  # the engine's threads after each round's TUI answer
    raw_runs: list[float] = []

    def raw() -> float:
        raw_runs.append(95.0)
        return 95.0
    probes = Probes(raw=raw, engine=lambda: next(speeds),
                    tui=lambda: (next(speeds), 0.05), prompt=lambda: (360.0, 300),
                    threads=lambda: next(threads))
    result = measure(probes, Native(script, Path("m.gguf"), 2, depth=40), 16, 1,
                     contended=True)
    assert raw_runs == [95.0] and "contended_raw_tok_s" not in result  # idle rounds only
    assert result["native_tg_tok_s"] == 100.0 and result["native_pp_tok_s"] == 400.0
    assert result["engine_native_ratio"] == pytest.approx(0.9)
    assert result["tui_native_ratio"] == pytest.approx(0.8)
    assert result["prompt_native_ratio"] == pytest.approx(0.9)
    assert result["engine_ratio"] == pytest.approx(90 / 95)
    assert result["contended_tui_native_ratio"] == pytest.approx(0.45)
    assert result["contended_tui_native_fewer_ratio"] == pytest.approx(0.45)
    assert "tui_native_fewer_ratio" not in result  # idle: no reference on a thread fewer
    assert (result["threads_in_use"], result["contended_threads_in_use"]) == (2, 1)
    assert result["tui_ui_thread_cpu_pct"] == pytest.approx(5.0)
    calls = [json.loads(line)["args"] for line in log.read_text().splitlines()]
    # tg before the probes and after each (idle: raw loop, engine, TUI; contended: on a
    # thread fewer first, then engine and TUI), then pp as long as the engine's prompt
    assert [c[c.index("-p") + 1] for c in calls] == ["0"] * 4 + ["300"] + ["0"] * 4 + ["300"]
    assert [c[c.index("-t") + 1] for c in calls] == ["2"] * 6 + ["1"] + ["2"] * 3
    depths = [c[c.index("-d") + 1] if "-d" in c else None for c in calls]
    assert depths == (["40"] * 4 + [None]) * 2  # after the prompt's tokens


class _Machine:
    """A machine that slows by 10 tokens/s with every measurement taken on it: native
    llama-bench gets its speed, the probes a share of it."""

    threads = 2

    def __init__(self) -> None:
        self.speed = 130.0

    def _taken(self, share: float) -> float:
        self.speed -= 10.0
        return share * self.speed

    def tg(self, tokens: int, threads: int | None = None) -> float:
        return self._taken(1.0)

    def pp(self, tokens: int) -> float:
        return 400.0

    def probe(self, share: float) -> Callable[[], float]:
        return lambda: self._taken(share)


def test_each_probe_is_compared_with_the_native_runs_right_before_and_after_it() -> None:
    machine = _Machine()
    tui = machine.probe(0.8)
    probes = Probes(raw=machine.probe(0.95), engine=machine.probe(0.9),
                    tui=lambda: (tui(), 0.05), prompt=lambda: (360.0, 300))
    result = measure(probes, machine, 16, 1)  # type: ignore[arg-type]
    # native 120, raw, native 100, engine, native 80, TUI, native 60
    assert (result["native_tg_before_tok_s"], result["native_tg_after_tok_s"]) == (120, 60)
    assert result["native_tg_tok_s"] == 90.0
    assert result["native_tg_tui_tok_s"] == 70.0
    assert result["raw_native_ratio"] == pytest.approx(0.95)
    assert result["engine_native_ratio"] == pytest.approx(0.9)
    assert result["tui_native_ratio"] == pytest.approx(0.8)


def test_the_competing_process_runs_only_inside_the_block() -> None:
    with native.contention() as pid:
        assert pid is not None
        os.kill(pid, 0)  # alive
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
    with native.contention(False) as none:
        assert none is None


def test_issue_13_verdicts_say_n_a_for_what_was_not_measured() -> None:
    result = {"model": "m", "threads": 2, "turns": 1, "presses": 1, "rounds": 1,
              "tui_ratio": 1.0, "rewind_tokens_evaluated": 1, "rewind_new_tokens": 1,
              "ttft_turn20_s": 0.1, "ttft_turn1_s": 0.1, "key_latency_p99_ms": 10.0,
              "startup_s": 0.5, "peak_rss_mb": 1.0, "model_mb": 1.0, "export_10k_s": 1.0,
              "tui_native_ratio": 0.95, "ttft_resume_s": 0.3, "ttft_warm_s": 0.1}
    verdicts = table(result)[-len(NATIVE_TARGETS):]
    assert verdicts[0].startswith("  ok ") and verdicts[1].startswith("  n/a")
    assert verdicts[-1].startswith("  MISS")

"""`coalign bench`: generation, prompt, prefix-reuse, UI-latency, start-up and export speed."""

from __future__ import annotations

import json
import os
import resource
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tui.alignment.conversation import chat_messages
from tui.alignment.store import Store
from tui.application.service import ChatService
from tui.engine.base import SamplingSettings
from tui.engine.llama import LlamaEngine

PROMPT = "Write a long essay about the history of bridges."
SYSTEM = "You are a research assistant."
TOPICS = ["bridges", "rivers", "archives", "surveys", "interviews", "maps", "ethics boards",
          "sampling", "coding schemes", "field notes", "consent forms", "replication", "datasets",
          "citations", "peer review", "workshops", "diaries", "metaphors", "values", "trade-offs"]
REWIND = 5


def progress(text: str) -> None:
    print(f"measuring {text}…", file=sys.stderr, flush=True)


def _settings(max_tokens: int) -> SamplingSettings:
    return SamplingSettings(temperature=0.0, max_tokens=max_tokens, seed=1)


def _service(engine: LlamaEngine, max_tokens: int, system: str = "") -> ChatService:
    return ChatService(Store(":memory:"), engine, _settings(max_tokens), system)


def raw_tok_s(engine: LlamaEngine, tokens: int) -> float:
    """The reference: llama-cpp-python's own streaming loop on the engine's Llama, asked
    exactly what the engine and the TUI are asked (chat template, sampling, token count)
    and timed the same way (first token to the end of the stream)."""
    settings = _settings(tokens)

    def loop(llm: Any) -> float:
        count, first = 0, 0.0
        stream = llm.create_chat_completion(
            messages=[{"role": "user", "content": PROMPT}], stream=True,
            temperature=settings.temperature, max_tokens=settings.max_tokens,
            seed=settings.seed, top_p=settings.top_p, repeat_penalty=settings.repeat_penalty)
        for chunk in stream:
            if chunk["choices"][0]["delta"].get("content"):
                count += 1
                first = first or time.perf_counter()
        stream.close()
        ended = time.perf_counter()
        return (count - 1) / (ended - first) if count > 1 else 0.0

    return engine.run_on_owner(loop)


def engine_tok_s(engine: LlamaEngine, tokens: int) -> float:
    """The same answer through ChatService and the engine, without a UI."""
    turn = _service(engine, tokens).send(PROMPT)
    turn.wait()
    return turn.generation.stats.tokens_per_second


def _cold(engine: LlamaEngine) -> None:
    engine.run_on_owner(lambda llm: llm.reset())  # forget the KV cache's prefix


def prompt_tok_s(engine: LlamaEngine) -> float:
    """Prompt evaluation speed on a ~300-token prompt with nothing cached."""
    _cold(engine)
    text = " ".join(f"Note {n}: the survey of {TOPICS[n % len(TOPICS)]} was long."
                    for n in range(30))
    turn = _service(engine, 4).send(text)
    turn.wait()
    stats = turn.generation.stats
    return stats.prompt_evaluated / stats.prompt_seconds if stats.prompt_seconds else 0.0


def conversation(engine: LlamaEngine, turns: int) -> dict[str, float]:
    """First-token time at turn 1 and turn N, then a rewind against re-evaluating cold."""
    _cold(engine)
    service = _service(engine, 24, SYSTEM)
    firsts = []
    for index in range(turns):
        turn = service.send(f"Tell me one fact about {TOPICS[index % len(TOPICS)]}.")
        turn.wait()
        firsts.append(turn.generation.stats.prompt_seconds)
    progress(f"a turn after rewinding {min(REWIND, turns - 1)} turns")
    service.rewind(min(REWIND, turns - 1))
    question = "Summarise what we discussed in one sentence."
    turn = service.send(question)
    turn.wait()
    warm = turn.generation.stats
    new_tokens = engine.run_on_owner(lambda llm: len(llm.tokenize(question.encode("utf-8"))))
    progress("the same history evaluated cold")
    _cold(engine)
    cold = engine.generate(chat_messages(service.system_prompt, service.transcript()[:-1]),
                           service.settings)
    cold.wait()
    return {"ttft_turn1_s": firsts[0], "ttft_turn20_s": firsts[-1],
            "rewind_tokens_evaluated": warm.prompt_evaluated, "rewind_s": warm.prompt_seconds,
            "cold_reeval_s": cold.stats.prompt_seconds, "rewind_new_tokens": new_tokens}


def speeds(engine: LlamaEngine, tokens: int, rounds: int) -> dict[str, Any]:
    """Raw loop, engine and headless TUI, interleaved rounds times: the medians, each run,
    and the medians of each round's ratios to the raw loop."""
    from tui.bench.tui_driver import tui_tok_s

    runs: dict[str, list[float]] = {"raw": [], "engine": [], "tui": []}
    ui_cpu: list[float] = []
    for round_ in range(1, rounds + 1):
        progress(f"raw loop, engine and TUI, round {round_} of {rounds}")
        runs["raw"].append(raw_tok_s(engine, tokens))
        runs["engine"].append(engine_tok_s(engine, tokens))
        speed, cpu = tui_tok_s(_service(engine, tokens), PROMPT)
        runs["tui"].append(speed)
        ui_cpu.append(cpu)
    result: dict[str, Any] = {f"{name}_tok_s": statistics.median(values)
                              for name, values in runs.items()}
    result.update({f"{name}_runs": [round(v, 1) for v in values] for name, values in runs.items()})
    result["tui_ui_thread_cpu_pct"] = 100 * statistics.median(ui_cpu)
    # Each round's ratios, then their median: the machine's speed drifts between rounds
    # (±10 % here), and a ratio within a round cancels most of that.
    for name in ("engine", "tui"):
        result[f"{name}_ratio"] = statistics.median(
            value / raw if raw else float("nan") for value, raw in zip(runs[name], runs["raw"]))
    return result


def run_bench(model: Path, turns: int = 20, presses: int = 200, tokens: int = 256,
              threads: int | None = None, export_count: int = 10_000,
              rounds: int = 3) -> dict[str, Any]:
    """Every measurement on one model and one thread count; the app's start-up and memory
    in a fresh process of its own, as a user starts it."""
    from tui.bench.startup import measure_app
    from tui.bench.tui_driver import export_seconds, measure_key_latency

    threads = threads or os.cpu_count() or 1
    previous = os.environ.get("COALIGN_HOME")
    with tempfile.TemporaryDirectory() as home:
        os.environ["COALIGN_HOME"] = home
        try:
            progress(f"model load ({model.name}, {threads} threads)")
            engine = LlamaEngine(model, n_ctx=4096, n_threads=threads, seed=1)
            engine.wait_loaded()
            try:
                result: dict[str, Any] = speeds(engine, tokens, rounds)
                progress(f"{presses} key presses while an answer streams")
                result.update(measure_key_latency(_service(engine, tokens), PROMPT, presses))
                progress("prompt evaluation")
                result["prompt_tok_s"] = prompt_tok_s(engine)
                progress(f"a {turns}-turn conversation")
                result.update(conversation(engine, turns))
            finally:
                engine.close()
            progress("start-up, one answer and peak memory of coalign in a terminal")
            result.update(measure_app(model, threads))
            progress(f"export of {export_count} diary entries")
            result["export_10k_s"] = export_seconds(export_count)
        finally:
            if previous is None:
                os.environ.pop("COALIGN_HOME", None)
            else:
                os.environ["COALIGN_HOME"] = previous
    result["bench_process_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    result["model_mb"] = model.stat().st_size / 1e6
    result.update(threads=threads, turns=turns, presses=presses, rounds=rounds, model=str(model))
    return result


TARGETS: list[tuple[str, str, Callable[[dict[str, Any]], bool]]] = [
    ("TUI >= 97% of the raw loop", "tui_ratio", lambda r: r["tui_ratio"] >= 0.97),
    ("no history re-evaluated after rewind", "rewind_tokens_evaluated",
     lambda r: r["rewind_tokens_evaluated"] <= r["rewind_new_tokens"] + 16),
    ("turn-N first token <= 1.2x turn 1", "ttft_turn20_s",
     lambda r: r["ttft_turn20_s"] <= 1.2 * r["ttft_turn1_s"]),
    ("key latency p99 < 50 ms", "key_latency_p99_ms", lambda r: r["key_latency_p99_ms"] < 50),
    ("start-up < 1 s", "startup_s", lambda r: r["startup_s"] < 1),
    ("RSS <= model + 200 MB", "peak_rss_mb", lambda r: r["peak_rss_mb"] <= r["model_mb"] + 200),
    ("export of 10,000 entries < 2 s", "export_10k_s", lambda r: r["export_10k_s"] < 2),
]


def table(result: dict[str, Any]) -> list[str]:
    """The measurements, the ratios to the raw loop, and each issue-6 target's verdict."""
    lines = [f"model {result['model']}  ({result['threads']} threads, {result['turns']} turns, "
             f"{result['presses']} presses, median of {result['rounds']} interleaved rounds)"]
    skip = {"model", "threads", "turns", "presses", "rounds"}
    for key, value in result.items():
        if key in skip:
            continue
        if isinstance(value, float):
            lines.append(f"  {key:<24} {value:>10.3f}")
        elif isinstance(value, list):
            lines.append(f"  {key:<24} {'  '.join(str(v) for v in value):>10}")
        else:
            lines.append(f"  {key:<24} {value:>10}")
    lines.append("targets (issue 6):")
    for label, _key, holds in TARGETS:
        lines.append(f"  {'ok  ' if holds(result) else 'MISS'} {label}")
    return lines


def main(model: Path | None, as_json: bool, turns: int, presses: int) -> int:
    """Run the benchmark and print a table, or one JSON object with as_json."""
    from tui.engine.model_files import bundled_model
    from tui.errors import CoalignError

    if model is None:
        choice = bundled_model()
        if choice is None or not choice.exists:
            raise CoalignError("no bundled model; pass --model PATH")
        model = choice.path
    result = run_bench(Path(model), turns=turns, presses=presses)
    print(json.dumps(result) if as_json else "\n".join(table(result)))
    return 0

"""`coalign bench`: generation, prompt, prefix-reuse, UI-latency, start-up and export speed."""

from __future__ import annotations

import json
import os
import resource
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tui.alignment.conversation import chat_messages
from tui.alignment.store import Store
from tui.engine.base import SamplingSettings
from tui.engine.llama import LlamaEngine
from tui.service import ChatService

PROMPT = "Write a long essay about the history of bridges."
SYSTEM = "You are a research assistant."
TOPICS = ["bridges", "rivers", "archives", "surveys", "interviews", "maps", "ethics boards",
          "sampling", "coding schemes", "field notes", "consent forms", "replication", "datasets",
          "citations", "peer review", "workshops", "diaries", "metaphors", "values", "trade-offs"]
REWIND = 5


def progress(text: str) -> None:
    print(f"measuring {text}…", file=sys.stderr, flush=True)


def _service(engine: LlamaEngine, max_tokens: int, system: str = "") -> ChatService:
    settings = SamplingSettings(temperature=0.0, max_tokens=max_tokens, seed=1)
    return ChatService(Store(":memory:"), engine, settings, system)


def raw_tok_s(engine: LlamaEngine, tokens: int) -> float:
    """Greedy decoding straight on the engine's llama_cpp.Llama: the physical reference."""
    def loop(llm: Any) -> float:
        stamps: list[float] = []
        stream = llm.generate(llm.tokenize(PROMPT.encode("utf-8")), temp=0.0, reset=True)
        for _token in stream:
            stamps.append(time.perf_counter())
            if len(stamps) >= tokens:
                break
        stream.close()
        return (len(stamps) - 1) / (stamps[-1] - stamps[0]) if len(stamps) > 1 else 0.0

    return engine.run_on_owner(loop)


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


def run_bench(model: Path, turns: int = 20, presses: int = 200, tokens: int = 128,
              threads: int | None = None, export_count: int = 10_000) -> dict[str, Any]:
    """Every measurement in one process, on one model and one thread count."""
    from tui.bench_tui import export_seconds, measure_tui, startup_seconds

    threads = threads or os.cpu_count() or 1
    previous = os.environ.get("COALIGN_HOME")
    with tempfile.TemporaryDirectory() as home:
        os.environ["COALIGN_HOME"] = home
        try:
            progress(f"model load ({model.name}, {threads} threads)")
            engine = LlamaEngine(model, n_ctx=4096, n_threads=threads, seed=1)
            engine.wait_loaded()
            try:
                progress("raw loop")
                result: dict[str, Any] = {"raw_tok_s": raw_tok_s(engine, tokens)}
                progress("engine + ChatService")
                turn = _service(engine, tokens).send(PROMPT)
                turn.wait()
                result["engine_tok_s"] = turn.generation.stats.tokens_per_second
                progress(f"headless TUI and {presses} key presses")
                result.update(measure_tui(_service(engine, tokens), PROMPT, presses))
                progress("prompt evaluation")
                result["prompt_tok_s"] = prompt_tok_s(engine)
                progress(f"a {turns}-turn conversation")
                result.update(conversation(engine, turns))
            finally:
                engine.close()
            progress("start-up in a fresh process")
            result["startup_s"] = startup_seconds(model)
            progress(f"export of {export_count} diary entries")
            result["export_10k_s"] = export_seconds(export_count)
        finally:
            if previous is None:
                os.environ.pop("COALIGN_HOME", None)
            else:
                os.environ["COALIGN_HOME"] = previous
    result["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    result["model_mb"] = model.stat().st_size / 1e6
    result.update(threads=threads, turns=turns, presses=presses, model=str(model))
    raw = result["raw_tok_s"] or float("nan")
    result["engine_ratio"] = result["engine_tok_s"] / raw
    result["tui_ratio"] = result["tui_tok_s"] / raw
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
             f"{result['presses']} presses)"]
    skip = {"model", "threads", "turns", "presses"}
    for key, value in result.items():
        if key not in skip:
            lines.append(f"  {key:<24} {value:>10.3f}" if isinstance(value, float)
                         else f"  {key:<24} {value:>10}")
    lines.append("targets (issue 6):")
    for label, _key, holds in TARGETS:
        lines.append(f"  {'ok  ' if holds(result) else 'MISS'} {label}")
    return lines


def main(model: Path | None, as_json: bool, turns: int, presses: int) -> int:
    """Run the benchmark and print a table, or one JSON object with as_json."""
    from tui.errors import CoalignError
    from tui.models import bundled_model

    if model is None:
        choice = bundled_model()
        if choice is None or not choice.exists:
            raise CoalignError("no bundled model; pass --model PATH")
        model = choice.path
    result = run_bench(Path(model), turns=turns, presses=presses)
    print(json.dumps(result) if as_json else "\n".join(table(result)))
    return 0

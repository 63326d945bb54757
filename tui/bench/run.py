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
from tui.application.service import ChatService
from tui.bench import native
from tui.bench.resume import resume_times
from tui.bench.rounds import Native, Probes, measure
from tui.engine.base import SamplingSettings
from tui.engine.llama import THREAD_DEFAULTS, LlamaEngine
from tui.engine.thread_env import describe

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

    engine.restore_threads()  # not the one thread a contended round may have left it
    return engine.run_on_owner(loop)


def engine_tok_s(engine: LlamaEngine, tokens: int) -> float:
    """The same answer through ChatService and the engine, without a UI."""
    turn = _service(engine, tokens).send(PROMPT)
    turn.wait()
    return turn.generation.stats.tokens_per_second


def _cold(engine: LlamaEngine) -> None:
    engine.run_on_owner(lambda llm: llm.reset())  # forget the KV cache's prefix


def prompt_tok_s(engine: LlamaEngine) -> tuple[float, int]:
    """Prompt evaluation speed on a ~300-token prompt with nothing cached, and its tokens."""
    _cold(engine)
    text = " ".join(f"Note {n}: the survey of {TOPICS[n % len(TOPICS)]} was long."
                    for n in range(30))
    turn = _service(engine, 4).send(text)
    turn.wait()
    stats = turn.generation.stats
    speed = stats.prompt_evaluated / stats.prompt_seconds if stats.prompt_seconds else 0.0
    return speed, stats.prompt_evaluated


def prompt_depth(engine: LlamaEngine) -> int:
    """Tokens in the context when the bench prompt's answer starts (its chat template's)."""
    _cold(engine)
    turn = _service(engine, 2).send(PROMPT)
    turn.wait()
    return turn.generation.stats.prompt_evaluated


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


def speeds(engine: LlamaEngine, tokens: int, rounds: int, reference: Native | None = None,
           contended: bool = False) -> dict[str, Any]:
    """Native llama-bench (with reference), the raw loop, the engine, the headless TUI and
    prompt evaluation, interleaved rounds times (rounds.py): medians, runs and ratios."""
    from tui.bench.tui_driver import tui_tok_s

    probes = Probes(raw=lambda: raw_tok_s(engine, tokens),
                    engine=lambda: engine_tok_s(engine, tokens),
                    tui=lambda: tui_tok_s(_service(engine, tokens), PROMPT),
                    prompt=lambda: prompt_tok_s(engine), threads=lambda: engine.threads_in_use)
    return measure(probes, reference, tokens, rounds, contended, progress)


def run_bench(model: Path, turns: int = 20, presses: int = 200, tokens: int = 256,
              threads: int | None = None, export_count: int = 10_000,
              rounds: int = 3, native_binary: Path | None = None, contended: bool = False,
              history_tokens: int = 1000) -> dict[str, Any]:
    """Every measurement on one model and one thread count; the app's start-up and memory
    in a fresh process of its own, as a user starts it. With native_binary (llama-bench),
    the native reference in every round; with contended, each round again under load."""
    from tui.bench.startup import measure_app
    from tui.bench.tui_driver import export_seconds, measure_key_latency

    threads = threads or os.cpu_count() or 1
    previous = os.environ.get("COALIGN_HOME")
    with tempfile.TemporaryDirectory() as home:
        os.environ["COALIGN_HOME"] = home
        try:
            progress(f"model load ({model.name}, {threads} threads)")
            engine = LlamaEngine(model, n_ctx=4096, n_threads=threads, seed=1,
                                 state_dir=Path(home) / "kv-cache")
            engine.wait_loaded()
            reference = (Native(native.check_binary(native_binary), model, threads,
                                prompt_depth(engine)) if native_binary else None)
            try:
                result: dict[str, Any] = speeds(engine, tokens, rounds, reference, contended)
                if reference is not None:  # native tg starts after as many tokens
                    result["native_tg_depth"] = reference.depth
                progress(f"{presses} key presses while an answer streams")
                result.update(measure_key_latency(_service(engine, tokens), PROMPT, presses))
                if contended:
                    progress(f"{presses} key presses with a CPU-bound process on core 0")
                    with native.contention():
                        latency = measure_key_latency(_service(engine, tokens), PROMPT, presses)
                    result.update({f"contended_{k}": v for k, v in latency.items()})
                progress(f"a {turns}-turn conversation")
                result.update(conversation(engine, turns))
                result.update(resume_times(engine, history_tokens, progress=progress))
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
    result.update(threads=threads, turns=turns, presses=presses, rounds=rounds, model=str(model),
                  wait_policy=describe(os.environ, THREAD_DEFAULTS),
                  native=str(native_binary) if native_binary else "none (--native PATH)")
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


# issue 13: against native llama.cpp and on resume; "n/a" where this run did not measure it
NATIVE_TARGETS: list[tuple[str, str, Callable[[dict[str, Any]], bool]]] = [
    ("TUI >= 0.90x native llama-bench tg", "tui_native_ratio",
     lambda r: r["tui_native_ratio"] >= 0.90),
    ("TUI >= 0.90x native tg, both under contention", "contended_tui_native_ratio",
     lambda r: r["contended_tui_native_ratio"] >= 0.90),
    ("TUI >= 0.90x native on a thread fewer, under contention",
     "contended_tui_native_fewer_ratio", lambda r: r["contended_tui_native_fewer_ratio"] >= 0.90),
    ("key latency p99 < 50 ms under contention", "contended_key_latency_p99_ms",
     lambda r: r["contended_key_latency_p99_ms"] < 50),
    ("engine prompt >= 0.90x native pp", "prompt_native_ratio",
     lambda r: r["prompt_native_ratio"] >= 0.90),
    ("first token after resume <= 1.5x a warm turn's", "ttft_resume_s",
     lambda r: r["ttft_resume_s"] <= 1.5 * r["ttft_warm_s"]),
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
            lines.append(f"  {key:<30} {value:>10.3f}")
        elif isinstance(value, list):
            lines.append(f"  {key:<30} {'  '.join(str(v) for v in value):>10}")
        else:
            lines.append(f"  {key:<30} {value:>10}")
    lines.append("targets (issue 6):")
    for label, _key, holds in TARGETS:
        lines.append(f"  {'ok  ' if holds(result) else 'MISS'} {label}")
    lines.append("targets (issue 13):")
    for label, key, holds in NATIVE_TARGETS:
        verdict = "n/a " if key not in result else "ok  " if holds(result) else "MISS"
        lines.append(f"  {verdict} {label}")
    return lines


def main(model: Path | None, as_json: bool, turns: int, presses: int,
         diary: int | None = None, library: bool = False, native_binary: Path | None = None,
         contended: bool = False, rounds: int = 3, tokens: int = 256,
         threads: int | None = None) -> int:
    """Run the benchmark and print a table, or one JSON object with as_json; with diary,
    only the export of that many diary entries from folders on disk (tui/bench/diary.py)."""
    from tui.engine.model_files import bundled_model
    from tui.errors import CoalignError

    if diary is not None:
        from tui.bench.diary import main as diary_main

        return diary_main(diary, as_json)
    if library:  # only the library's index, queries and grounded first token (issue 16)
        from tui.bench.library import main as library_main

        return library_main(model, as_json)
    if model is None:
        choice = bundled_model()
        if choice is None or not choice.exists:
            raise CoalignError("no bundled model; pass --model PATH")
        model = choice.path
    result = run_bench(Path(model), turns=turns, presses=presses, tokens=tokens, rounds=rounds,
                       threads=threads, native_binary=native_binary, contended=contended)
    print(json.dumps(result) if as_json else "\n".join(table(result)))
    return 0

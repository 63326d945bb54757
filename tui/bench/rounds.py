"""Interleaved rounds: native llama-bench, llama-cpp-python's loop, the engine and the TUI.

The machine's speed drifts between rounds and within one (±10 % and more on a shared VM:
native runs a few seconds apart have differed by over 20 %), so every figure is taken once
per round, in the same order, and each ratio is taken within a round before the median
over rounds; native generation runs before the first generation probe and after each one,
so that each probe is compared with the native runs right before and right after it. With
contention, every round is run a second time while a CPU-bound process holds one core
(native.contention).
"""

from __future__ import annotations

import statistics
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tui.bench import native

# (figure, what it is divided by within a round, the ratio's key)
RATIOS = (("engine", "raw", "engine_ratio"), ("tui", "raw", "tui_ratio"),
          ("engine", "native_tg_engine", "engine_native_ratio"),
          ("tui", "native_tg_tui", "tui_native_ratio"),
          ("raw", "native_tg_raw", "raw_native_ratio"),
          ("prompt", "native_pp", "prompt_native_ratio"),
          ("tui", "native_fewer_tg", "tui_native_fewer_ratio"))


@dataclass(frozen=True)
class Native:
    """The llama-bench binary and what it is run on: generation starts after depth tokens,
    as the engine's answer starts after its prompt's."""

    binary: Path
    model: Path
    threads: int
    depth: int = 0

    def tg(self, tokens: int, threads: int | None = None) -> float:
        return native.run_llama_bench(self.binary, self.model, threads or self.threads,
                                      generate=tokens, depth=self.depth)

    def pp(self, tokens: int) -> float:
        return native.run_llama_bench(self.binary, self.model, self.threads, prompt=tokens)


@dataclass(frozen=True)
class Probes:
    """The in-process measurements of one round (each returns tokens/s)."""

    raw: Callable[[], float]
    engine: Callable[[], float]
    tui: Callable[[], tuple[float, float]]  # tokens/s and the UI thread's share of a core
    prompt: Callable[[], tuple[float, int]]  # tokens/s and how many prompt tokens
    threads: Callable[[], int | None] = lambda: None  # the engine's threads in use now


def one_round(probes: Probes, reference: Native | None, tokens: int,
              contended: bool = False) -> dict[str, float]:
    """Every figure once. Native generation runs before the raw loop, the engine and the
    TUI and again after each of them, and each one's reference (native_tg_<probe>) is the
    mean of the native runs right before and right after it: the machine as that probe
    found it, a linear drift cancelled. native_tg is the mean of all of them. Under
    contention also native on one thread fewer (what llama-bench does when told of the
    busy core: the best native reference there is), and no raw loop: without the engine's
    thread count it crawls there (0.3 tokens/s with one core taken, a 256-token run 15
    minutes) and the engine never runs it."""
    got: dict[str, float] = {}
    natives: list[float] = []
    if reference is not None:
        natives.append(reference.tg(tokens))
        if contended and reference.threads > 1:
            got["native_fewer_tg"] = reference.tg(tokens, reference.threads - 1)
    def tui() -> float:
        speed, got["ui_cpu"] = probes.tui()
        return speed

    # llama-cpp-python's loop keeps both threads on a taken core: no raw loop contended
    generation: list[tuple[str, Callable[[], float]]] = [] if contended else [
        ("raw", probes.raw)]
    for name, probe in generation + [("engine", probes.engine), ("tui", tui)]:
        got[name] = probe()
        if reference is not None:
            natives.append(reference.tg(tokens))
            got[f"native_tg_{name}"] = (natives[-2] + natives[-1]) / 2
    if (threads := probes.threads()) is not None:
        got["threads"] = threads
    if reference is not None:
        got["native_tg"] = statistics.mean(natives)
        got["native_tg_before"], got["native_tg_after"] = natives[0], natives[-1]
    got["prompt"], prompt_tokens = probes.prompt()
    if reference is not None:
        got["native_pp"] = reference.pp(prompt_tokens)
    return got


def summary(rounds: list[dict[str, float]], prefix: str = "") -> dict[str, Any]:
    """Medians, each run, and each round's ratios' median, keyed with prefix."""
    result: dict[str, Any] = {}
    for name in rounds[0]:
        values = [r[name] for r in rounds]
        if name == "ui_cpu":
            result[f"{prefix}tui_ui_thread_cpu_pct"] = 100 * statistics.median(values)
            continue
        if name == "threads":  # after the TUI's answer: what the engine settled on
            result[f"{prefix}threads_in_use"] = statistics.median(values)
            continue
        result[f"{prefix}{name}_tok_s"] = statistics.median(values)
        result[f"{prefix}{name}_runs"] = [round(v, 1) for v in values]
    for name, reference, key in RATIOS:
        if name in rounds[0] and reference in rounds[0]:
            result[f"{prefix}{key}"] = statistics.median(
                r[name] / r[reference] if r[reference] else float("nan") for r in rounds)
    return result


def measure(probes: Probes, reference: Native | None, tokens: int, count: int,
            contended: bool = False,
            progress: Callable[[str], None] = lambda _text: None) -> dict[str, Any]:
    """count interleaved rounds, idle (and under contention, each right after)."""
    idle: list[dict[str, float]] = []
    busy: list[dict[str, float]] = []
    for number in range(1, count + 1):
        progress(f"native, raw loop, engine and TUI, round {number} of {count}")
        idle.append(one_round(probes, reference, tokens))
        if contended:
            progress(f"the same with a CPU-bound process on core 0, round {number} of {count}")
            with native.contention():
                busy.append(one_round(probes, reference, tokens, contended=True))
    result = summary(idle)
    if busy:
        result.update(summary(busy, "contended_"))
    return result

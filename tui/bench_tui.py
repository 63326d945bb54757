"""Benchmark parts outside the engine: the headless TUI, cold start-up and diary export."""

from __future__ import annotations

import asyncio
import os
import random
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import replace
from pathlib import Path

from tui.service import ChatService

LETTER = "x"
VALUES = ("reliability", "honesty", "care", "autonomy", "cost", "privacy", "fairness")
WORDS = ("the", "model", "answer", "invented", "a", "source", "budget", "ignored", "tone",
         "summary", "paper", "trip", "regex", "proof", "letter", "thesis", "again")


def percentile(values: list[float], fraction: float) -> float:
    """The nearest-rank percentile of values (0 < fraction <= 1)."""
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, round(fraction * len(ordered)) - 1))]


async def _until(pilot: object, done: Callable[[], bool], timeout: float = 600.0) -> None:
    """Let the app process events until done() holds (or raise after timeout seconds)."""
    deadline = time.monotonic() + timeout
    while not done():
        if time.monotonic() > deadline:
            raise TimeoutError("the headless TUI did not reach the expected state")
        await pilot.pause(0.01)  # type: ignore[attr-defined]


async def _drive(service: ChatService, prompt: str, presses: int,
                 long_tokens: int) -> tuple[float, list[float]]:
    from textual.widgets import Input

    from tui.app import CoalignApp
    from tui.config import Config

    app = CoalignApp(service, Config(), [])
    async with app.run_test(size=(110, 32)) as pilot:
        chat = app.chat
        box = chat.query_one("#prompt", Input)

        async def send(text: str) -> None:
            box.value = text
            await pilot.press("enter")
            await _until(pilot, lambda: chat.busy or box.value == "")

        await send(prompt)
        await _until(pilot, lambda: not chat.busy)
        answer = service.last_answer()
        assert answer is not None
        tok_s = float(service.store.message(answer.id).meta["stats"]["tokens_per_second"])

        service.settings = replace(service.settings, max_tokens=long_tokens)
        service.new_session()
        await send(prompt)
        latencies: list[float] = []
        for count in range(1, presses + 1):
            started = time.perf_counter()
            await pilot.press(LETTER)
            await _until(pilot, lambda c=count: box.value.count(LETTER) >= c, 10.0)
            latencies.append((time.perf_counter() - started) * 1000)
        if chat.busy:
            chat.action_stop()
        await _until(pilot, lambda: not chat.busy)
    return tok_s, latencies


def measure_tui(service: ChatService, prompt: str, presses: int,
                long_tokens: int = 4096) -> dict[str, float]:
    """tui_tok_s from the stored stats, and key latency percentiles while an answer streams."""
    runner: Awaitable[tuple[float, list[float]]] = _drive(service, prompt, presses, long_tokens)
    tok_s, latencies = asyncio.run(runner)
    return {"tui_tok_s": tok_s, "key_latency_p50_ms": percentile(latencies, 0.50),
            "key_latency_p99_ms": percentile(latencies, 0.99)}


STARTUP = """
import sys
import tui.app
from tui.bootstrap import start
start({"model": sys.argv[1]}).service.engine.wait_loaded()
"""


def startup_seconds(model: Path) -> float:
    """Wall time for a fresh interpreter to import the app, start up and load the model."""
    with tempfile.TemporaryDirectory() as home:
        env = {**os.environ, "COALIGN_HOME": home}
        started = time.perf_counter()
        subprocess.run([sys.executable, "-c", STARTUP, str(model)], env=env, check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        return time.perf_counter() - started


def diary_entries(count: int, seed: int = 1) -> list:
    """Entries like a real study's: 40 participants, prompts, ~120-word answers, marks."""
    from tui.alignment.diary import DiaryEntry

    rng = random.Random(seed)

    def text(n: int) -> str:
        return " ".join(rng.choice(WORDS) for _ in range(n)).capitalize() + "."

    entries = []
    for n in range(count):
        prompt, answer = text(30), text(120) + "\nSecond line, with a comma."
        day = f"2026-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}T10:{n % 60:02d}:00Z"
        entries.append(DiaryEntry(
            misaligned_response=answer, initial_prompting=prompt, intuitive_intervention=text(15),
            final_outcome=rng.choice(("aligned", "partly", "misaligned", "")),
            outcome_note=text(10), values_at_risk=rng.sample(VALUES, rng.randint(0, 3)),
            interventions=[{"kind": "mark", "at": day, "detail": "invalid"}],
            marks=[{"validity": "invalid", "understanding": "misunderstood", "reason": text(8)}],
            profile={"name": "lab", "source": "git", "commit": "abc123"}, model="bench",
            session_id=str(n // 5), message_ids=[2 * n, 2 * n + 1],
            transcript=[{"role": "user", "content": prompt},
                        {"role": "assistant", "content": answer}],
            pseudonym=f"participant-{n % 40}", consent=n % 50 != 0, created_at=day))
    return entries


def export_seconds(count: int = 10_000) -> float:
    """Seconds for run_export to write count generated entries as CSV."""
    from tui.alignment.export import run_export

    entries = diary_entries(count)
    with tempfile.TemporaryDirectory() as folder:
        started = time.perf_counter()
        run_export(entries, "csv", Path(folder) / "diary.csv")
        return time.perf_counter() - started

"""Benchmark parts outside the engine: the headless TUI, cold start-up and diary export."""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Callable
from dataclasses import replace
from functools import partial
from typing import TYPE_CHECKING

from tui.application.service import ChatService

if TYPE_CHECKING:
    from tui.screens.app import CoalignApp

LETTER = "x"
TYPING_INTERVAL = 0.08  # seconds between key presses: a fast typist
VALUES = ("reliability", "honesty", "care", "autonomy", "cost", "privacy", "fairness")
WORDS = ("the", "model", "answer", "invented", "a", "source", "budget", "ignored", "tone",
         "summary", "paper", "trip", "regex", "proof", "letter", "thesis", "again")


def percentile(values: list[float], fraction: float) -> float:
    """The nearest-rank percentile of values (0 < fraction <= 1)."""
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, round(fraction * len(ordered)) - 1))]


async def _until(done: Callable[[], object], timeout: float = 600.0,
                 step: float = 0.1) -> None:
    """Wait until done() holds, looking every step seconds (or raise after timeout).

    Not Pilot.pause(): each of its calls posts a message to every widget and forces a
    screen update, which would add its own CPU to what is measured (so does a DOM query:
    done() should read attributes).
    """
    deadline = time.monotonic() + timeout
    while not done():
        if time.monotonic() > deadline:
            raise TimeoutError("the headless TUI did not reach the expected state")
        await asyncio.sleep(step)


def _type(app: CoalignApp, key: str, character: str | None = None) -> None:
    """Send a key the way a terminal's input thread does (Pilot.press also waits for the
    whole process to go idle, which never happens while the model generates)."""
    from textual import events

    event = events.Key(key, character)
    event.set_sender(app)
    driver = app._driver
    assert driver is not None, "the app is not running"
    driver.send_message(event)


async def _ask(app: CoalignApp, prompt: str, ended: asyncio.Event) -> None:
    """Type prompt into the chat's input, press Enter, and wait for the answer to end."""
    from tui.widgets.conversation import PromptInput

    chat = app.chat
    chat.query_one("#prompt", PromptInput).value = prompt
    ended.clear()
    _type(app, "enter")
    await ended.wait()
    await _until(lambda: not chat.busy, step=0.01)


async def _tui_speed(service: ChatService, prompt: str) -> tuple[float, float]:
    from tui.config import Config
    from tui.screens.app import CoalignApp
    from tui.widgets.conversation import AnswerView

    ended = asyncio.Event()

    def hook(message: object) -> None:  # sees every message the app dispatches
        if isinstance(message, AnswerView.Ended):
            ended.set()

    app = CoalignApp(service, Config(), [])
    async with app.run_test(size=(110, 32), message_hook=hook):
        cpu, wall = time.thread_time(), time.perf_counter()
        await _ask(app, prompt, ended)
        cpu, wall = time.thread_time() - cpu, time.perf_counter() - wall
    answer = service.last_answer()
    assert answer is not None
    return float(answer.meta["stats"]["tokens_per_second"]), cpu / wall


def tui_tok_s(service: ChatService, prompt: str) -> tuple[float, float]:
    """Generation speed of one answer asked through a headless TUI (the engine's own count),
    and the share of a core the UI thread used from Enter to the answer's end."""
    return asyncio.run(_tui_speed(service, prompt))


async def _key_latencies(service: ChatService, prompt: str, presses: int) -> list[float]:
    """Milliseconds from a key's arrival to the screen update that shows it, while a long
    answer streams; keys come at a typist's pace."""
    from tui.config import Config
    from tui.screens.app import CoalignApp
    from tui.widgets.conversation import AnswerView, PromptInput

    painted = asyncio.Event()

    def hook(message: object) -> None:  # sees every message the app dispatches
        # The prompt's text changes in its key handler, which then posts Changed;
        # call_after_refresh runs once the screen has been rendered after that.
        if isinstance(message, PromptInput.Changed):
            message.text_area.call_after_refresh(painted.set)

    app = CoalignApp(service, Config(), [])
    async with app.run_test(size=(110, 32), message_hook=hook):
        chat = app.chat

        async def streaming() -> None:  # ask (again): keys are timed while text streams
            await chat.run_turn(partial(service.send, prompt), prompt)
            answer = chat.query(AnswerView).last()
            await _until(lambda: answer.text or not chat.busy, step=0.01)

        await streaming()
        latencies: list[float] = []
        for _ in range(presses):
            if not chat.busy:
                await streaming()
            painted.clear()
            started = time.perf_counter()
            _type(app, LETTER, LETTER)
            await asyncio.wait_for(painted.wait(), 10)
            latencies.append((time.perf_counter() - started) * 1000)
            await asyncio.sleep(TYPING_INTERVAL)
        chat.action_stop()
        await _until(lambda: not chat.busy)
    return latencies


def measure_key_latency(service: ChatService, prompt: str, presses: int,
                        long_tokens: int = 4096) -> dict[str, float]:
    """Key latency percentiles while an answer streams (how long a key takes to show)."""
    service.settings = replace(service.settings, max_tokens=long_tokens)
    latencies = asyncio.run(_key_latencies(service, prompt, presses))
    return {"key_latency_p50_ms": percentile(latencies, 0.50),
            "key_latency_p99_ms": percentile(latencies, 0.99),
            "key_latency_max_ms": max(latencies)}


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
    """Seconds for the slowest format to export count entries read from 12 folders on disk,
    pseudonymised and redacted (tui/bench/diary.py; `coalign bench --diary N` shows all)."""
    from tui.bench.diary import slowest_export

    return slowest_export(count)[0]

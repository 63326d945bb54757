"""The engine runs fewer llama.cpp threads while other programs keep cores busy, and
answers the same: greedy tokens do not depend on the thread count."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import llama_cpp
import pytest

from tui.engine import thread_count
from tui.engine.base import SamplingSettings
from tui.engine.llama import LlamaEngine

pytestmark = pytest.mark.model

QUESTION = [{"role": "user", "content": "Name three rivers in Europe."}]
GREEDY = SamplingSettings(temperature=0.0, max_tokens=24, seed=1)


class BusyMachine:
    """/proc/stat as seen on 2 cores where another program holds one whenever busy."""

    def __init__(self) -> None:
        self.busy = self.total = 0
        self.others = 1.0
        self._own = thread_count.own_cpu_ticks()

    def __call__(self, _cores: set[int]) -> tuple[int, int]:
        # each look: 10 ticks of wall time per core; others' share, plus ours (os.times)
        own = thread_count.own_cpu_ticks()
        self.total += 20
        self.busy += round(10 * self.others) + round(own - self._own)
        self._own = own
        return self.busy, self.total


def answer(engine: LlamaEngine) -> str:
    engine.run_on_owner(lambda llm: llm.reset())
    generation = engine.generate(QUESTION, GREEDY)
    generation.wait()
    assert generation.error is None, generation.error
    return generation.text


def test_a_busy_core_is_given_up_and_the_answer_is_the_same(
        model_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    machine = BusyMachine()
    monkeypatch.setattr(thread_count, "read_busy_ticks", machine)
    monkeypatch.setattr(thread_count, "_usable_cores", lambda: {0, 1})
    engine = LlamaEngine(model_path, n_ctx=1024, n_threads=2, seed=1)
    try:
        engine.wait_loaded()
        machine.others = 0.0
        idle = answer(engine)
        assert engine.threads_in_use == 2
        machine.others = 1.0
        monkeypatch.setattr(thread_count, "LOOK_SECONDS", 0.0)  # look before each token
        busy = answer(engine)
        assert engine.threads_in_use == 1
        assert engine.run_on_owner(lambda llm: llama_cpp.llama_n_threads(llm.ctx)) == 1
        assert busy == idle
    finally:
        engine.close()


def test_adaptive_threads_off_keeps_the_count_as_set(
        model_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(thread_count, "read_busy_ticks", BusyMachine())
    monkeypatch.setattr(thread_count, "LOOK_SECONDS", 0.0)
    engine = LlamaEngine(model_path, n_ctx=1024, n_threads=2, seed=1, adaptive_threads=False)
    try:
        engine.wait_loaded()
        answer(engine)
        assert engine.threads_in_use == 2
        assert engine.run_on_owner(lambda llm: llama_cpp.llama_n_threads(llm.ctx)) == 2
    finally:
        engine.close()


def _niceness_of_threads() -> dict[int, int]:
    """This process's threads and their niceness (/proc/self/task/TID/stat, field 19)."""
    found = {}
    for task in Path("/proc/self/task").iterdir():
        fields = (task / "stat").read_text().rsplit(")", 1)[1].split()
        found[int(task.name)] = int(fields[16])
    return found


@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="Linux /proc only")
def test_the_engines_threads_yield_to_the_ui_thread(model_path: Path) -> None:
    main_before = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
    engine = LlamaEngine(model_path, n_ctx=1024, n_threads=2, seed=1)
    try:
        engine.wait_loaded()
        answer(engine)  # llama.cpp's own threads have started by now
        owner = engine.run_on_owner(lambda _llm: threading.get_native_id())
        niceness = _niceness_of_threads()
        assert niceness[owner] == thread_count.ENGINE_NICENESS
        assert sum(n == thread_count.ENGINE_NICENESS for n in niceness.values()) >= 2
        assert niceness[threading.get_native_id()] == main_before  # the UI's stays
    finally:
        engine.close()

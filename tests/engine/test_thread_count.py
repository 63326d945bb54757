"""Thread counts fitted to the cores other programs leave free (tui/engine/thread_count.py)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tui.engine import thread_count
from tui.engine.thread_count import CoreLoad, ThreadGovernor, read_busy_ticks, threads_for

STAT = """cpu  500 0 500 9000 0 0 0 0 0 0
cpu0 200 0 300 4000 100 0 0 0 0 0
cpu1 300 0 200 5000 0 0 0 0 0 0
intr 12345
"""


@pytest.mark.parametrize(("others", "most", "cores", "expected"), [
    (0.0, 2, 2, 2), (0.2, 2, 2, 2), (0.5, 2, 2, 1), (1.0, 2, 2, 1), (2.0, 2, 2, 1),
    (3.0, 8, 16, 8), (9.5, 16, 16, 6), (0.0, 1, 2, 1),
])
def test_threads_leave_the_cores_others_keep_busy(others, most, cores, expected) -> None:
    assert threads_for(others, most, cores) == expected


def test_busy_ticks_are_read_for_the_usable_cores_only(tmp_path: Path) -> None:
    stat = tmp_path / "stat"
    stat.write_text(STAT)
    assert read_busy_ticks({0}, stat) == (500, 4600)  # iowait counts as idle
    assert read_busy_ticks({0, 1}, stat) == (1000, 10100)
    assert read_busy_ticks({0}, tmp_path / "missing") is None


class Ticks:
    """A machine whose cores' busy ticks and this process's CPU ticks the test moves on."""

    def __init__(self) -> None:
        self.busy = self.total = 0
        self.own = 0.0

    def advance(self, seconds: float, others: float, own: float, cores: int = 2) -> None:
        self.total += int(100 * seconds * cores)
        self.busy += int(100 * seconds * (others + own))
        self.own += 100 * seconds * own


def test_the_load_leaves_out_this_processes_own_threads() -> None:
    ticks = Ticks()
    load = CoreLoad({0, 1}, lambda _cores: (ticks.busy, ticks.total), lambda: ticks.own)
    ticks.advance(1.0, others=0.0, own=2.0)  # our own two threads: not a busy machine
    assert load.others_busy() == pytest.approx(0.0)
    ticks.advance(0.5, others=1.0, own=1.0)
    assert load.others_busy() == pytest.approx(1.0)
    assert load.others_busy() is None  # no time went by: nothing to tell


def test_the_governor_gives_a_busy_core_up_and_takes_it_back() -> None:
    ticks, now, applied = Ticks(), [0.0], []
    load = CoreLoad({0, 1}, lambda _cores: (ticks.busy, ticks.total), lambda: ticks.own)
    governor = ThreadGovernor(2, 2, lambda threads, batch: applied.append((threads, batch)),
                              load, clock=lambda: now[0])
    ticks.advance(1.0, others=0.0, own=2.0)
    governor.pace()
    assert applied == [] and governor.current == 2
    ticks.advance(0.1, others=1.0, own=1.0)
    now[0] += thread_count.LOOK_SECONDS / 2
    governor.pace()  # too soon to look again
    assert applied == []
    now[0] += thread_count.LOOK_SECONDS
    governor.pace()
    assert applied == []  # one look may have caught a burst
    ticks.advance(0.1, others=1.0, own=1.0)
    now[0] += thread_count.LOOK_SECONDS
    governor.pace()
    assert applied == [(1, 1)] and governor.current == 1
    ticks.advance(0.5, others=0.05, own=1.0)
    now[0] += thread_count.LOOK_SECONDS
    governor.pace()
    assert applied == [(1, 1), (2, 2)]


def test_restore_gives_back_the_threads_a_busy_look_took() -> None:
    ticks, applied = Ticks(), []
    load = CoreLoad({0, 1}, lambda _cores: (ticks.busy, ticks.total), lambda: ticks.own)
    governor = ThreadGovernor(2, 2, lambda threads, batch: applied.append((threads, batch)),
                              load, clock=iter(range(100)).__next__)
    for _look in range(2):
        ticks.advance(0.25, others=1.0, own=0.25)
        governor.pace()
    assert applied == [(1, 1)] and governor.current == 1
    governor.restore()  # e.g. before llama-cpp-python's own loop, which is not paced
    assert applied == [(1, 1), (2, 2)] and governor.current == 2
    ticks.advance(0.25, others=1.0, own=0.25)
    governor.pace()  # the next look starts afresh: one busy look keeps the threads
    assert applied == [(1, 1), (2, 2)]
    governor.restore()
    assert applied == [(1, 1), (2, 2)]  # nothing to give back


def test_prompt_threads_give_up_as_many_as_generation() -> None:
    ticks, applied = Ticks(), []
    load = CoreLoad(set(range(16)), lambda _cores: (ticks.busy, ticks.total), lambda: ticks.own)
    governor = ThreadGovernor(8, 16, lambda threads, batch: applied.append((threads, batch)),
                              load, clock=iter(range(100)).__next__)
    for _look in range(2):
        ticks.advance(1.0, others=10.0, own=0.0, cores=16)
        governor.pace()
    assert applied == [(6, 14)]


def test_a_burst_seen_by_one_look_keeps_the_threads() -> None:
    ticks, applied = Ticks(), []
    load = CoreLoad({0, 1}, lambda _cores: (ticks.busy, ticks.total), lambda: ticks.own)
    governor = ThreadGovernor(2, 2, lambda threads, batch: applied.append(threads), load,
                              clock=iter(range(100)).__next__)
    for others in (0.0, 0.4, 0.0, 0.5, 0.1):
        ticks.advance(0.25, others=others, own=1.5)
        governor.pace()
    assert applied == [] and governor.current == 2


@pytest.mark.skipif(len(getattr(os, "sched_getaffinity", lambda _pid: {0})(0)) < 2
                    or not Path("/proc/stat").exists(), reason="needs two cores and /proc/stat")
def test_a_real_busy_process_is_seen_on_the_machines_cores() -> None:
    cores = sorted(os.sched_getaffinity(0))[:2]
    busy = f"import os\nos.sched_setaffinity(0, {{{cores[0]}}})\nwhile True:\n    pass\n"
    hog = subprocess.Popen([sys.executable, "-c", busy])
    try:
        load, seen = CoreLoad(set(cores)), 0.0
        deadline = time.monotonic() + 30
        while seen < 0.7 and time.monotonic() < deadline:  # until a whole look sees it
            time.sleep(0.3)
            seen = load.others_busy() or 0.0
        assert seen >= 0.7
        assert threads_for(seen, 2, 2) == 1
    finally:
        hog.kill()
        hog.wait()

"""How many threads llama.cpp should use now: fewer while other programs keep cores busy.

llama.cpp's threads meet at a barrier after every operation of every layer, so a token
takes as long as its slowest thread. A thread that shares a core with another busy
program gets half of that core, and makes the whole token wait for it: on 2 cores, with
one core taken, 2 threads gave 5-42 tokens/s and 1 thread 60 (`coalign bench --native
PATH --contention`). So while an answer is generated, the engine looks every
LOOK_SECONDS at how much of each core other processes used (Linux's /proc/stat, less
this process's own CPU time) and runs on the cores left, never more than the `threads`
setting, never fewer than one (yield_to_the_ui: they also run at a lower priority than
the UI thread). It gives a core up only when two looks in a row find it
taken (one look can catch a burst of background work: a clock tick's rounding is 0.04 of
a core), and takes it back at the first look that finds it free. Elsewhere (no
/proc/stat) the count stays as set.
"""

from __future__ import annotations

import math
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path

LOOK_SECONDS = 0.25  # how often the load is looked at while an answer is generated
# A core counts as taken once others use this much of it: a thread sharing it loses more
# at the barriers than it adds. Below it, background noise (a terminal, a clock) is left.
TAKEN_FROM = 0.3
# The engine's threads run at this niceness (the UI's stays 0): a key press or a frame
# then takes the core at once instead of sharing it. On an idle machine this costs nothing
# (nothing else wants the cores); with one core taken it kept key latency p99 at 30-46 ms
# against 41-84 ms at 0, generation unchanged (on its own core, see above).
ENGINE_NICENESS = 10
STAT = Path("/proc/stat")
TICKS_PER_SECOND = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def yield_to_the_ui() -> None:
    """Lower this thread's priority by ENGINE_NICENESS (Linux: per thread; the threads
    llama.cpp starts from it inherit it), where it was not lowered already."""
    if not hasattr(os, "setpriority") or not hasattr(threading, "get_native_id"):
        return
    thread = threading.get_native_id()
    try:
        now = os.getpriority(os.PRIO_PROCESS, thread)
        if now < ENGINE_NICENESS:
            os.setpriority(os.PRIO_PROCESS, thread, ENGINE_NICENESS)
    except OSError:  # not allowed here: the engine runs as it is
        return


def threads_for(others_busy: float, most: int, cores: int) -> int:
    """Threads to run when other processes keep others_busy cores busy (most at most)."""
    taken = max(0, math.ceil(others_busy - TAKEN_FROM))
    return max(1, min(most, cores - taken))


def _usable_cores() -> set[int]:
    try:
        return set(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return set(range(os.cpu_count() or 1))


def read_busy_ticks(cores: set[int], stat: Path = STAT) -> tuple[int, int] | None:
    """(busy, all) clock ticks of the given cores since boot; None where /proc/stat is not."""
    try:
        lines = stat.read_text(encoding="ascii").splitlines()
    except (OSError, UnicodeDecodeError):
        return None
    busy = total = 0
    for line in lines:
        name, _, rest = line.partition(" ")
        if not name.startswith("cpu") or name == "cpu" or not name[3:].isdigit():
            continue
        if int(name[3:]) not in cores:
            continue
        # user nice system idle iowait irq softirq steal (guest time is in user already)
        ticks = [int(field) for field in rest.split()[:8]]
        if len(ticks) < 8:
            return None
        idle = ticks[3] + ticks[4]
        busy += sum(ticks) - idle
        total += sum(ticks)
    return (busy, total) if total else None


def own_cpu_ticks() -> float:
    """This process's CPU time, all threads, in clock ticks."""
    times = os.times()
    return (times.user + times.system) * TICKS_PER_SECOND


class CoreLoad:
    """How many cores other processes kept busy between one look and the next."""

    def __init__(self, cores: set[int] | None = None,
                 busy_ticks: Callable[[set[int]], tuple[int, int] | None] | None = None,
                 own_ticks: Callable[[], float] = own_cpu_ticks) -> None:
        self.cores = cores if cores is not None else _usable_cores()
        self._busy_ticks = busy_ticks or read_busy_ticks
        self._own_ticks = own_ticks
        self._last = self._sample()

    def _sample(self) -> tuple[int, int, float] | None:
        ticks = self._busy_ticks(self.cores)
        return None if ticks is None else (*ticks, self._own_ticks())

    def others_busy(self) -> float | None:
        """Cores' worth of CPU others used since the last look (None: cannot tell)."""
        now, last = self._sample(), self._last
        self._last = now
        if now is None or last is None or now[1] <= last[1]:
            return None
        per_core = (now[1] - last[1]) / len(self.cores)  # ticks of wall time
        others = (now[0] - last[0]) - (now[2] - last[2])
        return max(0.0, others / per_core)


class ThreadGovernor:
    """Keeps llama.cpp's thread count fitted to the cores free now (see the module)."""

    def __init__(self, most: int, batch: int, apply: Callable[[int, int], None],
                 load: CoreLoad | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        """most: generation's threads as set; batch: prompt evaluation's; apply(threads,
        batch threads) sets them (llama_set_n_threads)."""
        self.most, self.batch = most, batch
        self.current = most
        self._wanted = most  # what the previous look found room for
        self._apply, self._clock = apply, clock
        self._load = load if load is not None else CoreLoad()
        self._next_look = 0.0

    def pace(self) -> None:
        """Before an evaluation: look at the load if it is time, and change the count."""
        now = self._clock()
        if now < self._next_look:
            return
        self._next_look = now + LOOK_SECONDS
        others = self._load.others_busy()
        if others is None:
            return
        found = threads_for(others, self.most, len(self._load.cores))
        wanted, self._wanted = max(found, self._wanted), found  # fewer: two looks agree
        if wanted != self.current:  # prompt evaluation gives up as many threads
            self._apply(wanted, max(wanted, self.batch - (self.most - wanted)))
            self.current = wanted

    def restore(self) -> None:
        """Back to the threads as set, until the next look: for work that is not paced,
        such as llama-cpp-python's own loop, which would keep the fewer threads of the last
        busy look however free the cores are now."""
        if self.current != self.most:
            self._apply(self.most, self.batch)
            self.current = self.most
        self._wanted, self._next_look = self.most, 0.0

"""Pausing engagement (P11, P12, §9.1): stepping away from the model is a choice, recorded."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass

from tui.errors import ActionRefused

MAX_PAUSE_MINUTES = 7 * 24 * 60


class PausedError(ActionRefused):
    """The user paused engagement; the message says how to resume."""


@dataclass
class Pause:
    """Engagement paused since `started`, until `until` (None: until resumed), and why."""

    started: float
    until: float | None = None
    why: str = ""

    def active(self, now: float) -> bool:
        return self.until is None or now < self.until

    def describe(self, now: float) -> str:
        if self.until is None:
            left = "until you resume"
        else:
            left = f"{max(1, math.ceil((self.until - now) / 60))} more minute(s)"
        return f"paused ({left})" + (f": {self.why}" if self.why else "")


class Engagement:
    """Whether the model may be used now; pauses end by resuming or by running out."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self.clock = clock
        self.pause_state: Pause | None = None

    def pause(self, minutes: float | None = None, why: str = "") -> Pause:
        if minutes is not None and not 0 < minutes <= MAX_PAUSE_MINUTES:
            raise ActionRefused(f"pause takes a number of minutes from 1 to {MAX_PAUSE_MINUTES} "
                                "(a week), or none to pause until you resume")
        now = self.clock()
        self.pause_state = Pause(now, now + minutes * 60 if minutes else None, why.strip())
        return self.pause_state

    def resume(self) -> Pause | None:
        ended, self.pause_state = self.pause_state, None
        return ended

    @property
    def paused(self) -> Pause | None:
        """The pause in force, or None (an expired pause ends itself)."""
        if self.pause_state is not None and not self.pause_state.active(self.clock()):
            self.pause_state = None
        return self.pause_state

    def check(self) -> None:
        """Raise PausedError while paused."""
        if (state := self.paused) is not None:
            raise PausedError(f"{state.describe(self.clock())}; /resume to use the model again")


def parse_pause(arg: str) -> tuple[float | None, str]:
    """'/pause 20 too tired to judge' -> (20.0, 'too tired to judge'); no number: (None, …)."""
    first, _, rest = arg.strip().partition(" ")
    try:
        minutes = float(first)
    except ValueError:
        return None, arg.strip()
    if not math.isfinite(minutes):  # 'inf', 'nan': a number, but no length of time
        raise ActionRefused(f"/pause {first}: give minutes from 1 to {MAX_PAUSE_MINUTES}, "
                            "or no number to pause until you resume")
    return minutes, rest.strip()

"""Pausing and daily limits (P11, P12), kept in the store so every front end obeys them.

A pause taken in the TUI also holds `coalign chat` and `coalign ask` in another terminal;
so does today's deliberate override of the limits.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from tui.alignment.engagement import Engagement, Pause
from tui.alignment.profiles.schema import Profile
from tui.alignment.store import Store
from tui.alignment.text import strip_control
from tui.alignment.usage import LimitStatus, UsageTotals, closest_limit, start_of_today
from tui.errors import LimitReached

PAUSE_KEY = "pause"
OVERRIDE_KEY = "limits-overridden-on"


def today() -> str:
    return time.strftime("%Y-%m-%d")


class EngagementRules:
    """Whether the model may answer now: not while paused, not past a daily limit."""

    def __init__(self, store: Store, profile: Callable[[], Profile | None],
                 engagement: Engagement | None = None,
                 session: Callable[[], int | None] = lambda: None) -> None:
        self.store = store
        self.profile = profile
        self.session = session
        self.engagement = engagement or Engagement()

    @property
    def paused(self) -> Pause | None:
        """The pause in force, from any process (an expired pause ends itself)."""
        stored = self.store.state(PAUSE_KEY)
        self.engagement.pause_state = Pause(**stored) if stored else None
        state = self.engagement.paused
        if stored and state is None:  # its time ran out: it ends itself, recorded once
            self.store.set_state(PAUSE_KEY, None)
            self.store.add_event(self.session(), "resume", "time up")
        return state

    def pause(self, session_id: int | None, minutes: float | None, why: str) -> Pause:
        """Step away from the model; recorded as a non-engagement event."""
        state = self.engagement.pause(minutes, strip_control(why))
        self.store.set_state(PAUSE_KEY, {"started": state.started, "until": state.until,
                                         "why": state.why})
        detail = state.why + (f" ({minutes:g} min)" if minutes else "")
        self.store.add_event(session_id, "pause", detail.strip())
        return state

    def resume(self, session_id: int | None) -> bool:
        """End a pause; False when none was in force."""
        was_paused = self.paused is not None
        self.engagement.resume()
        self.store.set_state(PAUSE_KEY, None)
        if was_paused:
            self.store.add_event(session_id, "resume")
        return was_paused

    def usage_since(self, since: float) -> UsageTotals:
        totals = UsageTotals()
        for _at, _profile, stats in self.store.answer_stats(since):
            totals.add(stats)
        return totals

    def limit_status(self) -> LimitStatus | None:
        """Today's use against the profile's daily limits (None: it sets none)."""
        profile = self.profile()
        if profile is None:
            return None
        limits = profile.engagement
        return closest_limit(self.usage_since(start_of_today()), limits.daily_tokens,
                             limits.daily_requests, limits.daily_minutes)

    @property
    def overridden_today(self) -> bool:
        return bool(self.store.state(OVERRIDE_KEY) == today())

    def limit_blocks(self) -> LimitStatus | None:
        """The reached limit that stops the next request, unless overridden today."""
        status = self.limit_status()
        if status is None or not status.reached or self.overridden_today:
            return None
        return status

    def override(self, session_id: int | None) -> None:
        """Go on past today's limits: one deliberate choice, recorded."""
        self.store.set_state(OVERRIDE_KEY, today())
        self.store.add_event(session_id, "override-limits")

    def check(self) -> None:
        """Raise PausedError while paused, LimitReached past a daily limit."""
        if self.paused is not None:
            self.engagement.check()
        if (status := self.limit_blocks()) is not None:
            raise LimitReached(status.describe())

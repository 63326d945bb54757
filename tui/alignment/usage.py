"""Usage meter (P10) and daily limits (P12): tokens, requests, minutes, CPU time, energy.

Energy is an estimate, not a measurement: CPU seconds of the coalign process while it
generated, times WATTS_PER_BUSY_CORE. 15 W per busy core is a middle figure for laptop and
desktop x86 CPUs under load (package power divided by busy cores); it leaves out the GPU,
memory, screen and idle power, so treat the figure as an order of magnitude.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

WATTS_PER_BUSY_CORE = 15.0
NEAR_LIMIT = 0.8  # warn quietly from 80 % of a daily limit


@dataclass
class UsageTotals:
    """What a day (or a profile, or a participant) used."""

    requests: int = 0
    prompt_tokens: int = 0
    generated_tokens: int = 0
    seconds: float = 0.0
    cpu_seconds: float = 0.0

    @property
    def tokens(self) -> int:
        return self.prompt_tokens + self.generated_tokens

    @property
    def minutes(self) -> float:
        return self.seconds / 60

    @property
    def energy_wh(self) -> float:
        return self.cpu_seconds * WATTS_PER_BUSY_CORE / 3600

    def merge(self, other: UsageTotals) -> None:
        """Add another total into this one (a participant's day into a group, say)."""
        for name in USAGE_FIELDS:
            setattr(self, name, getattr(self, name) + getattr(other, name))

    def add(self, stats: dict[str, Any]) -> None:
        """Count one answer's stored stats (GenerationStats.as_dict())."""
        self.requests += 1
        self.prompt_tokens += int(stats.get("prompt_evaluated", 0))
        self.generated_tokens += int(stats.get("generated_tokens", 0))
        self.seconds += float(stats.get("prompt_seconds", 0)) + float(
            stats.get("generation_seconds", 0))
        self.cpu_seconds += float(stats.get("cpu_seconds", 0))


def start_of_today() -> float:
    """Local midnight as a timestamp: where 'daily' limits and usage begin."""
    return time.mktime(time.localtime()[:3] + (0, 0, 0, 0, 0, -1))


@dataclass(frozen=True)
class LimitStatus:
    """The daily limit closest to being reached."""

    kind: str  # "tokens" | "requests" | "minutes"
    used: float
    limit: float

    @property
    def ratio(self) -> float:
        return self.used / self.limit if self.limit else 0.0

    @property
    def reached(self) -> bool:
        return self.used >= self.limit

    @property
    def near(self) -> bool:
        return self.ratio >= NEAR_LIMIT

    def describe(self) -> str:
        return f"{self.used:.0f} of {self.limit:.0f} {self.kind} today ({self.ratio:.0%})"


def closest_limit(today: UsageTotals, tokens: int | None, requests: int | None,
                  minutes: int | None) -> LimitStatus | None:
    """The most used of the profile's daily limits, or None when it sets none."""
    statuses = [LimitStatus(kind, used, limit) for kind, used, limit in (
        ("tokens", today.tokens, tokens), ("requests", today.requests, requests),
        ("minutes", today.minutes, minutes)) if limit]
    return max(statuses, key=lambda status: status.ratio, default=None)


USAGE_FIELDS = ("requests", "prompt_tokens", "generated_tokens", "seconds", "cpu_seconds")


def usage_record(pseudonym: str, day: str, per_profile: dict[str, UsageTotals],
                 participant_id: str = "", machine: str = "") -> dict[str, Any]:
    """One participant-day of one machine's usage, as stored beside their diary in
    usage/<day>/<machine>.toml (counts only, no text): only that machine writes it, so
    two machines never conflict in git and a merge is never overwritten."""
    record: dict[str, Any] = {"schema": 1, "pseudonym": pseudonym, "day": day}
    if participant_id:
        record["participant_id"] = participant_id
    if machine:
        record["machine"] = machine
    record["profiles"] = {name: {f: getattr(t, f) for f in USAGE_FIELDS}
                          for name, t in sorted(per_profile.items())}
    return record


def totals_from_record(record: dict[str, Any]) -> dict[str, UsageTotals]:
    """Per-profile totals of a usage record (unknown or missing numbers count as 0)."""
    found = {}
    for name, numbers in (record.get("profiles") or {}).items():
        totals = UsageTotals()
        for key in USAGE_FIELDS:
            value = numbers.get(key, 0) if isinstance(numbers, dict) else 0
            setattr(totals, key, type(getattr(totals, key))(value) if isinstance(
                value, (int, float)) and not isinstance(value, bool) else 0)
        found[str(name)] = totals
    return found

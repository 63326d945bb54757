"""Marks on responses (P2): valid/invalid and understood/misunderstood, with a reason.

The two axes are independent; either may be unset. A mark lives in its message's
metadata, and each change is kept in a history so a study can see how judgements moved.
"""

from __future__ import annotations

import re
import time
from dataclasses import asdict, dataclass, field
from typing import Any

from tui.alignment.text import strip_control
from tui.errors import ActionRefused

VALIDITY = ("valid", "invalid")
UNDERSTANDING = ("understood", "misunderstood")
_TAG = re.compile(r"(?<!\S)#([\w-]+)")


@dataclass
class Mark:
    """A user's judgement of one response."""

    validity: str | None = None  # "valid" | "invalid"
    understanding: str | None = None  # "understood" | "misunderstood"
    reason: str = ""
    values_at_risk: list[str] = field(default_factory=list)
    marked_at: float = 0.0

    @property
    def calls_for_retry(self) -> bool:
        """Invalid or misunderstood answers get an offer to retry with the reason."""
        return self.validity == "invalid" or self.understanding == "misunderstood"

    @property
    def badge(self) -> str:
        """A short label such as 'invalid · misunderstood · #reliability'."""
        parts = [p for p in (self.validity, self.understanding) if p]
        parts += [f"#{value}" for value in self.values_at_risk]
        return " · ".join(parts)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> Mark | None:
        if not data:
            return None
        return cls(
            validity=data.get("validity"), understanding=data.get("understanding"),
            reason=str(data.get("reason", "")), values_at_risk=list(data.get("values_at_risk", [])),
            marked_at=float(data.get("marked_at", 0.0)),
        )


@dataclass(frozen=True)
class MarkChoice:
    """A whole mark as chosen in a form; None on an axis means 'not set'."""

    validity: str | None
    understanding: str | None
    reason: str
    values_at_risk: list[str]


class MarkError(ActionRefused):
    """A /mark command that cannot be understood; the message says the accepted form."""


MARK_USAGE = "usage: /mark valid|invalid|understood|misunderstood [reason] [#value …]"


def normalise_value(value: str) -> str:
    return strip_control(value).strip().lstrip("#").strip().lower().replace(" ", "-")


def parse_mark(arg: str) -> tuple[dict[str, str], str, list[str]]:
    """'/mark invalid misunderstood it is invented #reliability' -> (axes, reason, values)."""
    words = strip_control(arg).split()
    axes: dict[str, str] = {}
    while words and words[0].lower() in VALIDITY + UNDERSTANDING:
        word = words.pop(0).lower()
        axes["validity" if word in VALIDITY else "understanding"] = word
    if not axes:
        raise MarkError(MARK_USAGE)
    rest = " ".join(words)
    values = [normalise_value(tag) for tag in _TAG.findall(rest)]
    reason = " ".join(_TAG.sub("", rest).split())
    return axes, reason, values


def updated_mark(
    current: Mark | None,
    validity: str | None = None,
    understanding: str | None = None,
    reason: str | None = None,
    values_at_risk: list[str] | None = None,
) -> Mark:
    """The mark after a change: given fields replace, others stay ('' clears an axis)."""
    if validity and validity not in VALIDITY:
        raise MarkError(f"validity must be one of {', '.join(VALIDITY)}")
    if understanding and understanding not in UNDERSTANDING:
        raise MarkError(f"understanding must be one of {', '.join(UNDERSTANDING)}")
    base = current or Mark()
    values = base.values_at_risk if values_at_risk is None else values_at_risk
    return Mark(
        validity=(validity or None) if validity is not None else base.validity,
        understanding=(understanding or None) if understanding is not None else base.understanding,
        reason=strip_control(reason).strip() if reason is not None else base.reason,
        values_at_risk=sorted({normalise_value(v) for v in values if normalise_value(v)}),
        marked_at=time.time(),
    )


def retry_feedback(mark: Mark) -> str:
    """What the model is told when the user retries after marking an answer."""
    judged = " and ".join(p for p in (mark.validity, mark.understanding) if p)
    text = f"I marked your previous answer as {judged}."
    if mark.reason:
        text += f" What was wrong, in my words: {mark.reason}"
    if mark.values_at_risk:
        text += f" Values at risk: {', '.join(mark.values_at_risk)}."
    return text + " Please answer my question again, taking this into account."

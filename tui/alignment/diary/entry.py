"""One Misalignment Diary entry: the paper's four fields plus what the app knows."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field, fields
from datetime import datetime, timezone
from typing import Any

SCHEMA = 1
OUTCOMES = ("aligned", "partly", "misaligned")
EVENT_KINDS = ("rewind", "retry", "mark", "stop", "profile", "pause")
ID_PATTERN = re.compile(r"^\d{8}T\d{6}-[0-9a-f]{6}$")


class DiaryError(ValueError):
    """A diary entry or file that cannot be used; the message names the field and the fix."""


def now_iso() -> str:
    """The current UTC time as ISO 8601 with a Z, to the second."""
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def new_id(at: str | None = None) -> str:
    """A sortable unique id such as 20261127T101530-a3f9c2."""
    digits = "".join(ch for ch in (at or now_iso())[:19] if ch.isdigit()).ljust(14, "0")
    return f"{digits[:8]}T{digits[8:14]}-{secrets.token_hex(3)}"


@dataclass
class DiaryEntry:
    """A participant's record of one misaligned response and what they did about it."""

    misaligned_response: str
    initial_prompting: str = ""
    intuitive_intervention: str = ""
    final_outcome: str = ""  # "aligned" | "partly" | "misaligned" | ""
    outcome_note: str = ""
    values_at_risk: list[str] = field(default_factory=list)
    interventions: list[dict[str, str]] = field(default_factory=list)
    marks: list[dict[str, str]] = field(default_factory=list)
    profile: dict[str, str] = field(default_factory=dict)
    model: str = ""
    session_id: str = ""
    message_ids: list[int] = field(default_factory=list)
    transcript: list[dict[str, str]] = field(default_factory=list)
    pseudonym: str = ""  # the participant file's, stamped when written (never a real name)
    participant_id: str = ""  # the participant file's stable random id (participant.py)
    consent: bool = False  # as stamped when written; exports read the participant file
    id: str = ""
    created_at: str = ""
    updated_at: str = ""
    schema: int = SCHEMA

    def __post_init__(self) -> None:
        self.created_at = self.created_at or now_iso()
        self.updated_at = self.updated_at or self.created_at
        self.id = self.id or new_id(self.created_at)

    def __copy__(self) -> DiaryEntry:
        """A shallow copy, made without __init__ (copy.copy(entry) per exported entry)."""
        copied = object.__new__(type(self))
        copied.__dict__.update(self.__dict__)
        return copied

    def validate(self) -> DiaryEntry:
        """Return self, or raise DiaryError naming the first bad field and its fix."""
        problem = _problem(self)
        if problem:
            raise DiaryError(f"diary entry {self.id}: {problem}")
        return self

    def as_dict(self) -> dict[str, Any]:
        """Plain data for TOML/JSON; lists and tables are copied one level deep."""
        return {name: _copy(getattr(self, name)) for name in _FIELD_NAMES}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> DiaryEntry:
        """Build and validate an entry from plain data; unknown keys are an error."""
        if not _KNOWN.issuperset(data):
            unknown = sorted(data.keys() - _KNOWN)
            raise DiaryError(f"unknown field {unknown[0]}; remove it or check its spelling")
        if "misaligned_response" not in data:
            raise DiaryError("misaligned_response is missing; describe the response")
        try:
            entry = cls(**data)
        except TypeError as exc:
            raise DiaryError(f"cannot build an entry: {exc}") from None
        return entry.validate()

    @property
    def day(self) -> str:
        """The creation date, YYYY-MM-DD."""
        return self.created_at[:10]

    @property
    def profile_name(self) -> str:
        return str(self.profile.get("name", "")) if self.profile else ""


FIELD_NAMES = _FIELD_NAMES = tuple(f.name for f in fields(DiaryEntry))  # in as_dict() order
_KNOWN = frozenset(_FIELD_NAMES)


def _copy(value: Any) -> Any:
    if isinstance(value, list):
        return [dict(item) if isinstance(item, dict) else item for item in value]
    if isinstance(value, dict):
        return dict(value)
    return value


_OUTCOME_OR_NONE = OUTCOMES + ("",)
_TEXT = ("misaligned_response", "initial_prompting", "intuitive_intervention", "outcome_note",
         "model", "session_id", "pseudonym", "participant_id", "id", "created_at", "updated_at")


def _problem(entry: DiaryEntry) -> str | None:
    """The first thing wrong with an entry, as 'field: what; fix', or None."""
    for name in _TEXT:
        if not isinstance(getattr(entry, name), str):
            return f"{name} must be text; quote it"
    if not entry.misaligned_response.strip():
        return "misaligned_response is empty; describe the response that went wrong"
    if entry.schema != SCHEMA:
        return f"schema is {entry.schema!r}; this coalign reads schema {SCHEMA}"
    for name in ("created_at", "updated_at"):
        if not _is_iso(getattr(entry, name)):
            value = getattr(entry, name)
            return f"{name} {value!r} is not an ISO 8601 time; use 2026-11-27T10:15:30Z"
    if not ID_PATTERN.match(entry.id):
        return f"id {entry.id!r} is not like 20261127T101530-a3f9c2; let coalign make it"
    if entry.final_outcome not in _OUTCOME_OR_NONE:
        return f"final_outcome {entry.final_outcome!r} is unknown; use one of {', '.join(OUTCOMES)}"
    if not isinstance(entry.consent, bool):
        return "consent must be true or false; write it without quotes"
    if not all(isinstance(v, str) and v.strip() for v in entry.values_at_risk):
        return "values_at_risk has an empty or non-text item; remove it"
    if not all(isinstance(i, int) and not isinstance(i, bool) for i in entry.message_ids):
        return "message_ids must be whole numbers; remove the others"
    return _structured_problem(entry)


def _structured_problem(entry: DiaryEntry) -> str | None:
    for event in entry.interventions:
        if not isinstance(event, dict) or event.get("kind") not in EVENT_KINDS:
            return f"interventions has an unknown kind; use one of {', '.join(EVENT_KINDS)}"
    if not all(isinstance(m, dict) for m in entry.marks):
        return "marks has a non-table item; give validity, understanding, reason"
    if not isinstance(entry.profile, dict):
        return "profile is not a table; give name, source, commit"
    for turn in entry.transcript:
        if not isinstance(turn, dict) or not isinstance(turn.get("content"), str) \
                or turn.get("role") not in ("user", "assistant", "system"):
            return "transcript has a bad turn; give role (user/assistant/system) and content"
    return None


def _is_iso(text: str) -> bool:
    try:
        datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return False
    return True

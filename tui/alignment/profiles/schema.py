"""The value-profile data model (schema 1): goal, values, trade-offs, filters, prompts, limits."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

SCHEMA_VERSION = 1
DEFAULT_NAME = "neutral"


@dataclass
class Goal:
    """The alignment goal in the paper's sentence form, as its three blanks."""

    researchers: str = ""
    aim: str = ""
    characterised_by: str = ""

    @property
    def is_set(self) -> bool:
        return bool(self.researchers or self.aim or self.characterised_by)

    @property
    def sentence(self) -> str:
        """'We want an LLM that lets us, as … researchers, …, by supporting interactions …'."""
        if not self.is_set:
            return ""
        tail = self.characterised_by.rstrip(". ")
        interactions = tail if tail.startswith("that ") else f"that are characterised by {tail}"
        return (f"We want an LLM that lets us, as {self.researchers} researchers, {self.aim}, "
                f"by supporting interactions {interactions}.")


@dataclass
class Value:
    """One value slider: its weight from 0 to 1 and what it means here."""

    weight: float
    meaning: str = ""
    control_vector: str | None = None  # a cvector GGUF inside the profile's folder
    control_scale: float = 1.0  # the vector's strength at weight 1 (the slider scales it)


@dataclass
class Tradeoff:
    """A declared tension between two values and how to handle it."""

    between: tuple[str, str]
    note: str = ""


@dataclass
class Filters:
    """P6's filters and P5's compass: what sources and places to prefer."""

    years: tuple[int, int] | None = None
    languages: list[str] = field(default_factory=list)
    disciplines: list[str] = field(default_factory=list)
    regions: list[str] = field(default_factory=list)


@dataclass
class Sampling:
    """Sampling settings the profile asks for; None keeps the app's own."""

    temperature: float | None = None
    max_tokens: int | None = None
    top_p: float | None = None
    candidates: int | None = None  # answers to generate and score per prompt (best shown)


@dataclass
class NamedPrompt:
    """An entry of the shared prompt library (P12)."""

    name: str
    text: str
    description: str = ""


@dataclass
class Engagement:
    """Daily limits for the pause feature; None means no limit."""

    daily_tokens: int | None = None
    daily_requests: int | None = None
    daily_minutes: int | None = None


@dataclass
class Grounding:
    """Answers grounded in the researchers' own library (issue 16); None keeps the default."""

    enabled: bool | None = None  # None: off (`/ground on` turns it on for a session)
    passages: int | None = None  # passages given to the model (None: DEFAULT_PASSAGES)
    libraries: list[str] = field(default_factory=list)  # named libraries ([]: every one)


DEFAULT_PASSAGES = 4


@dataclass
class Profile:
    """A value profile; `name` is its file name (stem), never stored inside the file."""

    name: str = DEFAULT_NAME
    title: str = ""
    description: str = ""
    authors: list[str] = field(default_factory=list)
    goal: Goal = field(default_factory=Goal)
    values: dict[str, Value] = field(default_factory=dict)
    tradeoffs: list[Tradeoff] = field(default_factory=list)
    filters: Filters = field(default_factory=Filters)
    sampling: Sampling = field(default_factory=Sampling)
    prompts: list[NamedPrompt] = field(default_factory=list)
    engagement: Engagement = field(default_factory=Engagement)
    grounding: Grounding = field(default_factory=Grounding)
    schema: int = SCHEMA_VERSION


def _table(obj: Any, required: tuple[str, ...] = ()) -> dict[str, Any]:
    """A dataclass's fields without the unset (None / empty) ones, except required keys."""
    out = {}
    for key, value in vars(obj).items():
        if key not in required and (value is None or value == [] or value == ""):
            continue
        out[key] = list(value) if isinstance(value, tuple) else value
    return out


def _value_table(value: Value) -> dict[str, Any]:
    table = _table(value)
    if value.control_vector is None or value.control_scale == 1.0:
        table.pop("control_scale", None)  # the default, or meaningless without a vector
    return table


def to_data(profile: Profile) -> dict[str, Any]:
    """The TOML document for a profile (plain dicts and lists, unset keys left out)."""
    data: dict[str, Any] = {"schema": profile.schema}
    for key in ("title", "description", "authors"):
        if getattr(profile, key):
            data[key] = list(getattr(profile, key)) if key == "authors" else getattr(profile, key)
    sections: dict[str, Any] = {
        "goal": _table(profile.goal),
        "values": {name: _value_table(value) for name, value in profile.values.items()},
        "tradeoffs": [_table(tradeoff) for tradeoff in profile.tradeoffs],
        "filters": _table(profile.filters),
        "sampling": _table(profile.sampling),
        "prompts": [_table(prompt, ("name", "text")) for prompt in profile.prompts],
        "engagement": _table(profile.engagement),
        "grounding": _table(profile.grounding),
    }
    data.update((key, section) for key, section in sections.items() if section)
    return data


def humanise(value_name: str) -> str:
    """'care_for_participants' -> 'care for participants'."""
    return value_name.replace("_", " ").replace("-", " ")

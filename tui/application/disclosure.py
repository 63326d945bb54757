"""The model's own account of an answer: a second generation constrained to a JSON schema.

Asked on demand, cached on the answer (meta["disclosure"]), stoppable like any answer.
What comes back is the model's claim about itself, not a view into how it works.
"""

from __future__ import annotations

import json
import time
from dataclasses import replace
from typing import Any

from tui.alignment.conversation import Message, chat_messages
from tui.alignment.text import strip_control
from tui.application.service import ChatService
from tui.engine.base import Generation

FIELDS = {  # schema key -> the label the panel shows (§5.2.2: P1, P7, P5, P4)
    "reading_of_question": "How I read your question",
    "assumptions": "Assumptions I made",
    "perspective": "The perspective or tradition I answered from",
    "places_centred": "Places I centred",
    "periods_centred": "Periods I centred",
    "could_not_do": "What I could not do",
}
_LISTS = {"assumptions": 5, "places_centred": 6, "periods_centred": 6, "could_not_do": 4}
SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        key: ({"type": "array", "items": {"type": "string", "maxLength": 160},
               "maxItems": _LISTS[key]} if key in _LISTS
              else {"type": "string", "maxLength": 300})
        for key in FIELDS
    },
    "required": list(FIELDS),
}
QUESTION = (
    "Before we go on, describe how you produced your last answer. Reply only with JSON: "
    "reading_of_question (how you understood what I asked), assumptions (what you took for "
    "granted), perspective (the perspective, discipline or tradition you answered from), "
    "places_centred and periods_centred (the places and times your answer centres), and "
    "could_not_do (what you could not check, know or cover)."
)
MAX_TOKENS = 700


def messages_for(system_prompt: str | None, path: list[Message]) -> list[dict[str, str]]:
    """The conversation up to the answer, then the request for an account of it."""
    return [*chat_messages(system_prompt, path), {"role": "user", "content": QUESTION}]


def start(service: ChatService, answer: Message) -> Generation:
    """Ask the engine for the account of answer (a Generation to iterate or stop)."""
    system_prompt, settings = service.told()
    told = answer.meta.get("told") or {}
    system_prompt = told.get("system_prompt", system_prompt)
    settings = replace(settings, temperature=0.0, max_tokens=MAX_TOKENS, seed=7,
                       json_schema=json.dumps(SCHEMA))
    return service.engine.generate(messages_for(system_prompt, service.store.path_to(answer.id)),
                                   settings)


def problem_with(data: Any) -> str:
    """'' when data fits the schema, else what is wrong with it."""
    if not isinstance(data, dict):
        return "not a JSON object"
    for key in FIELDS:
        if key not in data:
            return f"no '{key}'"
        value = data[key]
        is_list = isinstance(value, list) and all(isinstance(item, str) for item in value)
        if (key in _LISTS and not is_list) or (key not in _LISTS and not isinstance(value, str)):
            return f"'{key}' has the wrong type"
    return ""


def record(generation: Generation) -> dict[str, Any]:
    """What to cache and show: the fields when valid, else the raw text and what is wrong."""
    raw = strip_control(generation.text)
    entry: dict[str, Any] = {"raw": raw, "at": time.time(), "valid": False, "fields": {}}
    if generation.error is not None:
        entry["problem"] = f"the engine failed: {strip_control(str(generation.error))}"
    elif generation.stopped:
        entry["problem"] = "stopped before the model finished"
        entry["stopped"] = True
    elif not raw.strip():
        entry["problem"] = "the model returned nothing"
    else:
        try:
            data = json.loads(raw)
        except json.JSONDecodeError as exc:
            entry["problem"] = f"not valid JSON ({exc.msg} at character {exc.pos})"
        except ValueError as exc:  # e.g. a number too long to convert
            entry["problem"] = f"not valid JSON ({exc})"
        else:
            entry["problem"] = problem_with(data)
            entry["valid"] = not entry["problem"]
            if entry["valid"]:
                entry["fields"] = {key: data[key] for key in FIELDS}
    return entry


def save(service: ChatService, answer: Message, generation: Generation) -> dict[str, Any]:
    """Record the account on the answer (a stopped one is shown but not cached)."""
    entry = record(generation)
    if not entry.get("stopped"):
        service.store.update_message(answer.id, meta={"disclosure": entry})
        answer.meta["disclosure"] = entry
    return entry


def lines(entry: dict[str, Any] | None) -> list[str]:
    """The section's text: labelled fields, or the raw output and why it is not valid."""
    if not entry:
        return ["Not asked yet. Press d (or /assumptions ask) to ask the model; it takes a "
                "second generation, which you can stop."]
    if not entry.get("valid"):
        shown = entry.get("raw", "").strip() or "(empty)"
        return [f"Invalid: {entry.get('problem', 'unknown problem')}. Raw output:", shown]
    out = []
    for key, label in FIELDS.items():
        value = entry["fields"].get(key)
        if isinstance(value, list):
            out.append(f"{label}: " + ("; ".join(strip_control(v) for v in value) or "(none)"))
        else:
            out.append(f"{label}: {strip_control(str(value)) or '(empty)'}")
    return out

"""Turn a parsed TOML document into a Profile, or raise one ProfileError naming key and fix."""

from __future__ import annotations

import json
import re
import tomllib
import unicodedata
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import Any

from tui.alignment.profiles.errors import KeyPath, ProfileError, key_name
from tui.alignment.profiles.locate import key_lines
from tui.alignment.profiles.schema import (
    SCHEMA_VERSION,
    Engagement,
    Filters,
    Goal,
    Grounding,
    NamedPrompt,
    Profile,
    Sampling,
    Tradeoff,
    Value,
)

VALUE_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_-]{0,47}$")
# Characters str.splitlines() ends a line at, where TOML does not (a valid document holds
# the others of them only escaped): key_lines() would count lines wrong past them.
_BREAKS = re.compile("[\x85\u2028\u2029]")
_FORBIDDEN = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_KEYS = {
    (): ("schema", "title", "description", "authors", "goal", "values", "tradeoffs", "filters",
         "sampling", "prompts", "engagement", "grounding"),
    ("goal",): ("researchers", "aim", "characterised_by"),
    ("value",): ("weight", "meaning", "control_vector", "control_scale"),
    ("tradeoff",): ("between", "note"),
    ("filters",): ("years", "languages", "disciplines", "regions"),
    ("sampling",): ("temperature", "max_tokens", "top_p", "candidates"),
    ("prompt",): ("name", "text", "description"),
    ("engagement",): ("daily_tokens", "daily_requests", "daily_minutes"),
    ("grounding",): ("enabled", "passages", "libraries"),
}
_RANGES = {
    "weight": (0.0, 1.0), "temperature": (0.0, 2.0), "top_p": (0.0, 1.0),
    "max_tokens": (1, 131072), "daily_tokens": (1, 10**9), "daily_requests": (1, 10**6),
    "daily_minutes": (1, 1440), "years": (1, 9999), "control_scale": (-20.0, 20.0),
    "candidates": (1, 8), "passages": (1, 20),
}


def show(value: Any, limit: int = 40) -> str:
    """A short, terminal-safe TOML-like rendering of a value for messages."""
    if isinstance(value, dict):
        return "a table"
    text = json.dumps(value, ensure_ascii=False, default=str)
    text = _FORBIDDEN.sub(lambda m: f"\\u{ord(m.group()):04x}", text)
    return text if len(text) <= limit else text[:limit - 3] + "..."


def quoted(path: KeyPath) -> str:
    """A key name for a message: quoted, its control and bidi characters as escapes
    (visible but inert), such as 'values.nuance.weight' or 'evil\\x1b]0;title\\x07'."""
    return repr(key_name(path))


def _unescaped(part: str | int) -> str | int:
    """A key as written in TOML text, its escapes (\\u001b) read as tomllib reads them."""
    if not isinstance(part, str) or "\\" not in part:
        return part
    try:
        return str(tomllib.loads(f'k = "{part}"')["k"])
    except tomllib.TOMLDecodeError:
        return part  # a 'literal' key, whose backslashes are plain characters


def _unbroken(part: str | int) -> str | int:
    return _BREAKS.sub("\ufffd", part) if isinstance(part, str) else part


def locate(text: str, path: KeyPath) -> int | None:
    """The line defining path, else the line of its longest defined prefix, else None;
    keys with escapes (\\u001b) or NEL, LS and PS characters in them found too."""
    wanted = tuple(_unbroken(part) for part in path)
    best, best_length = None, 0
    for found, number in key_lines(_BREAKS.sub("\ufffd", text)):
        length = len(found)
        if length > best_length and (found == wanted[:length] or tuple(
                _unbroken(_unescaped(part)) for part in found) == wanted[:length]):
            best, best_length = number, length
    return best


def _describe(char: str) -> str:
    code = f"(U+{ord(char):04X})"
    if char == "\x1b":
        return f"the terminal escape character ESC {code}"
    if ord(char) <= 0x9f:
        return f"a control character {code}"
    return f"the bidirectional control {unicodedata.name(char)} {code}"


def _kind(value: Any) -> str:
    return {bool: "a boolean", int: "a whole number", float: "a number", str: "a string",
            list: "a list", dict: "a table"}.get(type(value), type(value).__name__)


class Reader:
    """Reads one document; every failure names the key, and the line when text is known."""

    def __init__(self, file: str | None = None, text: str | None = None,
                 folder: Path | None = None) -> None:
        self.file, self.text, self.folder = file, text, folder

    def fail(self, path: KeyPath, detail: str) -> ProfileError:
        line = (locate(self.text, path) or 1) if self.text is not None else None
        return ProfileError(detail, self.file, line)

    def bad(self, path: KeyPath, value: Any, problem: str, fix: str) -> ProfileError:
        return self.fail(path, f"key {quoted(path)} = {show(value)} {problem}; {fix}")

    def table(self, path: KeyPath, value: Any, kind: tuple[str, ...] | None) -> dict[str, Any]:
        """value as a table whose keys are those of _KEYS[kind] (any keys when kind is None)."""
        if not isinstance(value, dict):
            raise self.bad(path, value, f"is {_kind(value)}, not a table",
                           f"write [{key_name(path)}]")
        known = _KEYS[kind] if kind is not None else value
        for key in value:
            if key not in known:
                raise self.fail(path + (key,), f"key {quoted(path + (key,))} is unknown; "
                                f"use one of: {', '.join(known)}")
        return value

    def array(self, path: KeyPath, value: Any, fix: str) -> list[Any]:
        if not isinstance(value, list):
            raise self.bad(path, value, f"is {_kind(value)}, not a list of tables", fix)
        return value

    def text_of(self, path: KeyPath, value: Any, one_line: bool = True) -> str:
        if not isinstance(value, str):
            raise self.bad(path, value, f"is {_kind(value)}, not a string", 'use quotes: "..."')
        if match := _FORBIDDEN.search(value):
            raise self.fail(path, f"key {quoted(path)} contains {_describe(match.group())}; "
                            "remove it: profile text is shown literally")
        if one_line and "\n" in value:
            raise self.fail(path, f"key {quoted(path)} spans several lines; use one line")
        return value

    def texts(self, path: KeyPath, value: Any) -> list[str]:
        if not isinstance(value, list):
            raise self.bad(path, value, f"is {_kind(value)}, not a list", 'use ["a", "b"]')
        out = [self.text_of(path + (i,), item) for i, item in enumerate(value)]
        for i, item in enumerate(out):
            if not item.strip():
                raise self.fail(path + (i,), f"key {quoted(path + (i,))} is empty; remove it")
        return out

    def number(self, path: KeyPath, value: Any, whole: bool = False) -> float | int:
        low, high = _RANGES[str(path[-1]) if not isinstance(path[-1], int) else str(path[-2])]
        ok = isinstance(value, int) if whole else isinstance(value, (int, float))
        what = "a whole number" if whole else "a number"
        fix = f"use {what} from {low:g} to {high:g}"
        if isinstance(value, bool) or not ok:
            raise self.bad(path, value, f"is {_kind(value)}, not {what}", fix)
        if not low <= value <= high:
            raise self.bad(path, value, f"is out of range {low:g}..{high:g}", fix)
        return value if whole else float(value)

    def inside(self, path: KeyPath, value: Any) -> str:
        relative = self.text_of(path, value)
        leaves = (not relative or PurePosixPath(relative).is_absolute()
                  or PureWindowsPath(relative).is_absolute() or PureWindowsPath(relative).drive
                  or ".." in PurePosixPath(relative.replace("\\", "/")).parts)
        if not leaves and self.folder is not None:
            root = self.folder.resolve()
            leaves = not (root / relative).resolve().is_relative_to(root)
        if leaves:
            raise self.bad(path, value, "leaves the profile's folder",
                           'use a relative path inside it, such as "vectors/nuance.gguf"')
        return relative


def _goal(r: Reader, data: dict[str, Any]) -> Goal:
    table = r.table(("goal",), data, ("goal",))
    goal = Goal(**{key: r.text_of(("goal", key), value) for key, value in table.items()})
    for key in _KEYS[("goal",)]:
        if goal.is_set and not getattr(goal, key).strip():
            raise r.fail(("goal", key), f"key 'goal.{key}' is missing; fill all three blanks of "
                         "'We want an LLM that lets us, as [researchers] researchers, [aim], by "
                         "supporting interactions that are characterised by [characterised_by]'")
    return goal


def _values(r: Reader, data: Any) -> dict[str, Value]:
    table = r.table(("values",), data, None)
    values = {}
    for name, raw in table.items():
        path: KeyPath = ("values", name)
        if not VALUE_NAME.match(name):
            raise r.fail(path, f"key {quoted(path)} is not a valid value name; use letters, "
                         "digits, _ and - (such as care_for_participants)")
        entry = r.table(path, raw, ("value",))
        if "weight" not in entry:
            raise r.fail(path, f"key {quoted(path + ('weight',))} is missing; "
                         "add weight = 0.5 (a number from 0 to 1)")
        vector = entry.get("control_vector")
        values[name] = Value(r.number(path + ("weight",), entry["weight"]),
                             r.text_of(path + ("meaning",), entry.get("meaning", "")),
                             None if vector is None
                             else r.inside(path + ("control_vector",), vector),
                             r.number(path + ("control_scale",), entry.get("control_scale", 1.0)))
    return values


def _tradeoff(r: Reader, index: int, raw: Any, values: dict[str, Value]) -> Tradeoff:
    path: KeyPath = ("tradeoffs", index)
    entry = r.table(path, raw, ("tradeoff",))
    between = r.texts(path + ("between",), entry.get("between", []))
    if len(between) != 2 or between[0] == between[1]:
        raise r.bad(path + ("between",), between, "does not name two different values",
                    'use between = ["reliability", "sustainability"]')
    for name in between:
        if name not in values:
            raise r.bad(path + ("between",), between,
                        f"names '{name}', which is not a value of this profile",
                        f"use values defined under [values]: {', '.join(values) or 'none yet'}")
    return Tradeoff((between[0], between[1]), r.text_of(path + ("note",), entry.get("note", "")))


def _filters(r: Reader, data: Any) -> Filters:
    table = r.table(("filters",), data, ("filters",))
    years = table.get("years")
    if years is not None:
        path: KeyPath = ("filters", "years")
        if not isinstance(years, list) or len(years) != 2:
            raise r.bad(path, years, "is not a [FROM, TO] pair", "use years = [1990, 2026]")
        years = tuple(r.number(path + (i,), year, whole=True) for i, year in enumerate(years))
        if years[0] > years[1]:
            raise r.bad(path, list(years), "starts after it ends", "use [FROM, TO] with FROM <= TO")
    lists = {key: r.texts(("filters", key), table[key])
             for key in ("languages", "disciplines", "regions") if key in table}
    return Filters(years=years, **lists)


def _grounding(r: Reader, data: Any) -> Grounding:
    table = r.table(("grounding",), data, ("grounding",))
    enabled = table.get("enabled")
    if enabled is not None and not isinstance(enabled, bool):
        raise r.bad(("grounding", "enabled"), enabled, f"is {_kind(enabled)}, not a boolean",
                    "use enabled = true or enabled = false")
    passages = table.get("passages")
    return Grounding(enabled,
                     None if passages is None
                     else int(r.number(("grounding", "passages"), passages, whole=True)),
                     r.texts(("grounding", "libraries"), table.get("libraries", [])))


def _numbers(r: Reader, section: str, data: Any, whole: tuple[str, ...]) -> dict[str, Any]:
    table = r.table((section,), data, (section,))
    return {key: r.number((section, key), value, whole=key in whole)
            for key, value in table.items()}


def _prompt(r: Reader, index: int, raw: Any) -> NamedPrompt:
    path: KeyPath = ("prompts", index)
    entry = r.table(path, raw, ("prompt",))
    fields = {}
    for key in ("name", "text"):
        if not str(entry.get(key, "")).strip():
            raise r.fail(path + (key,), f"key {quoted(path + (key,))} is missing or empty; "
                         f"add {key} = \"...\"")
        fields[key] = r.text_of(path + (key,), entry[key], one_line=key == "name")
    return NamedPrompt(fields["name"], fields["text"],
                       r.text_of(path + ("description",), entry.get("description", "")))


def _prompts(r: Reader, data: Any) -> list[NamedPrompt]:
    raw = r.array(("prompts",), data, "write each prompt as [[prompts]] with name and text")
    prompts = [_prompt(r, index, item) for index, item in enumerate(raw)]
    for index, prompt in enumerate(prompts):
        if prompt.name in [earlier.name for earlier in prompts[:index]]:
            raise r.bad(("prompts", index, "name"), prompt.name, "is used by another prompt",
                        "use a different name")
    return prompts


def build_profile(data: dict[str, Any], name: str, reader: Reader) -> Profile:
    """Check every key of data (a parsed document) and build the Profile it describes."""
    root = reader.table((), data, ())
    if "schema" not in root:
        raise reader.fail(("schema",), f"key 'schema' is missing; add schema = {SCHEMA_VERSION} "
                          "as the first line")
    if root["schema"] != SCHEMA_VERSION or type(root["schema"]) is not int:
        raise reader.bad(("schema",), root["schema"], "is not supported",
                         f"this coalign reads schema = {SCHEMA_VERSION}")
    profile = Profile(name=name, schema=SCHEMA_VERSION)
    profile.title = reader.text_of(("title",), root.get("title", ""))
    profile.description = reader.text_of(("description",), root.get("description", ""),
                                         one_line=False)
    profile.authors = reader.texts(("authors",), root.get("authors", []))
    profile.goal = _goal(reader, root.get("goal", {}))
    profile.values = _values(reader, root.get("values", {}))
    tradeoffs = reader.array(("tradeoffs",), root.get("tradeoffs", []),
                             "write each trade-off as [[tradeoffs]] with between and note")
    profile.tradeoffs = [_tradeoff(reader, i, raw, profile.values)
                         for i, raw in enumerate(tradeoffs)]
    profile.filters = _filters(reader, root.get("filters", {}))
    profile.sampling = Sampling(**_numbers(reader, "sampling", root.get("sampling", {}),
                                           ("max_tokens", "candidates")))
    profile.prompts = _prompts(reader, root.get("prompts", []))
    profile.engagement = Engagement(**_numbers(reader, "engagement", root.get("engagement", {}),
                                               ("daily_tokens", "daily_requests", "daily_minutes")))
    profile.grounding = _grounding(reader, root.get("grounding", {}))
    return profile

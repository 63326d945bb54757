"""Change one setting ('values.nuance.weight=0.8') and diff two profiles key by key."""

from __future__ import annotations

import re
from fnmatch import fnmatchcase
from typing import Any

from tui.alignment.profiles.errors import ProfileError
from tui.alignment.profiles.schema import Profile, to_data
from tui.alignment.profiles.validate import Reader, build_profile, show

_KINDS = (  # key pattern -> how the text after '=' is read
    ("filters.years", "years"),
    ("filters.*", "list"), ("authors", "list"),
    ("values.*.weight", "number"), ("sampling.temperature", "number"), ("sampling.top_p", "number"),
    ("sampling.max_tokens", "int"), ("engagement.*", "int"),
    ("grounding.enabled", "bool"), ("grounding.passages", "int"), ("grounding.libraries", "list"),
    ("title", "text"), ("description", "text"), ("goal.*", "text"), ("values.*.*", "text"),
    ("values.*", "remove"),
)
_SETTABLE = ("title, description, authors, goal.*, values.NAME.weight|meaning, filters.*, "
             "sampling.*, engagement.*, grounding.*")


def _convert(key: str, kind: str, raw: str) -> Any:
    """Read raw as the kind the key takes; errors name the key and the form to use."""
    raw = raw.strip()
    if kind == "remove":
        raise ProfileError(f"cannot set '{key}' to a value; use {key}.weight=0.5 and "
                           f"{key}.meaning=..., or {key}= to remove it")
    try:
        if kind == "years":
            match = re.fullmatch(r"(-?\d+)\s*[-–]\s*(-?\d+)", raw)
            if not match:
                raise ValueError
            return [int(match.group(1)), int(match.group(2))]
        if kind == "list":
            return [item.strip() for item in raw.split(",") if item.strip()]
        if kind == "number":
            return float(raw)
        if kind == "int":
            return int(raw)
        if kind == "bool":
            return {"true": True, "on": True, "false": False, "off": False}[raw.lower()]
    except KeyError:
        raise ProfileError(f"key '{key}' = {show(raw)} cannot be read; use true or false"
                           ) from None
    except ValueError:
        form = {"years": "FROM-TO, such as 1990-2026", "number": "a number",
                "int": "a whole number"}
        raise ProfileError(f"key '{key}' = {show(raw)} cannot be read; use {form[kind]}") from None
    return raw


def apply_setting(profile: Profile, setting: str) -> Profile:
    """A new Profile with KEY=VALUE applied (an empty VALUE removes the key), fully checked."""
    key, sep, raw = setting.partition("=")
    key = key.strip()
    kind = next((kind for pattern, kind in _KINDS if fnmatchcase(key, pattern)), None)
    if not sep or kind is None or key.count(".") > 2:
        raise ProfileError(f"cannot set '{key or setting}'; use KEY=VALUE with KEY one of: "
                           f"{_SETTABLE}")
    data = to_data(profile)
    *parents, leaf = key.split(".")
    table = data
    for part in parents:
        table = table.setdefault(part, {})
    if raw.strip():
        table[leaf] = _convert(key, kind, raw)
    else:
        table.pop(leaf, None)
    return build_profile(data, profile.name, Reader())


def flatten(data: Any, prefix: str = "") -> dict[str, Any]:
    """{'values.nuance.weight': 0.8, 'tradeoffs[1].note': '…', …} from a profile document."""
    if isinstance(data, dict):
        out: dict[str, Any] = {}
        for key, value in data.items():
            out.update(flatten(value, f"{prefix}.{key}" if prefix else key))
        return out
    if isinstance(data, list) and data and all(isinstance(item, dict) for item in data):
        out = {}
        for index, item in enumerate(data):
            out.update(flatten(item, f"{prefix}[{index + 1}]"))
        return out
    return {prefix: data}


def diff(a: Profile, b: Profile) -> list[str]:
    """Readable key-by-key changes from a to b: '~ key: old -> new', '+ key = v', '- key = v'."""
    old, new = flatten(to_data(a)), flatten(to_data(b))
    lines = []
    for key in sorted(old.keys() | new.keys()):
        if key not in new:
            lines.append(f"- {key} = {show(old[key], 200)}")
        elif key not in old:
            lines.append(f"+ {key} = {show(new[key], 200)}")
        elif old[key] != new[key]:
            lines.append(f"~ {key}: {show(old[key], 200)} -> {show(new[key], 200)}")
    return lines

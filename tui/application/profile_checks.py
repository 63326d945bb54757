"""`profile validate`'s second half: the files a profile names exist, and its control
vectors fit the model in use (where one is known)."""

from __future__ import annotations

from pathlib import Path

from tui.alignment.profiles.library import ProfileEntry
from tui.alignment.profiles.validate import locate
from tui.engine.control_vectors import load, misfit, model_shape
from tui.errors import ControlVectorError


def _where(entry: ProfileEntry, name: str) -> str:
    """'FILE:LINE' of a value's control_vector key."""
    assert entry.path is not None
    try:
        line = locate(entry.path.read_text(encoding="utf-8"), ("values", name, "control_vector"))
    except (OSError, UnicodeDecodeError):
        line = None
    return f"{entry.path}:{line}" if line else str(entry.path)


def reference_problems(entry: ProfileEntry, model: Path | None = None) -> list[str]:
    """One line per named file missing, unusable or made for another model than model."""
    if entry.profile is None or entry.path is None:
        return []
    shape = model_shape(model) if model is not None and model.is_file() else None
    problems = []
    for name, value in sorted(entry.profile.values.items()):
        if not value.control_vector:
            continue
        key = f"key 'values.{name}.control_vector' = \"{value.control_vector}\""
        path = entry.resolve(value.control_vector)
        if not path.is_file():
            looked = f"{entry.path.parent}" + (f" or {entry.base.folder}" if entry.base else "")
            problems.append(f"{_where(entry, name)}: {key}: no such file (looked in {looked}); "
                            "put the vector there or fix the path, relative to the profile's "
                            "folder")
            continue
        try:
            vector = load(path)
        except ControlVectorError as exc:
            problems.append(f"{_where(entry, name)}: {key}: {exc}")
            continue
        if shape is not None and (why := misfit(vector, *shape)):
            problems.append(f"{_where(entry, name)}: {key}: {why} (checked against {model})")
    return problems


def checked_against(entry: ProfileEntry, model: Path | None) -> str:
    """', control vectors checked against MODEL' when there are any, else ''."""
    has_vectors = entry.profile is not None and any(
        value.control_vector for value in entry.profile.values.values())
    if not has_vectors:
        return ""
    if model is None or not model.is_file():
        return ", control vectors found (no model known to check them against)"
    return f", control vectors fit {model.name}"

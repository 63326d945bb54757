"""What steers an answer besides the prompt: a profile's control vectors, and the exact
record of what the model was told, kept on each answer for the assumptions panel."""

from __future__ import annotations

from dataclasses import asdict

from tui.alignment.profiles.library import ProfileEntry
from tui.engine.base import ControlVectorUse, SamplingSettings


def control_vector_uses(entry: ProfileEntry | None) -> tuple[ControlVectorUse, ...]:
    """The profile's control vectors, each at its value's weight x control_scale."""
    if entry is None or entry.profile is None or entry.path is None:
        return ()
    return tuple(ControlVectorUse(str(entry.resolve(value.control_vector)),
                                  round(value.weight * value.control_scale, 4))
                 for _name, value in sorted(entry.profile.values.items())
                 if value.control_vector)


def told_record(system_prompt: str, settings: SamplingSettings) -> dict[str, object]:
    """Exactly what the model was told for one answer: system prompt and sampling."""
    return {"system_prompt": system_prompt, "settings": asdict(settings)}

"""Value profiles: TOML files a lab shares through git, composed into what the model is told."""

from tui.alignment.profiles.compose import Composition, compose
from tui.alignment.profiles.errors import ProfileError
from tui.alignment.profiles.load import load_profile, parse_profile
from tui.alignment.profiles.schema import (
    DEFAULT_NAME,
    Engagement,
    Filters,
    Goal,
    NamedPrompt,
    Profile,
    Sampling,
    Tradeoff,
    Value,
)

__all__ = [
    "DEFAULT_NAME", "Composition", "Engagement", "Filters", "Goal", "NamedPrompt", "Profile",
    "ProfileError", "Sampling", "Tradeoff", "Value", "compose", "load_profile", "parse_profile",
]

"""`/profile` for every UI: show, list, switch, show exactly what the model is told, set."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from tui.alignment.profiles.compose import compose
from tui.alignment.profiles.edit import apply_setting
from tui.alignment.profiles.errors import ProfileError
from tui.alignment.profiles.library import ProfileEntry, ProfileLibrary
from tui.application.steering import control_vector_uses
from tui.paths import Paths
from tui.shipped import shipped_dir

SHIPPED_PROFILES_DIR = shipped_dir("profiles")
SOURCES_FILE = "profile-sources.toml"
USAGE = "/profile [NAME | list | show | set KEY=VALUE]"


@dataclass
class ProfileCommandResult:
    """Lines to print (plain text, shown literally) and the profile to switch to, if any."""

    lines: list[str] = field(default_factory=list)
    switch_to: ProfileEntry | None = None


def open_library(paths: Paths, shipped_dir: Path = SHIPPED_PROFILES_DIR) -> ProfileLibrary:
    """Your profiles in the data dir, added lab folders, then the shipped profiles/."""
    return ProfileLibrary(paths.data_dir / "profiles", [], shipped_dir,
                          paths.config_dir / SOURCES_FILE)


def entry_line(entry: ProfileEntry, current: ProfileEntry | None = None) -> str:
    """'* name  Title  [yours @ 1a2b3c4]' or '! name  BROKEN: error'."""
    mark = "*" if current is not None and current.path == entry.path else " "
    if entry.profile is None:
        return f"! {entry.name:<26}  BROKEN: {entry.error}"
    commit = f" @ {entry.commit}" if entry.commit else ""
    title = entry.profile.title if entry.profile.title != entry.name else ""
    return "  ".join(part for part in (f"{mark} {entry.name:<26}", title,
                                       f"[{entry.source}{commit}]") if part)


def describe(entry: ProfileEntry) -> list[str]:
    """Name, origin and the goal sentence of a profile."""
    lines = [f"profile {entry.name} ({entry.origin})"]
    if entry.profile is None:
        return lines + [f"broken: {entry.error}"]
    if entry.profile.title:
        lines.append(entry.profile.title)
    lines.append(entry.profile.goal.sentence or "(no alignment goal set)")
    return lines


def told(entry: ProfileEntry) -> list[str]:
    """Exactly what the model is told under this profile: system prompt and sampling."""
    if entry.profile is None:
        return [f"profile {entry.name} is broken: {entry.error}"]
    composition = compose(entry.profile)
    steering = [f"{Path(use.path).name} at strength {use.strength:g}"
                for use in control_vector_uses(entry) if use.strength]
    candidates = entry.profile.sampling.candidates or 1
    return [f"what the model is told under profile {entry.name}:", "--- system prompt ---",
            *composition.system_prompt.splitlines(), "--- sampling ---",
            composition.sampling_line(),
            "control vectors: " + (", ".join(steering) or "none"),
            f"candidates per prompt: {candidates}" + (" (the best is shown)" * (candidates > 1))]


def _set(library: ProfileLibrary, current: ProfileEntry, setting: str) -> ProfileCommandResult:
    if current.profile is None:
        return ProfileCommandResult([f"profile {current.name} is broken: {current.error}"])
    updated = apply_setting(current.profile, setting)
    path = library.save(updated, current.name)
    entry = library.get(current.name)
    return ProfileCommandResult([f"set {setting.strip()}; saved your copy to {path}"], entry)


def _switch(library: ProfileLibrary, name: str) -> ProfileCommandResult:
    try:
        entry = library.get(name)
    except KeyError:
        return ProfileCommandResult([f"no profile called {name}; `/profile list` shows them"])
    if entry.profile is None:
        return ProfileCommandResult([f"profile {name} is broken, kept the current one: "
                                     f"{entry.error}"])
    return ProfileCommandResult([f"switched to profile {name} ({entry.origin})",
                                 entry.profile.goal.sentence or "(no alignment goal set)"], entry)


def profile_command(library: ProfileLibrary, current: ProfileEntry | None,
                    arg: str) -> ProfileCommandResult:
    """Run the text after `/profile`; problems come back as lines, never as exceptions."""
    current = current or library.default()
    word, _, rest = arg.strip().partition(" ")
    try:
        if not word:
            return ProfileCommandResult(describe(current))
        if word == "list":
            return ProfileCommandResult([entry_line(e, current) for e in library.entries()]
                                        + [f"* = in use; {USAGE}"])
        if word == "show":
            return ProfileCommandResult(told(current))
        if word == "set":
            if "=" not in rest:
                return ProfileCommandResult(["usage: /profile set KEY=VALUE, such as "
                                             "/profile set values.nuance.weight=0.8"])
            return _set(library, current, rest)
        if rest:
            return ProfileCommandResult([f"usage: {USAGE}"])
        return _switch(library, word)
    except (ProfileError, OSError) as exc:
        return ProfileCommandResult([f"profile: {exc}"])

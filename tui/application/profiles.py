"""`/profile` for every UI: show, list, switch, show exactly what the model is told, set."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from tui.alignment.profiles.compose import compose
from tui.alignment.profiles.edit import apply_setting
from tui.alignment.profiles.errors import ProfileError
from tui.alignment.profiles.library import LabUpdate, ProfileEntry, ProfileLibrary
from tui.alignment.profiles.origin import provenance
from tui.alignment.profiles.schema import DEFAULT_PASSAGES
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


def entry_line(entry: ProfileEntry, current: ProfileEntry | None = None,
               shadowed_by: ProfileEntry | None = None, update: LabUpdate | None = None) -> str:
    """'* name  Title  [yours @ 1a2b3c4]  (shadowed by …)' or '! name  BROKEN: error'."""
    mark = "*" if current is not None and current.path == entry.path else " "
    if entry.profile is None:
        return f"! {entry.name:<26}  BROKEN: {entry.error}"
    commit = f" @ {provenance(entry.commit, entry.modified, entry.sha256)}" if entry.commit else ""
    title = entry.profile.title if entry.profile.title != entry.name else ""
    label = f"[{entry.source}{commit}]"
    if entry.base is not None:
        label = f"[{entry.source}, from {entry.base.label}]"
    notes = [f"(shadowed by {shadowed_by.source})" if shadowed_by is not None else "",
             update_note(update)]
    return "  ".join(part for part in (f"{mark} {entry.name:<26}", title, label, *notes)
                     if part)


def update_note(update: LabUpdate | None) -> str:
    """'— the file it was made from has changed since (now @ 1a2b3c4)', or ''."""
    if update is None:
        return ""
    if update.gone:
        return f"— the file it was made from is gone ({update.path})"
    return "— the file it was made from has changed since" + (
        f" (now @ {update.commit})" if update.commit else "")


def list_lines(library: ProfileLibrary, current: ProfileEntry | None = None) -> list[str]:
    """Every profile in precedence order, shadowed ones marked, copies with their base."""
    entries = library.entries()
    hidden = library.shadowed(entries)
    order = ", ".join(source for _folder, source in library.folders())
    lines = [f"in precedence order (the first of a name is used): {order}"]
    for entry in entries:
        lines.append(entry_line(entry, current, hidden.get(entry.path) if entry.path else None,
                                library.lab_update(entry)))
    return lines


def lab_notice(library: ProfileLibrary | None, entry: ProfileEntry) -> str | None:
    """What to do when the file your copy was made from has changed since; else None."""
    update = library.lab_update(entry) if library is not None else None
    if update is None or entry.base is None:
        return None
    what = "is gone" if update.gone else "has changed since your copy was made" + (
        f" (made from @ {entry.base.commit}, now @ {update.commit})"
        if entry.base.commit and update.commit else "")
    folder = entry.base.folder
    return (f"{entry.base.source} {what}: `coalign profile diff {entry.name} {update.path}` "
            f"shows how, `coalign profile reset {entry.name}` takes that version, `coalign "
            f"profile contribute {entry.name} --to {folder}` offers yours")


def describe(entry: ProfileEntry, library: ProfileLibrary | None = None) -> list[str]:
    """Name, origin, a copy's base (and whether it moved on), the goal, the prompts."""
    lines = [f"profile {entry.name} ({entry.origin})"]
    if entry.base is not None:
        lines.append(f"your copy of {entry.base.label}")
    if notice := lab_notice(library, entry):
        lines.append(notice)
    if entry.profile is None:
        return lines + [f"broken: {entry.error}"]
    if entry.profile.title:
        lines.append(entry.profile.title)
    lines.append(entry.profile.goal.sentence or "(no alignment goal set)")
    prompts = entry.profile.prompts
    if prompts:
        lines.append(f"prompt library ({len(prompts)}; use one with /prompt NAME):")
        lines += [f"  {p.name}" + (f" — {p.description}" if p.description else "")
                  for p in prompts]
    return lines


def configured_profile(library: ProfileLibrary, name: str | None) -> ProfileEntry:
    """The profile config.toml starts with, or the neutral one."""
    try:
        entry = library.get(name) if name else None
    except KeyError:
        entry = None
    return entry if entry is not None and entry.ok else library.default()


def reset_lines(library: ProfileLibrary, name: str) -> list[str]:
    """`profile reset NAME`: your copy put aside, the lab's (or shipped) version in force."""
    aside, now = library.reset(name)
    return [f"put your copy of {name} aside in {aside}",
            f"profile {name} is now {now.origin}"]


def told(entry: ProfileEntry) -> list[str]:
    """Exactly what the model is told under this profile: system prompt and sampling."""
    if entry.profile is None:
        return [f"profile {entry.name} is broken: {entry.error}"]
    composition = compose(entry.profile)
    steering = [f"{Path(use.path).name} at strength {use.strength:g}"
                for use in control_vector_uses(entry) if use.strength]
    candidates = entry.profile.sampling.candidates or 1
    grounding = entry.profile.grounding
    where = ", ".join(grounding.libraries) or "every library"
    grounded = ([] if grounding.enabled is None else [
        f"grounding: on: up to {grounding.passages or DEFAULT_PASSAGES} passages of {where} "
        "that match each prompt, within the filters, are added to the system prompt as [1], "
        "[2]" if grounding.enabled else "grounding: off"])
    return [f"what the model is told under profile {entry.name}:", "--- system prompt ---",
            *composition.system_prompt.splitlines(), "--- sampling ---",
            composition.sampling_line(),
            "control vectors: " + (", ".join(steering) or "none"),
            f"candidates per prompt: {candidates}" + (" (the best is shown)" * (candidates > 1)),
            *grounded]


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
    notice = lab_notice(library, entry)
    return ProfileCommandResult([f"switched to profile {name} ({entry.origin})",
                                 entry.profile.goal.sentence or "(no alignment goal set)",
                                 *([notice] if notice else [])], entry)


def profile_command(library: ProfileLibrary, current: ProfileEntry | None,
                    arg: str) -> ProfileCommandResult:
    """Run the text after `/profile`; problems come back as lines, never as exceptions."""
    current = current or library.default()
    word, _, rest = arg.strip().partition(" ")
    try:
        if not word:
            return ProfileCommandResult(describe(current, library))
        if word == "list":
            return ProfileCommandResult(list_lines(library, current) + [f"* = in use; {USAGE}"])
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


def change_line(change: dict[str, object] | None) -> str:
    """'profile X changed since it was read (now lab: … @ 1a2b3c4, modified); …', or ''."""
    now, before = (change or {}).get("to"), (change or {}).get("from")
    if not isinstance(now, dict):
        return ""
    commit = str(now.get("commit") or "")
    commit += ", modified" if now.get("modified") else ""
    moved = not isinstance(before, dict) or now.get("path") != before.get("path")
    what = f"is now {now.get('source')}" if moved else "changed since it was read"
    kind = str(now.get("source")).split(":", 1)[0]  # 'lab: /folder': the path names it
    where = f"{kind}: {now.get('path')}" + (f" @ {commit}" if commit else "")
    return (f"profile {now.get('name')} {what} ({where}); this answer follows it "
            "(recorded on the message)")

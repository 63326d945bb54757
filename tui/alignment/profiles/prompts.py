"""The shared prompt library (P12): prompts of the profile in force and of every source,
their {placeholders}, and the record each use leaves on the message."""

from __future__ import annotations

import re
from dataclasses import dataclass

from tui.alignment.profiles.library import ProfileEntry, ProfileLibrary
from tui.alignment.profiles.schema import NamedPrompt

_NAME = r"[A-Za-z_][A-Za-z0-9_-]{0,47}"
# {{name}} is a literal {name}; {name} is a placeholder; other braces are plain text.
_SLOT = re.compile(r"\{\{(" + _NAME + r")\}\}|\{(" + _NAME + r")\}")


def placeholders(text: str) -> list[str]:
    """The placeholders of a prompt's text, each once, in order of appearance."""
    found: list[str] = []
    for match in _SLOT.finditer(text):
        if match.group(2) and match.group(2) not in found:
            found.append(match.group(2))
    return found


def fill(text: str, values: dict[str, str]) -> str:
    """The text with each {placeholder} replaced (those not in values left as they are)."""
    def one(match: re.Match[str]) -> str:
        if match.group(1):
            return "{" + match.group(1) + "}"
        return values.get(match.group(2), match.group(0))

    return _SLOT.sub(one, text)


def parse_arguments(names: list[str], rest: str) -> tuple[dict[str, str], str]:
    """(values, leftover text) from `VALUE | VALUE …` and `KEY=VALUE …` for names."""
    keys = "|".join(re.escape(name) for name in names)
    values: dict[str, str] = {}
    positional = rest.strip()
    if keys:
        pieces = re.split(r"(?:^|\s)(" + keys + r")=", " " + rest)
        positional = pieces[0].strip()
        for index in range(1, len(pieces) - 1, 2):
            values[pieces[index]] = pieces[index + 1].strip()
    open_slots = [name for name in names if name not in values]
    if positional and open_slots:
        parts = positional.split("|", len(open_slots) - 1)
        for name, part in zip(open_slots, parts, strict=False):
            if part.strip():
                values[name] = part.strip()
        positional = ""
    return values, positional


@dataclass(frozen=True)
class LibraryPrompt:
    """One prompt of the library and the profile file it comes from."""

    prompt: NamedPrompt
    entry: ProfileEntry
    in_force: bool  # from the profile the answers follow now

    @property
    def name(self) -> str:
        return self.prompt.name

    @property
    def qualified(self) -> str:
        """'PROFILE:NAME', which picks it when several profiles have a prompt NAME."""
        return f"{self.entry.name}:{self.prompt.name}"

    @property
    def placeholders(self) -> list[str]:
        return placeholders(self.prompt.text)

    def record(self, values: dict[str, str], appended: str = "") -> dict[str, object]:
        """What the message keeps of this use: which prompt, from where, filled how."""
        entry = self.entry
        record: dict[str, object] = {
            "name": self.prompt.name, "profile": entry.name, "source": entry.source,
            "path": str(entry.path) if entry.path else None, "commit": entry.commit,
            "arguments": dict(values)}
        if entry.commit is not None:
            record["modified"] = entry.modified
        if entry.sha256 is not None:
            record["sha256"] = entry.sha256
        if appended:
            record["appended"] = appended
        return record


def library_prompts(library: ProfileLibrary | None,
                    current: ProfileEntry | None) -> list[LibraryPrompt]:
    """The profile in force's prompts, then every other usable, unshadowed profile's."""
    found: list[LibraryPrompt] = []
    if current is not None and current.profile is not None:
        found += [LibraryPrompt(p, current, True) for p in current.profile.prompts]
    if library is None:
        return found
    entries = library.entries()
    hidden = library.shadowed(entries)
    for entry in entries:
        if entry.profile is None or entry.path in hidden:
            continue
        if current is not None and entry.path == current.path:
            continue
        found += [LibraryPrompt(p, entry, False) for p in entry.profile.prompts]
    return found


def find_prompt(prompts: list[LibraryPrompt], words: str) -> tuple[LibraryPrompt, str] | None:
    """(prompt, rest) for words 'NAME …' or 'PROFILE:NAME …' (the longest match); or None."""
    words = words.strip()
    best: tuple[LibraryPrompt, str] | None = None
    length = -1
    for item in prompts:
        for key in (item.qualified, item.name):
            if (words == key or words.startswith(key + " ")) and len(key) > length:
                best, length = (item, words[len(key):].strip()), len(key)
                break
    return best

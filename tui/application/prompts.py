"""`/prompt` for every UI: the shared prompt library, placeholders filled from the
arguments (or asked for), and each use recorded on the message it sends."""

from __future__ import annotations

from dataclasses import dataclass, field

from tui.alignment.profiles.prompts import (
    LibraryPrompt,
    fill,
    find_prompt,
    library_prompts,
    parse_arguments,
)
from tui.application.service import ChatService
from tui.application.turn import Turn
from tui.errors import ActionRefused

USAGE = "/prompt [NAME [VALUE | VALUE …] [KEY=VALUE …]]"


@dataclass
class PromptRequest:
    """A library prompt about to be sent, with the values given for its placeholders."""

    chosen: LibraryPrompt
    values: dict[str, str] = field(default_factory=dict)
    appended: str = ""  # text after the name of a prompt without placeholders

    @property
    def missing(self) -> list[str]:
        """Placeholders still without a value (to ask for)."""
        return [name for name in self.chosen.placeholders if not self.values.get(name)]

    def text(self) -> str:
        """Exactly what is sent: the filled text, then any appended text."""
        filled = fill(self.chosen.prompt.text, self.values)
        return f"{filled}\n\n{self.appended}" if self.appended else filled

    def record(self) -> dict[str, object]:
        return self.chosen.record(self.values, self.appended)


def choices(service: ChatService) -> list[LibraryPrompt]:
    """Every prompt the user can use now, the profile in force's first."""
    return library_prompts(service.profiles, service.profile)


def prepare_from(prompts: list[LibraryPrompt], arg: str) -> PromptRequest:
    """The request `/prompt NAME …` names; ActionRefused for an unknown name."""
    found = find_prompt(prompts, arg)
    if found is None:
        name = arg.strip().split(" ", 1)[0]
        raise ActionRefused(f"no prompt called {name}; /prompt (or `coalign prompt list`) "
                            "lists them" if prompts else
                            "no prompts yet: a profile's [[prompts]] make the library "
                            "(profiles/README.md)")
    chosen, rest = found
    values, appended = parse_arguments(chosen.placeholders, rest)
    return PromptRequest(chosen, values, appended)


def prepare(service: ChatService, arg: str) -> PromptRequest:
    return prepare_from(choices(service), arg)


def check_filled(request: PromptRequest) -> None:
    """ActionRefused while a placeholder has no value."""
    if request.missing:
        raise ActionRefused(f"prompt {request.chosen.name} needs a value for "
                            f"{', '.join(request.missing)}: /prompt {request.chosen.name} "
                            f"{request.missing[0]}=…")


def send_prompt(service: ChatService, request: PromptRequest) -> Turn:
    """Send the filled prompt; the message records which prompt it was and its values."""
    check_filled(request)
    return service.send(request.text(), meta={"prompt": request.record()})


def where(item: LibraryPrompt) -> str:
    """'profile group4-sustainable (shipped @ 1a2b3c4)', or '(in force)'."""
    commit = f" @ {item.entry.commit}" if item.entry.commit else ""
    modified = ", modified" if item.entry.modified else ""
    state = "in force, " if item.in_force else ""
    return f"profile {item.entry.name} ({state}{item.entry.source}{commit}{modified})"


def prompt_lines(prompts: list[LibraryPrompt]) -> list[str]:
    """One line per prompt, then how to use one."""
    if not prompts:
        return ["no prompts yet: add [[prompts]] with name and text to a profile "
                "(profiles/README.md), or add your lab's folder with "
                "`coalign profile add-source`"]
    names = [item.name for item in prompts]
    lines = []
    for item in prompts:
        name = item.name if names.count(item.name) == 1 or item.in_force else item.qualified
        slots = " ".join(f"{{{slot}}}" for slot in item.placeholders)
        about = item.prompt.description or item.prompt.text.splitlines()[0][:60]
        lines.append("  ".join(part for part in (f"{name:<24}", slots, about,
                                                 f"[{where(item)}]") if part))
    return [*lines, f"use one with {USAGE}; placeholders left out are asked for"]


def show_lines(request: PromptRequest) -> list[str]:
    """A prompt in full: where it comes from, its placeholders, the text it sends."""
    item = request.chosen
    lines = [f"prompt {item.name} from {where(item)}: {item.entry.path or ''}".rstrip(": ")]
    if item.prompt.description:
        lines.append(item.prompt.description)
    if item.placeholders:
        lines.append("placeholders: " + ", ".join(
            f"{slot} = {request.values[slot]}" if request.values.get(slot) else slot
            for slot in item.placeholders))
    return [*lines, "--- text ---", *request.text().splitlines()]


"""The action registry: every user action defined once, for keys, palette and slash commands."""

from __future__ import annotations

from dataclasses import dataclass

from tui.errors import ActionRefused


@dataclass(frozen=True)
class Action:
    """One thing a user can do, however they ask for it."""

    id: str  # stable id; also the Binding id that `keymap` in config.toml remaps
    key: str  # default key in the TUI (Textual key syntax)
    title: str  # command palette and footer
    slash: str  # REPL / slash command, without the slash
    help: str  # one line for /help and the palette
    args: str = ""  # argument synopsis for /help, e.g. "[N]"
    footer: bool = True
    short: str = ""  # footer label where the title is too long for a full footer
    key_display: str | None = None  # how the footer shows the key, when not the default

    @property
    def footer_label(self) -> str:
        return self.short or self.title

    @property
    def method(self) -> str:
        """The Textual action name: `action_<method>` handles it."""
        return self.id.replace("-", "_")

    @property
    def command(self) -> str:
        return f"/{self.slash}"


ACTIONS: tuple[Action, ...] = (
    Action("send", "enter", "Send", "send", "Send the prompt to the model", args="TEXT",
           footer=False),
    Action("help", "f1", "Help", "help", "List every action with its key and command"),
    Action("stop", "escape", "Stop", "stop", "Stop the answer being generated"),
    Action("mark", "f2", "Mark", "mark",
           "Mark the last answer valid|invalid|understood|misunderstood, with a reason",
           args="valid|invalid|understood|misunderstood [reason] [#value …]"),
    Action("assumptions", "f4", "Assumptions", "assumptions",
           "What lies behind an answer: what the model was told, its own account, confidence, "
           "places, citations, risk", args="[ask] [MESSAGE_ID]", short="Why?"),
    Action("confidence", "ctrl+g", "Confidence", "confidence",
           "Highlight the stretches of the last answer the model was least sure of (toggle)",
           short="Unsure"),
    Action("retry", "ctrl+r", "Retry", "retry",
           "A new answer to the last prompt (after a mark: told what was wrong)",
           args="[plain]"),
    Action("rewind", "ctrl+b", "Rewind", "rewind",
           "Step back N exchanges (default 1); the dropped turns stay as a branch", args="[N]"),
    Action("previous-answer", "alt+left", "Previous answer", "prev",
           "Show the previous answer to the last prompt", short="Answers",
           key_display="alt+←/→"),
    Action("next-answer", "alt+right", "Next answer", "next",
           "Show the next answer to the last prompt", footer=False),
    Action("branches", "ctrl+t", "Branches", "branches",
           "List this conversation's branches, or return to one", args="[ID]"),
    Action("fork", "ctrl+f", "Fork", "fork",
           "Start a new session from a copy of this conversation", args="[MESSAGE_ID]"),
    Action("diary", "f5", "Diary", "diary",
           "Record a Misalignment Diary entry about the last answer (prefilled)",
           args="[outcome note]"),
    Action("diary-list", "f8", "Diary entries", "diaries",
           "List, filter, edit and delete diary entries", args="[outcome:… value:… since:…]",
           short="Entries"),
    Action("pause", "f6", "Pause", "pause",
           "Step away from the model for a while; the pause is recorded",
           args="[minutes] [why]"),
    Action("resume", "f7", "Resume", "resume", "End a pause and use the model again"),
    Action("guide", "f10", "When is it useful?", "guide",
           "What this model seems good and bad at, from your own marks and diary",
           short="Guide"),
    Action("override-limits", "f9", "Override limits", "override",
           "Go on past the profile's daily limits for today (a deliberate choice)",
           short="Override"),
    Action("profile", "f3", "Profile", "profile",
           "Show, switch or edit the value profile", args="[NAME|list|show|set KEY=VALUE]"),
    Action("ground", "alt+g", "Ground in your library", "ground",
           "Ground the next answers in your own library (PDFs, notes, BibTeX), cited as [1], "
           "[2], or stop; for this session", args="[on|off]", short="Ground"),
    Action("model", "alt+m", "Switch model", "model",
           "Switch to another model (`coalign models` lists them); it loads in the "
           "background and the conversation goes on", args="[NAME]", short="Model"),
    Action("prompt", "ctrl+l", "Prompt library", "prompt",
           "Send a prompt of the shared library (its {placeholders} filled in); the use is "
           "recorded", args="[NAME [VALUE | VALUE …] [KEY=VALUE …]]", short="Prompts"),
    Action("new-session", "ctrl+n", "New session", "new", "Start a new conversation", short="New"),
    Action("open-session", "ctrl+o", "Open session", "open",
           "Open a past conversation", args="[ID]", short="Open"),
    Action("copy-answer", "ctrl+y", "Copy answer", "copy",
           "Copy the last answer to the clipboard", short="Copy"),
    Action("quit", "ctrl+q", "Quit", "quit", "Leave coalign (the conversation is saved)"),
)

_BY_ID = {action.id: action for action in ACTIONS}
_BY_SLASH = {action.slash: action for action in ACTIONS}


def action(action_id: str) -> Action:
    return _BY_ID[action_id]


def by_slash(name: str) -> Action | None:
    """The action a slash command names (`/open` -> open-session), or None."""
    return _BY_SLASH.get(name.lstrip("/").lower())


def parse_slash(line: str) -> tuple[Action | None, str]:
    """Split '/open 3' into (open-session, '3'); a line without a slash is (None, line)."""
    if not line.startswith("/"):
        return None, line
    name, _, rest = line[1:].partition(" ")
    return by_slash(name), rest.strip()


def id_argument(arg: str, what: str) -> int | None:
    """A slash command's id argument: '' -> None, '12' or '#12' -> 12; else ActionRefused."""
    text = arg.strip().lstrip("#")
    if not text:
        return None
    if not text.isdigit():
        raise ActionRefused(f"{what} takes an id such as 12, not {arg.strip()!r}")
    return int(text)


def retry_argument(arg: str) -> bool:
    """`/retry [plain]`: True for a plain retry (no feedback from a mark)."""
    word = arg.strip().lower()
    if word not in ("", "plain"):
        raise ActionRefused(f"usage: /retry [plain], not /retry {arg.strip()}")
    return word == "plain"


def count_argument(arg: str, what: str, default: int = 1) -> int:
    """A slash command's count argument ('' -> default); a positive whole number."""
    text = arg.strip()
    if not text:
        return default
    if not text.isdigit() or int(text) < 1:
        raise ActionRefused(f"{what} takes a positive whole number, not {text!r}")
    return int(text)

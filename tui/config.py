"""The user's config file: one TOML file, checked key by key, never fatal."""

from __future__ import annotations

import errno
import math
import os
import re
import tomllib
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from difflib import get_close_matches
from pathlib import Path
from typing import Any, TypedDict
from urllib.parse import urlsplit

from tui.actions import ACTIONS
from tui.errors import CoalignError, FileIssue

DEFAULT_SYSTEM_PROMPT = (
    "You are coalign, a careful research assistant. Answer clearly and concisely. "
    "Say when you are unsure, and never invent sources."
)
MAX_CONFIG_BYTES = 256 * 1024  # like profiles: a config is a few lines, never megabytes
MAX_ISSUES = 20  # then one "and N more" line


@dataclass(frozen=True)
class Config:
    """Settings for the engine and the interfaces; every field has a working default."""

    model: str | None = None
    threads: int = field(default_factory=lambda: os.cpu_count() or 1)
    adaptive_threads: bool = True  # fewer threads while other programs keep cores busy
    context: int = 4096
    gpu_layers: int = 0
    seed: int | None = None
    temperature: float = 0.7
    max_tokens: int = 512
    profile: str | None = None  # value profile name; None: the neutral one
    pseudonym: str = ""  # seeds the diary's participant file: never a real name
    consent: bool = False  # seeds it too: whether diary entries may be exported for a study
    diary_dir: str | None = None  # the diary folder (default data/diary), e.g. a study clone
    theme: str = "textual-dark"
    keymap: dict[str, str] = field(default_factory=dict)
    backend: str = "local"  # "local": a GGUF file here; "openai": an OpenAI-compatible server
    base_url: str | None = None  # the server's root, e.g. http://127.0.0.1:8000 (/v1 optional)
    api_key_env: str | None = None  # the NAME of the variable holding the key, never the key
    remote_model: str | None = None  # the server's model name (default: the first it lists)
    connect_timeout: float = 10.0  # seconds to open a connection to the server
    request_timeout: float = 120.0  # seconds the server may stay silent before it is given up
    bibliographies: tuple[str, ...] = ()  # your .bib files: the panel checks citations in them
    chat_format: str | None = None  # llama-cpp-python chat format for every local model
    model_dirs: tuple[str, ...] = ()  # more folders of GGUF files for `coalign models` to list

    def with_overrides(self, **values: Any) -> Config:
        """A copy with the given non-None values replaced (command-line flags), each checked
        as config.toml's are; a bad one raises FlagError, one line naming flag and range."""
        given = {k: v for k, v in values.items() if v is not None}
        if problems := flag_problems(given):
            raise FlagError("; ".join(problems))
        return replace(self, **given)


class FlagError(CoalignError):
    """A command-line flag's value is out of range or malformed (exit 2, before loading)."""


class EngineOverrides(TypedDict, total=False):
    """Settings given on the command line, which win over config.toml."""

    model: str
    gpu_layers: int
    threads: int
    context: int
    seed: int
    temperature: float
    max_tokens: int
    backend: str
    base_url: str
    api_key_env: str
    request_timeout: float
    chat_format: str


_LIMITS: dict[str, tuple[float, float]] = {
    "threads": (1, 512),
    "context": (256, 1_048_576),
    "gpu_layers": (-1, 10_000),
    "seed": (0, 2**32 - 1),  # llama.cpp's seed is a uint32
    "temperature": (0.0, 5.0),
    "max_tokens": (1, 1_048_576),
    "connect_timeout": (0.1, 600.0),
    "request_timeout": (1.0, 3600.0),
}
BACKENDS = ("local", "openai")
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_FORMAT_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")


def base_url_problem(url: str) -> str | None:
    """Why url cannot be a server's address (None: it can)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return f"'{url}' is not an http:// or https:// address with a host"
    try:
        parts.port  # noqa: B018 - raises on a bad port
    except ValueError:
        return f"'{url}' has a bad port number"
    if parts.query or parts.fragment:
        return f"'{url}' has a query or fragment; give the server's root, e.g. http://HOST:8000"
    return None


def _number(value: float) -> str:
    """1048576, 0.1, 5: never 1.04858e+06."""
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        return str(int(value))
    return str(value)


def _expected(name: str) -> str:
    if name in ("bibliographies", "model_dirs"):
        return "a list of file paths in quotes"
    if name == "keymap":
        return 'a table of action = "key" lines'
    kind = {f.name: str(f.type) for f in fields(Config)}[name]
    if kind == "bool":
        return "true or false"
    if "int" in kind:
        return "a whole number"
    return "a number" if "float" in kind else "text in quotes"


def _type_ok(name: str, value: Any) -> bool:
    expected = {f.name: f.type for f in fields(Config)}[name]
    if name in ("bibliographies", "model_dirs"):
        return isinstance(value, list) and all(isinstance(item, str) for item in value)
    if name == "keymap":
        return isinstance(value, dict)  # its entries are checked one by one
    if expected == "bool":
        return isinstance(value, bool)
    if "int" in expected and "float" not in expected:
        return isinstance(value, int) and not isinstance(value, bool)
    if "float" in expected:
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    return isinstance(value, str)


def _problem(key: str, value: Any, subject: str, sep: str) -> str | None:
    """What is wrong with one setting (None: nothing); subject names it ('threads' or
    --threads), sep goes between it and the value (' = ' in the file, ' ' on the line)."""
    if not _type_ok(key, value):
        return f"{subject} has the wrong type ({type(value).__name__}): expected {_expected(key)}"
    if key in _LIMITS and not _LIMITS[key][0] <= value <= _LIMITS[key][1]:
        low, high = _LIMITS[key]
        return f"{subject}{sep}{_number(value)} is out of range {_number(low)}..{_number(high)}"
    if key == "backend" and value not in BACKENDS:
        return f"{subject}{sep}'{value}' is not one of {', '.join(BACKENDS)}"
    if key == "base_url" and (problem := base_url_problem(value)):
        return f"{subject}: {problem}" if sep == " = " else f"{subject} {problem}"
    if key == "api_key_env" and not _ENV_NAME.fullmatch(value):
        return (f"{subject} names the environment variable that holds the key (e.g. "
                "OPENAI_API_KEY), not the key itself; never put a key in the config")
    if key == "chat_format" and not _FORMAT_NAME.fullmatch(value):
        return f"{subject} is not a chat format name (e.g. chatml, llama-3)"
    return None


def flag_problems(values: Mapping[str, Any]) -> list[str]:
    """One line for each command-line value that config.toml would refuse too."""
    known = {f.name for f in fields(Config)}
    return [problem for key, value in values.items() if key in known
            if (problem := _problem(key, value, f"--{key.replace('_', '-')}", " "))]


ConfigIssue = FileIssue  # One problem in the config file: file:line: what and how to fix


# Line numbers: one pass over the text, never a search per key -------------------------

_PART = r"""(?:[A-Za-z0-9_-]+|"(?:[^"\\\n]|\\.)*"|'[^'\n]*')"""
_DOTTED = rf"{_PART}(?:[ \t]*\.[ \t]*{_PART})*"
_TOML_LINE = re.compile(rf"[ \t]*(?:\[\[?[ \t]*({_DOTTED})[ \t]*\]|({_DOTTED})[ \t]*=)")


def _parts(dotted: str) -> tuple[str, ...]:
    found = []
    for part in re.findall(_PART, dotted):
        if part[0] == '"':
            try:
                part = tomllib.loads(f"k = {part}")["k"]
            except tomllib.TOMLDecodeError:
                part = part[1:-1]
        elif part[0] == "'":
            part = part[1:-1]
        found.append(part)
    return tuple(found)


def toml_lines(text: str) -> dict[tuple[str, ...], int]:
    """Where each table and key of a TOML text is first named (1-based), by dotted path:
    ("threads",), ("keymap",), ("keymap", "stop"). Approximate inside multi-line strings."""
    found: dict[tuple[str, ...], int] = {}
    table: tuple[str, ...] = ()
    closing: str | None = None  # inside a multi-line string: its closing quotes
    for number, line in enumerate(text.split("\n"), 1):
        if closing is not None:
            if line.count(closing) % 2 == 1:
                closing = None
            continue
        if match := _TOML_LINE.match(line):
            if match.group(1) is not None:
                table = _parts(match.group(1))
                path = table
            else:
                path = table + _parts(match.group(2))
            for end in range(1, len(path) + 1):
                found.setdefault(path[:end], number)
        closing = next((q for q in ('"""', "'''") if line.count(q) % 2 == 1), None)
    return found


def toml_error_line(error: tomllib.TOMLDecodeError) -> tuple[int | None, str]:
    """The line a TOML parse error names, and its message without the position."""
    found = re.search(r"at line (\d+)", str(error))
    return (int(found.group(1)) if found else None), str(error).split(" (at ")[0]


# The keymap: each entry on its own; quit always keeps a working key ---------------------

_MODIFIERS = ("ctrl", "alt", "shift", "meta", "super", "hyper")
_NAMED_KEYS = frozenset({
    "escape", "enter", "tab", "backspace", "delete", "insert", "home", "end", "pageup",
    "pagedown", "up", "down", "left", "right", "space", *(f"f{n}" for n in range(1, 25)),
})
_CHARACTER_KEYS = frozenset({"slash", "backslash", "at", "minus", "plus", "underscore"})
_TYPING_KEYS = frozenset({"space", "backspace", "delete", "left", "right", "home", "end"})
_RESERVED_KEYS = {"ctrl+p": "the command palette", "ctrl+c": "copying the selection"}


def _character_name(char: str) -> str:
    """Textual's name for a one-character key: 'a', '1', 'question_mark', 'slash'."""
    if char.isalnum():
        return char
    name = unicodedata.name(char, char).lower().replace("-", "_").replace(" ", "_")
    return {"solidus": "slash", "reverse_solidus": "backslash", "commercial_at": "at",
            "hyphen_minus": "minus", "plus_sign": "plus", "low_line": "underscore"}.get(name, name)


def _key_problem(key: str) -> str | None:
    """Why key is not a Textual key a binding can use (None: it is)."""
    *modifiers, base = key.split("+")
    if not key:
        return "no key is given"
    if not base:
        return f"'{key}' ends in '+' (the + key is called plus)"
    if bad := [m for m in modifiers if m not in _MODIFIERS]:
        return f"'{bad[0]}' is not a modifier ({', '.join(_MODIFIERS)})"
    if len(set(modifiers)) < len(modifiers):
        return f"'{key}' names a modifier twice"
    named = base in _NAMED_KEYS and base not in _CHARACTER_KEYS
    if len(base) == 1:
        if not base.isprintable() or base.isspace():
            return f"'{key}' is not a printable key"
        if modifiers and not base.isalnum():
            return f"Textual calls this key {'+'.join([*modifiers, _character_name(base)])}"
        if modifiers and base.isupper():
            return f"Textual names letter keys in lower case ({key.lower()}; add shift+)"
    elif not named and base not in _CHARACTER_KEYS and not _is_character_name(base):
        return f"'{base}' is not a key name Textual knows (e.g. ctrl+x, f5, escape, pageup)"
    if not set(modifiers) - {"shift"} and (not named or base in _TYPING_KEYS):
        return f"'{key}' is needed for typing in the prompt: add ctrl+ or alt+, or use F1-F24"
    return None


def _is_character_name(name: str) -> bool:
    try:
        unicodedata.lookup(name.replace("_", " "))
    except KeyError:
        return False
    return True


def _canonical(key: str) -> str:
    *modifiers, base = key.split("+")
    return "+".join([*sorted(modifiers), _character_name(base) if len(base) == 1 else base])


def check_keymap(keymap: Mapping[str, object]) -> tuple[dict[str, str], list[tuple[str, str]]]:
    """The [keymap] entries that can be used, and (action id, problem) for each other one.

    Each entry is checked on its own: an unknown action, a value that is not a key, bad
    key syntax, or a key another action (or Textual) already has. A refused entry keeps
    its action's default key, so quit always has a working key (ctrl+q by default).
    """
    defaults = {action.id: action.key for action in ACTIONS}
    usable: dict[str, str] = {}
    problems: list[tuple[str, str]] = []
    listed = False
    for action_id, value in keymap.items():
        name = f"keymap.{action_id}"
        if action_id not in defaults:
            close = get_close_matches(action_id, list(defaults), n=1)
            hint = f"did you mean '{close[0]}'?" if close else (
                "see the actions listed above" if listed else f"actions: {', '.join(defaults)}")
            listed = listed or not close
            problems.append((action_id, f"'{name}': no action is called '{action_id}' ({hint}); "
                                        "remove the line"))
            continue
        keep = f"; keeping its default key ({defaults[action_id]})"
        if not isinstance(value, str):
            problems.append((action_id, f"'{name}' has the wrong type ({type(value).__name__}):"
                             f" expected a key in quotes, e.g. \"{defaults[action_id]}\"{keep}"))
            continue
        keys = [key.strip() for key in value.split(",")]
        if problem := next((p for key in keys if (p := _key_problem(key))), None):
            problems.append((action_id, f"'{name}' = \"{value}\": {problem}{keep}"))
            continue
        usable[action_id] = ",".join(keys)
    while (clash := _first_clash(defaults, usable)) is not None:
        action_id, owner = clash
        quits = " (nothing would quit)" if owner == "quit" else ""
        problems.append((action_id, f"'keymap.{action_id}' = \"{usable.pop(action_id)}\" is "
                         f"already the key of {owner}{quits}; keeping its default key "
                         f"({defaults[action_id]})"))
    return usable, problems


def _first_clash(defaults: dict[str, str], usable: dict[str, str]) -> tuple[str, str] | None:
    """The first remapped action whose key is taken (by an unchanged action, an earlier
    entry, or Textual), and what has it."""
    owners = dict(_RESERVED_KEYS)
    for action_id in [a for a in defaults if a not in usable] + list(usable):
        for key in usable.get(action_id, defaults[action_id]).split(","):
            taken = owners.setdefault(_canonical(key), action_id)
            if taken != action_id and action_id in usable:
                return action_id, taken
    return None


# Loading -------------------------------------------------------------------------------

def _read(path: Path) -> str | FileIssue | None:
    """The config's text, an issue saying why it can't be used, or None when absent."""
    if not path.exists():
        if not path.is_symlink():
            return None
        try:
            os.stat(path)
        except OSError as exc:
            why = "loops back on itself" if exc.errno == errno.ELOOP else (
                f"points at {os.readlink(path)}, which does not exist")
            return FileIssue(path, None, f"is a symbolic link that {why}; fix or remove the "
                                         "link; using defaults")
    try:
        size = path.stat().st_size
        if size > MAX_CONFIG_BYTES:
            return FileIssue(path, None, f"is {size // 1024} KiB, config.toml is capped at "
                             f"{MAX_CONFIG_BYTES // 1024} KiB; using defaults")
        return path.read_bytes().decode("utf-8-sig")  # a BOM (Windows Notepad) is fine
    except (OSError, UnicodeDecodeError) as exc:
        return FileIssue(path, None, f"cannot read it ({exc}); using defaults")


def load_config(path: Path) -> tuple[Config, list[ConfigIssue]]:
    """Read the config; bad keys are reported and left at their defaults."""
    text = _read(path)
    if not isinstance(text, str):
        return Config(), [] if text is None else [text]
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        line, msg = toml_error_line(exc)
        return Config(), [
            ConfigIssue(path, line, f"not valid TOML: {msg}; fix that line or delete the file")
        ]
    lines = toml_lines(text)
    good: dict[str, Any] = {}
    issues = _issues(path, raw, lines, good)
    if len(issues) > MAX_ISSUES:
        more = len(issues) - MAX_ISSUES
        issues = issues[:MAX_ISSUES] + [ConfigIssue(
            path, None, f"and {more} more problem{'s' if more > 1 else ''}; fix the ones "
                        "above first")]
    return Config(**good), issues


def _issues(path: Path, raw: dict[str, Any], lines: dict[tuple[str, ...], int],
            good: dict[str, Any]) -> list[ConfigIssue]:
    """Each problem of raw, in file order; the usable values go into good."""
    known = sorted(f.name for f in fields(Config))
    issues: list[ConfigIssue] = []
    listed = False
    for key, value in raw.items():
        line = lines.get((key,))
        if key in ("api_key", "openai_api_key"):
            issues.append(ConfigIssue(
                path, line, f"'{key}': coalign never reads a key from the config; export it "
                "in an environment variable and name that in api_key_env (remove this line)"))
        elif key not in known:  # past MAX_ISSUES the lines are only counted: no hints looked for
            close = get_close_matches(key, known, n=1) if len(issues) < MAX_ISSUES else []
            hint = f"did you mean '{close[0]}'?" if close else (
                "see the known keys above" if listed else f"known keys: {', '.join(known)}")
            listed = listed or not close
            issues.append(ConfigIssue(path, line, f"unknown key '{key}' ({hint}); remove it"))
        elif key == "keymap" and isinstance(value, dict):
            keymap, problems = check_keymap(value)
            good[key] = keymap
            issues += [ConfigIssue(path, lines.get((key, action_id), line), problem)
                       for action_id, problem in problems]
        elif (wrong := _problem(key, value, f"'{key}'", " = ")) is not None:
            default = {f.name: f for f in fields(Config)}[key].default
            using = "; using local" if key == "backend" else "" if key == "api_key_env" else (
                "; ignored" if default is None else "; using the default")
            issues.append(ConfigIssue(path, line, wrong + using))
        else:
            good[key] = tuple(value) if isinstance(value, list) else value
    return issues

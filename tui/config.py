"""The user's config file: one TOML file, checked key by key, never fatal."""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any, TypedDict
from urllib.parse import urlsplit

from tui.errors import FileIssue

DEFAULT_SYSTEM_PROMPT = (
    "You are coalign, a careful research assistant. Answer clearly and concisely. "
    "Say when you are unsure, and never invent sources."
)


@dataclass(frozen=True)
class Config:
    """Settings for the engine and the interfaces; every field has a working default."""

    model: str | None = None
    threads: int = field(default_factory=lambda: os.cpu_count() or 1)
    context: int = 4096
    gpu_layers: int = 0
    seed: int | None = None
    temperature: float = 0.7
    max_tokens: int = 512
    profile: str | None = None  # value profile name; None: the neutral one
    pseudonym: str = "P01"  # what diary entries carry: never a real name
    consent: bool = False  # whether diary entries may be exported for a study
    theme: str = "textual-dark"
    keymap: dict[str, str] = field(default_factory=dict)
    backend: str = "local"  # "local": a GGUF file here; "openai": an OpenAI-compatible server
    base_url: str | None = None  # the server's root, e.g. http://127.0.0.1:8000 (/v1 optional)
    api_key_env: str | None = None  # the NAME of the variable holding the key, never the key
    remote_model: str | None = None  # the server's model name (default: the first it lists)
    connect_timeout: float = 10.0  # seconds to open a connection to the server
    request_timeout: float = 120.0  # seconds the server may stay silent before it is given up
    bibliographies: tuple[str, ...] = ()  # your .bib files: the panel checks citations in them

    def with_overrides(self, **values: Any) -> Config:
        """A copy with the given non-None values replaced (command-line flags)."""
        return replace(self, **{k: v for k, v in values.items() if v is not None})


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


_LIMITS: dict[str, tuple[float, float]] = {
    "threads": (1, 512),
    "context": (256, 1_048_576),
    "gpu_layers": (-1, 10_000),
    "temperature": (0.0, 5.0),
    "max_tokens": (1, 1_048_576),
    "connect_timeout": (0.1, 600.0),
    "request_timeout": (1.0, 3600.0),
}
BACKENDS = ("local", "openai")
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


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


def _value_problem(key: str, value: Any) -> str | None:
    """A key-specific check beyond type and range (None: the value is fine)."""
    if key == "backend" and value not in BACKENDS:
        return f"'backend' = '{value}' is not one of {', '.join(BACKENDS)}; using local"
    if key == "base_url" and (problem := base_url_problem(value)):
        return f"'base_url': {problem}"
    if key == "api_key_env" and not _ENV_NAME.fullmatch(value):
        return ("'api_key_env' names the environment variable that holds the key (e.g. "
                "OPENAI_API_KEY), not the key itself; never put a key in the config")
    return None


ConfigIssue = FileIssue  # One problem in the config file: file:line: what and how to fix


def _line_of(text: str, key: str) -> int | None:
    pattern = re.compile(rf"^\s*[\"']?{re.escape(key)}[\"']?\s*=", re.MULTILINE)
    match = pattern.search(text)
    return text.count("\n", 0, match.start()) + 1 if match else None


def _type_ok(name: str, value: Any) -> bool:
    expected = {f.name: f.type for f in fields(Config)}[name]
    if name == "bibliographies":
        return isinstance(value, list) and all(isinstance(item, str) for item in value)
    if name == "keymap":
        return isinstance(value, dict) and all(
            isinstance(k, str) and isinstance(v, str) for k, v in value.items()
        )
    if expected == "bool":
        return isinstance(value, bool)
    if "int" in expected and "float" not in expected:
        return isinstance(value, int) and not isinstance(value, bool)
    if "float" in expected:
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    return isinstance(value, str)


def load_config(path: Path) -> tuple[Config, list[ConfigIssue]]:
    """Read the config; bad keys are reported and left at their defaults."""
    if not path.exists():
        return Config(), []
    try:
        text = path.read_text(encoding="utf-8")
        raw = tomllib.loads(text)
    except (OSError, UnicodeDecodeError) as exc:
        return Config(), [ConfigIssue(path, None, f"cannot read it ({exc}); using defaults")]
    except tomllib.TOMLDecodeError as exc:
        found = re.search(r"at line (\d+)", str(exc))
        line = int(found.group(1)) if found else None
        msg = str(exc).split(" (at ")[0]
        return Config(), [
            ConfigIssue(path, line, f"not valid TOML: {msg}; fix that line or delete the file")
        ]
    known = {f.name for f in fields(Config)}
    good: dict[str, Any] = {}
    issues: list[ConfigIssue] = []
    for key, value in raw.items():
        line = _line_of(text, key)
        if key in ("api_key", "openai_api_key"):
            issues.append(ConfigIssue(
                path, line, f"'{key}': coalign never reads a key from the config; export it "
                "in an environment variable and name that in api_key_env (remove this line)"
            ))
        elif key not in known:
            issues.append(ConfigIssue(
                path, line,
                f"unknown key '{key}'; remove it (known keys: {', '.join(sorted(known))})"
            ))
        elif not _type_ok(key, value):
            issues.append(ConfigIssue(
                path, line,
                f"'{key}' has the wrong type ({type(value).__name__}); using the default"
            ))
        elif key in _LIMITS and not _LIMITS[key][0] <= value <= _LIMITS[key][1]:
            low, high = _LIMITS[key]
            issues.append(ConfigIssue(
                path, line,
                f"'{key}' = {value} is out of range {low:g}..{high:g}; using the default"
            ))
        elif (problem := _value_problem(key, value)) is not None:
            issues.append(ConfigIssue(path, line, problem))
        else:
            good[key] = tuple(value) if isinstance(value, list) else value
    return Config(**good), issues

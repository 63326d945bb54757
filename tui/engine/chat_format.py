"""Which chat format a local model answers in: its GGUF's template, or one the user names.

Plain decisions and wording, kept apart from llama.py (the only importer of llama_cpp).
A GGUF without a chat template makes llama-cpp-python fall back to its generic llama-2
format, whose answers from most models are garbage: that is warned about. A template that
does not compile stops the load, unless a format is named: --chat-format, `chat_format` in
config.toml (both for every model), or `chat_format` in the model's models.toml entry.
"""

from __future__ import annotations

from pathlib import Path

from tui.errors import ModelError

FIX = "pass --chat-format NAME or set chat_format in models.toml"
FALLBACK = "llama-2"  # what llama-cpp-python uses when a GGUF has no template


def unknown_format(name: str, known: list[str]) -> ModelError:
    return ModelError(f"chat format '{name}' is unknown to llama-cpp-python; use one of "
                      f"{', '.join(sorted(known))} (--chat-format or chat_format)")


def broken_template(path: Path, problem: str) -> ModelError:
    return ModelError(f"{path}: its chat template is broken ({problem}); {FIX}")


def template_warnings(path: Path, template: str | None, problem: str | None,
                      named: str | None) -> list[str]:
    """What to tell the user about a loaded model's chat format (one line each).

    Raises ModelError when its template is broken and no format was named instead.
    """
    if named is not None:
        return []
    if problem is not None:
        raise broken_template(path, problem)
    if not (template or "").strip():
        return [f"{path.name} has no chat template, so its answers may be garbage "
                f"(llama-cpp-python's generic {FALLBACK} format is used); {FIX}, e.g. chatml"]
    return []

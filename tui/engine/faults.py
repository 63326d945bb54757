"""llama.cpp's failures, each said as one line that names the cause and the fix."""

from __future__ import annotations

import re
from pathlib import Path

from tui.engine.chat_format import FIX
from tui.errors import CoalignError, ModelError

_OVERFLOW = re.compile(r"Requested tokens \((\d+)\) exceed context window of (\d+)")
_TEMPLATE_FILE = "<template>"  # how Jinja names the code it compiles from a template


class ContextOverflow(CoalignError):
    """The prompt, with the oldest exchanges already dropped, is larger than the context."""

    def __init__(self, n_ctx: int, needed: int | None = None) -> None:
        needs = f", it needs {needed}" if needed else ""
        super().__init__(f"the conversation no longer fits the context window ({n_ctx} "
                         f"tokens{needs}): rewind, start a new session or raise --context")


def load_error(path: Path, n_ctx: int, error: Exception) -> ModelError:
    """Why llama.cpp did not load the model: the context it could not allocate, or the file."""
    if "llama_context" in str(error):
        return ModelError(f"llama.cpp could not set up a context of {n_ctx} tokens for {path} "
                          f"({error}; too little memory for it?): lower --context or "
                          "`context` in config.toml")
    return ModelError(
        f"llama.cpp could not load {path} ({error}); the file may be truncated or corrupt, "
        "or need a newer llama-cpp-python: download it again"
    )


def _raised_in_template(error: BaseException) -> bool:
    trace = error.__traceback__
    while trace is not None:
        if trace.tb_frame.f_code.co_filename == _TEMPLATE_FILE:
            return True
        trace = trace.tb_next
    return False


def generation_error(error: Exception, model: Path) -> Exception:
    """A failed answer's error, said so the user can act on it."""
    if found := _OVERFLOW.search(str(error)):
        return ContextOverflow(int(found.group(2)), int(found.group(1)))
    if _raised_in_template(error):
        return ModelError(f"{model.name}'s chat template failed on this conversation "
                          f"({error or type(error).__name__}); {FIX}")
    if isinstance(error, (CoalignError, ValueError, RuntimeError)):
        return error
    return ModelError(f"llama.cpp failed on this answer ({type(error).__name__}: {error})")

"""llama.cpp's C-side log lines and llama-cpp-python's prints, routed to Python logging.

llama.py, the only importer of llama_cpp, hands the binding in as `lib`.
"""

from __future__ import annotations

import ctypes
import logging
from typing import Any

log = logging.getLogger("coalign.llama")
_GGML_LEVELS = {1: logging.DEBUG, 2: logging.INFO, 3: logging.WARNING, 4: logging.ERROR}  # ggml.h
_last_level = [logging.DEBUG]
_callback: list[Any] = []  # the ctypes callback, kept alive while llama.cpp holds it


def _log_to_logging(level: int, text: bytes, _user_data: ctypes.c_void_p) -> None:
    """One of llama.cpp's log lines, to logging instead of the terminal."""
    if level != 5:  # 5 continues the previous line
        _last_level[0] = _GGML_LEVELS.get(level, logging.DEBUG)
    log.log(_last_level[0], "%s", text.decode("utf-8", "replace").rstrip())


def install_log_callback(lib: Any) -> None:
    """Route llama.cpp's log lines to logging (again after a model load, which resets it)."""
    if not _callback:
        _callback.append(lib.llama_log_callback(_log_to_logging))
    lib.llama_log_set(_callback[0], ctypes.c_void_p(0))


def _print_to_logging(*values: object, **_options: object) -> None:
    """Stands in for print() inside llama_cpp's modules, whose verbose prints go to stderr."""
    log.debug("%s", " ".join(str(value) for value in values))


def route_library_prints(lib: Any) -> None:
    """llama_cpp's own prints to logging."""
    # A module-level name shadows the builtin for that module only: no global stream swap,
    # which another thread (a REPL prompt, the TUI) would otherwise write into.
    for module in (lib.llama, lib.llama_chat_format):
        module.print = _print_to_logging

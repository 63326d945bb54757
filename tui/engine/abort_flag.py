"""A stop flag llama.cpp reads without Python: libc's strlen over a two-byte buffer.

ggml's CPU backend calls the abort callback once per graph node (hundreds of times per
token) from a worker thread. A Python callback must take the GIL each time and waits
behind whatever the UI thread is doing: generation fell from ~50 to ~1 token/s here with
a busy main thread. strlen(buffer) returns 0 while the buffer is "\\0\\0" and 1 once it is
"x\\0", which is exactly the callback's bool, with no Python involved. Where libc can't be
found, a Python callback stands in. llama.py hands in the binding's callback type.
"""

from __future__ import annotations

import ctypes
import ctypes.util
from typing import Any


class AbortFlag:
    """set() makes llama.cpp's running decode return (llama_decode returns 2)."""

    def __init__(self, callback_type: Any) -> None:
        self._buffer = ctypes.create_string_buffer(2)
        self.data = ctypes.cast(self._buffer, ctypes.c_void_p)
        try:
            strlen = ctypes.CDLL(ctypes.util.find_library("c") or None).strlen
            self.callback = ctypes.cast(strlen, callback_type)
        except (OSError, AttributeError):
            self.callback = callback_type(lambda _data: self.is_set())

    def set(self) -> None:
        self._buffer[0] = b"x"

    def clear(self) -> None:
        self._buffer[0] = b"\0"

    def is_set(self) -> bool:
        return self._buffer[0] != b"\0"

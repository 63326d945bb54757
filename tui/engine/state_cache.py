"""A Llama's KV cache saved to and restored from a kv_state.StateStore.

llama.py (the only importer of llama_cpp) hands in the binding as `lib`; everything here
runs on the engine's owner thread. Saving copies sequence 0's state with llama.cpp's
llama_state_seq_get_data (the KV cells only, ~20 MB per 1,000 tokens for SmolLM2, no
logits); restoring writes it back with llama_state_seq_set_data and sets the Llama's
token bookkeeping to the saved tokens, so its prefix reuse carries on from there.
"""

from __future__ import annotations

import ctypes
import logging
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from tui.engine import kv_state

log = logging.getLogger("coalign.kv_state")


class StateCache:
    """Save and restore one Llama's KV cache under a key (model, settings, vectors)."""

    def __init__(self, lib: Any, store: kv_state.StateStore) -> None:
        self._lib = lib
        self.store = store

    def _clear(self, llm: Any) -> None:
        llm.reset()
        self._lib.llama_memory_clear(self._lib.llama_get_memory(llm.ctx), True)

    def restore(self, llm: Any, key: Mapping[str, object], tokens: Sequence[int],
                cached: int) -> int:
        """Load the saved state holding the longest prefix of tokens if it holds more than
        the cached prefix; how many of tokens the cache now holds."""
        entry = self.store.best(key, tokens, longer_than=cached)
        if entry is None:
            return cached

        def load(buffer: Any, size: int) -> bool:
            self._clear(llm)
            return bool(self._lib.llama_state_seq_set_data(llm.ctx, buffer, size, 0))

        try:
            loaded = entry.with_state(load)
        except (OSError, ValueError) as exc:  # ValueError: mmap of a file emptied meanwhile
            log.warning("saved KV cache %s unreadable (%s); evaluating again", entry.path, exc)
            return cached
        if not loaded:
            log.warning("saved KV cache %s did not load; evaluating again", entry.path)
            self._clear(llm)
            return 0
        count = len(entry.tokens)
        llm.input_ids[:count] = entry.tokens
        llm.n_tokens = count
        self.store.touch(entry.path)
        log.info("restored %d tokens of KV cache from %s", count, entry.path)
        return count

    def save(self, llm: Any, key: Mapping[str, object]) -> Path | None:
        """Save what the cache holds now (None: too short to be worth it, or not saved)."""
        count = int(llm.n_tokens)
        if count < kv_state.MIN_TOKENS:
            return None
        tokens = llm.input_ids[:count]
        if (saved := self.store.path_for(key, tokens)).exists():  # unchanged since saved
            self.store.touch(saved)
            return saved
        llm._ctx.kv_cache_seq_rm(-1, count, -1)  # nothing but the tokens it is saved with
        size = self._lib.llama_state_seq_get_size(llm.ctx, 0)
        buffer = (ctypes.c_uint8 * size)()
        written = self._lib.llama_state_seq_get_data(llm.ctx, buffer, size, 0)
        if not written:
            return None
        return self.store.save(key, tokens, memoryview(buffer).cast("B")[:written])

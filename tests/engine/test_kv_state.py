"""Saved KV states: used only under the same key and for a matching prefix; size cap, LRU."""

from __future__ import annotations

import os
from pathlib import Path

from tui.engine.kv_state import MIN_TOKENS, StateStore, common_prefix, model_key

KEY = {"model": "m.gguf", "n_ctx": 2048}
HISTORY = list(range(100, 100 + 2 * MIN_TOKENS))


def cells(buffer: object, size: int) -> bytes:
    """The saved KV cells as Entry.with_state hands them over (mapped from the file)."""
    data = bytes(buffer)  # type: ignore[call-overload]
    assert len(data) == size
    return data


def test_the_longest_saved_prefix_of_the_prompt_is_found_with_its_state(tmp_path: Path) -> None:
    store = StateStore(tmp_path)
    store.save(KEY, HISTORY[:MIN_TOKENS], b"short")
    store.save(KEY, HISTORY, b"long")
    best = store.best(KEY, HISTORY + [1, 2, 3])
    assert best is not None and list(best.tokens) == HISTORY
    assert best.with_state(cells) == b"long"
    assert store.best(KEY, HISTORY + [1], longer_than=len(HISTORY)) is None  # cache has it


def test_a_state_whose_tokens_are_not_a_prefix_of_the_prompt_is_not_used(tmp_path: Path) -> None:
    store = StateStore(tmp_path)
    store.save(KEY, HISTORY, b"state")
    changed = [*HISTORY[:10], 7, *HISTORY[11:], 5]
    assert store.best(KEY, changed) is None
    assert store.best(KEY, HISTORY[:-1]) is None  # longer than the prompt itself


def test_a_state_saved_under_another_key_is_not_used(tmp_path: Path) -> None:
    store = StateStore(tmp_path)
    store.save(KEY, HISTORY, b"state")
    assert store.best({**KEY, "vectors": [["hedging.gguf", 4.0, 1]]}, HISTORY + [1]) is None
    assert store.best({**KEY, "n_ctx": 4096}, HISTORY + [1]) is None


def test_the_model_key_changes_when_the_model_file_does(tmp_path: Path) -> None:
    model = tmp_path / "m.gguf"
    model.write_bytes(b"GGUF one")
    before = model_key(model, n_ctx=2048)
    model.write_bytes(b"GGUF two, longer")
    assert model_key(model, n_ctx=2048) != before


def test_short_caches_and_ones_larger_than_the_cap_are_not_saved(tmp_path: Path) -> None:
    store = StateStore(tmp_path, cap_bytes=10_000)
    assert store.save(KEY, HISTORY[:MIN_TOKENS - 1], b"x") is None
    assert store.save(KEY, HISTORY, b"x" * 20_000) is None
    assert store.files() == []


def test_the_least_recently_used_states_are_evicted_down_to_the_cap(tmp_path: Path) -> None:
    store = StateStore(tmp_path)
    paths = []
    for n in range(3):  # each entry ~1,100 bytes: two fit under 2,500
        path = store.save(KEY, [n, *HISTORY], b"s" * 500)
        assert path is not None
        os.utime(path, ns=(n * 10**9, n * 10**9))  # saved in this order
        paths.append(path)
    store.touch(paths[0])  # the oldest is used again: now the newest
    store.cap_bytes = 2_500
    assert store.evict() == [paths[1]]
    assert not paths[1].exists() and paths[0].exists() and paths[2].exists()
    assert store.size_bytes() <= 2_500


def test_saving_the_same_cache_again_only_marks_it_used(tmp_path: Path) -> None:
    store = StateStore(tmp_path)
    first = store.save(KEY, HISTORY, b"state")
    assert first is not None
    os.utime(first, ns=(0, 0))
    assert store.save(KEY, HISTORY, b"other") == first
    saved = store.best(KEY, HISTORY)
    assert first.stat().st_mtime_ns > 0
    assert saved is not None and saved.with_state(cells) == b"state"


def test_a_damaged_file_is_skipped(tmp_path: Path) -> None:
    store = StateStore(tmp_path)
    store.save(KEY, HISTORY, b"state")
    (tmp_path / "broken.kv").write_bytes(b"not a state")
    assert store.best(KEY, HISTORY) is not None


def test_common_prefix() -> None:
    assert common_prefix([1, 2, 3], [1, 2, 4, 5]) == 2
    assert common_prefix([1, 2], [1, 2, 3]) == 2 and common_prefix([], [1]) == 0

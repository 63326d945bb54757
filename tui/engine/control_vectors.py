"""Control vectors: llama.cpp's cvector-generator GGUF files, read and scaled for a model.

A file holds `general.architecture = controlvector` and one F32 tensor `direction.<layer>`
(layer >= 1) of the model's embedding width per steered layer. Several vectors at several
strengths add up; the result is one buffer of n_embd x n_layer floats starting at layer 1,
the layout llama_set_adapter_cvec takes.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

import numpy as np

from tui.engine.base import ControlVectorUse
from tui.errors import ControlVectorError

if TYPE_CHECKING:
    from gguf import GGUFReader

HOW_TO_MAKE = ("make one for this model with llama.cpp's llama-cvector-generator "
               "(README: Control vectors)")


@dataclass(frozen=True)
class ControlVector:
    """One file's per-layer directions."""

    path: Path
    directions: dict[int, np.ndarray]  # layer (>= 1) -> n_embd floats
    model_hint: str

    @property
    def n_embd(self) -> int:
        return len(next(iter(self.directions.values())))


def _string_field(reader: GGUFReader, key: str) -> str:
    field = reader.fields.get(key)
    if field is None:
        return ""
    try:
        return str(field.contents())
    except (ValueError, TypeError, IndexError):
        return ""


@lru_cache(maxsize=32)
def _read(path: Path, mtime: float) -> ControlVector:
    import gguf  # the ggml project's own reader; imported when a vector is first used

    try:
        reader = gguf.GGUFReader(path)
    except (OSError, ValueError, KeyError) as exc:
        raise ControlVectorError(f"{path}: not a readable control-vector GGUF ({exc}); "
                                 f"{HOW_TO_MAKE}") from None
    if _string_field(reader, "general.architecture") != "controlvector":
        raise ControlVectorError(f"{path}: a GGUF file but not a control vector "
                                 f"(general.architecture is not 'controlvector'); {HOW_TO_MAKE}")
    directions = {}
    for tensor in reader.tensors:
        prefix, _, layer = tensor.name.partition(".")
        if prefix == "direction" and layer.isdigit() and int(layer) >= 1:
            directions[int(layer)] = np.asarray(tensor.data, dtype=np.float32).reshape(-1)
    if not directions or len({len(d) for d in directions.values()}) != 1:
        raise ControlVectorError(f"{path}: no usable direction.<layer> tensors; {HOW_TO_MAKE}")
    return ControlVector(path, directions, _string_field(reader, "controlvector.model_hint"))


def load(path: str | Path) -> ControlVector:
    """Read a control-vector file (cached until it changes); ControlVectorError if unusable."""
    path = Path(path).expanduser()
    try:
        mtime = path.stat().st_mtime
    except OSError:
        raise ControlVectorError(f"control vector not found: {path}; check the path in the "
                                 "profile (it is relative to the profile's folder)") from None
    return _read(path, mtime)


_SIZES = {0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8, 12: 8}
_INTS = {0: "<B", 1: "<b", 2: "<H", 3: "<h", 4: "<I", 5: "<i", 10: "<Q", 11: "<q"}


def _header_values(handle: BinaryIO, wanted: set[str]) -> dict[str, object]:
    """The wanted keys of a GGUF header, others skipped unread (GGUFReader takes seconds)."""
    def number(fmt: str) -> int:
        size = struct.calcsize(fmt)
        value: int = struct.unpack(fmt, handle.read(size))[0]
        return value

    def text() -> str:
        return handle.read(number("<Q")).decode("utf-8", "replace")

    def skip(kind: int) -> None:
        if kind == 8:
            handle.seek(number("<Q"), 1)
        elif kind == 9:
            item, count = number("<I"), number("<Q")
            if item in _SIZES:
                handle.seek(_SIZES[item] * count, 1)
            else:
                for _ in range(count):
                    skip(item)
        else:
            handle.seek(_SIZES[kind], 1)

    if handle.read(4) != b"GGUF" or number("<I") < 2:
        raise ValueError("not a GGUF file of version 2 or later")
    _tensors, count = number("<Q"), number("<Q")
    found: dict[str, object] = {}
    for _ in range(count):
        key, kind = text(), number("<I")
        if key in wanted and (kind == 8 or kind in _INTS):
            found[key] = text() if kind == 8 else number(_INTS[kind])
            if len(found) == len(wanted):
                break
        else:
            skip(kind)
    return found


def model_shape(path: str | Path) -> tuple[int, int] | None:
    """(embedding width, layers) from a model GGUF's metadata; None if unreadable."""
    try:
        with Path(path).expanduser().open("rb") as handle:
            arch = _header_values(handle, {"general.architecture"}).get("general.architecture")
            handle.seek(0)
            keys = {f"{arch}.embedding_length", f"{arch}.block_count"}
            values = _header_values(handle, keys)
        width, layers = values[f"{arch}.embedding_length"], values[f"{arch}.block_count"]
    except (OSError, ValueError, KeyError, IndexError, struct.error):
        return None
    return (width, layers) if isinstance(width, int) and isinstance(layers, int) else None


def misfit(vector: ControlVector, n_embd: int, n_layer: int) -> str | None:
    """Why the vector cannot steer a model of this shape (None: it can)."""
    if vector.n_embd == n_embd and max(vector.directions) < n_layer:
        return None
    return (f"{vector.path} was made for another model ({vector.n_embd}-wide layers, "
            f"{max(vector.directions)} layers; this model has {n_embd}-wide layers and "
            f"{n_layer}); {HOW_TO_MAKE}")


def combined(uses: tuple[ControlVectorUse, ...], n_embd: int, n_layer: int) -> np.ndarray | None:
    """The summed, scaled buffer for a model, or None when nothing steers (the exact baseline).

    Refuses a vector made for another model: a different width or more layers.
    """
    active = [use for use in uses if use.strength != 0]
    if not active:
        return None
    buffer = np.zeros(n_embd * n_layer, dtype=np.float32)
    for use in active:
        vector = load(use.path)
        if problem := misfit(vector, n_embd, n_layer):
            raise ControlVectorError(problem)
        for layer, direction in vector.directions.items():
            buffer[(layer - 1) * n_embd: layer * n_embd] += use.strength * direction
    return buffer


def identity(uses: tuple[ControlVectorUse, ...]) -> list[tuple[str, float, int | None]]:
    """What a KV cache computed under these vectors depends on: each steering file (and its
    mtime, so an edited file is another vector) with its strength; strength 0 steers not."""
    def mtime(path: str) -> int | None:
        try:
            return Path(path).expanduser().stat().st_mtime_ns
        except OSError:
            return None

    return [(use.path, use.strength, mtime(use.path)) for use in uses if use.strength]

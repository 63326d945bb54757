"""Control vectors: llama.cpp's cvector-generator GGUF files, read and scaled for a model.

A file holds `general.architecture = controlvector` and one F32 tensor `direction.<layer>`
(layer >= 1) of the model's embedding width per steered layer. Several vectors at several
strengths add up; the result is one buffer of n_embd x n_layer floats starting at layer 1,
the layout llama_set_adapter_cvec takes.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

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
        if vector.n_embd != n_embd or max(vector.directions) >= n_layer:
            raise ControlVectorError(
                f"{vector.path} was made for another model ({vector.n_embd}-wide layers, "
                f"{max(vector.directions)} layers; this model has {n_embd}-wide layers and "
                f"{n_layer}); {HOW_TO_MAKE}")
        for layer, direction in vector.directions.items():
            buffer[(layer - 1) * n_embd: layer * n_embd] += use.strength * direction
    return buffer

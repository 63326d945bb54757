"""What a GGUF file is, from its header: parameters, quantisation, context, chat template,
licence, architecture; and the memory it needs at a context size against the memory free.

The header is read with the `gguf` package's own type tables (GGUFValueType, LlamaFileType,
GGMLQuantizationType) but not with gguf.GGUFReader, which turns every token of the
vocabulary into numpy views first: 4.5 s on the bundled 49k-token model, far more on a
150k-token one. Here big arrays (tokens, merges, scores) are stepped over, never kept.
"""

from __future__ import annotations

import mmap
import os
import struct
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from tui.errors import ModelError

MAX_KEPT_TEXT = 256 * 1024  # a chat template is a few KiB; longer strings are only counted
MAX_KEPT_ITEMS = 16  # general.languages and the like; vocabularies are only counted
_SCALARS = {0: "B", 1: "b", 2: "H", 3: "h", 4: "I", 5: "i", 6: "f", 7: "?", 10: "Q", 11: "q",
            12: "d"}  # GGUFValueType -> struct format
_STRING, _ARRAY = 8, 9
OVERHEAD_BYTES = 100 * 1024 * 1024  # llama.cpp's own buffers beyond weights, cache and logits


@dataclass(frozen=True)
class ArrayValue:
    """An array the header holds, by its length only (a vocabulary, merges, scores)."""

    count: int


@dataclass(frozen=True)
class GgufInfo:
    """The facts `coalign models show` reports, read from one file's header."""

    path: Path
    size_bytes: int
    metadata: dict[str, object] = field(repr=False)
    parameters: int  # elements over all tensors
    tensor_types: dict[str, int] = field(repr=False)  # ggml type name -> tensors of it

    def _get(self, key: str) -> object:
        return self.metadata.get(key)

    def _arch(self, key: str) -> int | None:
        value = self._get(f"{self.architecture}.{key}")
        return int(value) if isinstance(value, (int, float)) and not isinstance(value, bool) \
            else None

    @property
    def architecture(self) -> str:
        return str(self._get("general.architecture") or "")

    @property
    def name(self) -> str:
        return str(self._get("general.name") or "")

    @property
    def licence(self) -> str:
        return str(self._get("general.license") or self._get("general.license.name") or "")

    @property
    def context_length(self) -> int | None:
        return self._arch("context_length")

    @property
    def chat_template(self) -> bool:
        return bool(self._get("tokenizer.chat_template"))

    @property
    def quantisation(self) -> str:
        """Q4_K_M, Q4_1, F16…: general.file_type, else the commonest weight type."""
        from gguf import LlamaFileType

        file_type = self._get("general.file_type")
        if isinstance(file_type, int):
            try:
                return LlamaFileType(file_type).name.removeprefix("MOSTLY_").removeprefix("ALL_")
            except ValueError:
                pass
        weights = {k: v for k, v in self.tensor_types.items() if k != "F32"}
        return Counter(weights or self.tensor_types).most_common(1)[0][0] \
            if self.tensor_types else ""

    @property
    def layers(self) -> int | None:
        return self._arch("block_count")

    @property
    def vocabulary(self) -> int | None:
        tokens = self._get("tokenizer.ggml.tokens")
        return self._arch("vocab_size") or (tokens.count if isinstance(tokens, ArrayValue)
                                            else None)

    def kv_cache_bytes(self, n_ctx: int) -> int:
        """The f16 K and V caches for n_ctx tokens (0 when the header lacks the shapes)."""
        layers, width, heads = self.layers, self._arch("embedding_length"), \
            self._arch("attention.head_count")
        if not layers or not width or not heads:
            return 0
        kv_heads = self._arch("attention.head_count_kv") or heads
        key = self._arch("attention.key_length") or width // heads
        value = self._arch("attention.value_length") or width // heads
        return n_ctx * layers * kv_heads * (key + value) * 2

    def memory_needed(self, n_ctx: int, n_batch: int = 512) -> int:
        """About what loading it at n_ctx takes: the weights (mapped), the KV cache, the
        logits of one batch and llama.cpp's buffers. An estimate, not a promise."""
        logits = (self.vocabulary or 0) * n_batch * 4
        return self.size_bytes + self.kv_cache_bytes(n_ctx) + logits + OVERHEAD_BYTES


class _Cursor:
    """Little-endian reads from a mapped file, each bounds-checked."""

    def __init__(self, data: mmap.mmap, order: str) -> None:
        self.data, self.at, self.order = data, 0, order

    def take(self, fmt: str) -> object:
        size = struct.calcsize(fmt)
        if self.at + size > len(self.data):
            raise ValueError("the header ends early (a truncated download?)")
        (value,) = struct.unpack_from(self.order + fmt, self.data, self.at)
        self.at += size
        return value

    def number(self, fmt: str = "Q") -> int:
        value = self.take(fmt)
        assert isinstance(value, int)
        return value

    def string(self, keep: bool = True) -> str | int:
        length = self.number()
        if self.at + length > len(self.data):
            raise ValueError("a string runs past the end of the file")
        start, self.at = self.at, self.at + length
        if not keep or length > MAX_KEPT_TEXT:
            return length
        return bytes(self.data[start:self.at]).decode("utf-8", "replace")

    def value(self, kind: int) -> object:
        if kind in _SCALARS:
            return self.take(_SCALARS[kind])
        if kind == _STRING:
            return self.string()
        if kind != _ARRAY:
            raise ValueError(f"unknown value type {kind}")
        item, count = self.number("I"), self.number()
        if count > MAX_KEPT_ITEMS:
            self.skip(item, count)
            return ArrayValue(count)
        return [self.value(item) for _ in range(count)]

    def skip(self, kind: int, count: int) -> None:
        if kind in _SCALARS:
            self.at += struct.calcsize(_SCALARS[kind]) * count
        elif kind == _STRING:
            for _ in range(count):
                self.string(keep=False)
        else:
            for _ in range(count):
                self.value(kind)


def read_info(path: Path) -> GgufInfo:
    """The header facts of a GGUF file; ModelError (one line, naming the file) otherwise."""
    from gguf import GGMLQuantizationType

    try:
        with path.open("rb") as handle, mmap.mmap(handle.fileno(), 0,
                                                   access=mmap.ACCESS_READ) as data:
            if data[:4] != b"GGUF":
                raise ValueError(f"it starts with {bytes(data[:4])!r}, not GGUF")
            order = "<" if struct.unpack_from("<I", data, 4)[0] < 65536 else ">"
            cursor = _Cursor(data, order)
            cursor.at = 4
            version = cursor.number("I")
            if version < 2:
                raise ValueError(f"GGUF version {version} is too old; convert it again")
            tensors, pairs = cursor.number(), cursor.number()
            metadata: dict[str, object] = {}
            for _ in range(pairs):
                key = str(cursor.string())
                metadata[key] = cursor.value(cursor.number("I"))
            parameters, types = 0, Counter[str]()
            for _ in range(tensors):
                cursor.string(keep=False)
                dims = [cursor.number() for _ in range(cursor.number("I"))]
                kind = cursor.number("I")
                cursor.number()  # the data offset
                elements = 1
                for dim in dims:
                    elements *= dim
                parameters += elements
                try:
                    types[GGMLQuantizationType(kind).name] += 1
                except ValueError:
                    types[f"type {kind}"] += 1
            size = os.fstat(handle.fileno()).st_size
    except (OSError, ValueError, struct.error) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise ModelError(f"cannot read the GGUF header of {path}: {reason}") from None
    return GgufInfo(path, size, metadata, parameters, dict(types))


def free_memory() -> int | None:
    """Bytes of memory available to a new process now (Linux MemAvailable; elsewhere the
    free pages), or None where the system does not say."""
    try:
        with open("/proc/meminfo", encoding="ascii") as meminfo:
            for line in meminfo:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (AttributeError, ValueError, OSError):
        return None


def human_bytes(size: float) -> str:
    """1.2 GB, 986 MB, 512 KB."""
    for unit, scale in (("GB", 1e9), ("MB", 1e6), ("KB", 1e3)):
        if size >= scale:
            value = size / scale
            return f"{value:.1f} {unit}" if value < 100 else f"{value:.0f} {unit}"
    return f"{int(size)} B"


def human_count(count: int) -> str:
    """1.5B, 135M parameters."""
    for unit, scale in (("B", 1e9), ("M", 1e6), ("K", 1e3)):
        if count >= scale:
            value = count / scale
            return f"{value:.1f}{unit}" if value < 100 else f"{value:.0f}{unit}"
    return str(count)

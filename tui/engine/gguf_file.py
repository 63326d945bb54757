"""Check a model file before handing it to llama.cpp, so failures read as one clear line."""

from __future__ import annotations

from pathlib import Path

from tui.errors import ModelError

GGUF_MAGIC = b"GGUF"


def check_model_file(path: Path) -> None:
    """Raise ModelError naming the path and the fix unless path is a readable GGUF file."""
    if not path.exists():
        raise ModelError(
            f"model file not found: {path}; pass --model PATH or a name `coalign models` "
            "lists, set `model` in config.toml, or get one with `coalign models pull NAME`"
        )
    if not path.is_file():
        raise ModelError(f"model path is not a file: {path}; point --model at a .gguf file")
    try:
        with path.open("rb") as handle:
            magic = handle.read(4)
    except OSError as exc:
        raise ModelError(
            f"cannot read model file {path}: {exc.strerror}; check its permissions"
        ) from None
    if magic != GGUF_MAGIC:
        raise ModelError(
            f"{path} is not a GGUF model file (it starts with {magic!r}); use a .gguf file "
            "(convert others with llama.cpp's convert_hf_to_gguf.py)"
        )

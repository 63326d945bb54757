"""The GGUF header facts `coalign models show` reports, read without loading the model."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.fixtures.gguf_files import tiny_gguf
from tui.engine.gguf_info import human_bytes, human_count, read_info
from tui.engine.model_files import bundled_model
from tui.errors import ModelError


def test_the_bundled_models_header() -> None:
    choice = bundled_model()
    assert choice is not None and choice.exists
    info = read_info(choice.path)
    assert (info.architecture, info.quantisation, info.licence) == ("llama", "Q4_1", "apache-2.0")
    assert info.parameters == 134_515_008 and human_count(info.parameters) == "135M"
    assert info.context_length == 8192 and info.chat_template and info.layers == 30
    assert info.vocabulary == 49152 and info.metadata["general.languages"] == ["en"]
    # 30 layers x 3 KV heads x (64 + 64) dims x 2 bytes per token
    assert info.kv_cache_bytes(4096) == 4096 * 30 * 3 * 128 * 2
    assert info.memory_needed(8192) > info.memory_needed(4096) > info.size_bytes


def test_a_file_without_template_or_licence(tmp_path: Path) -> None:
    info = read_info(tiny_gguf(tmp_path / "t.gguf", template=False, licence=""))
    assert not info.chat_template and info.licence == "" and info.quantisation == "F32"
    assert info.parameters == 100 * 64 + 64 and info.kv_cache_bytes(10) == 10 * 2 * 2 * 32 * 2


@pytest.mark.parametrize("damage", ["truncated", "not gguf", "empty"])
def test_a_broken_file_is_one_line_naming_it(tmp_path: Path, damage: str) -> None:
    path = tiny_gguf(tmp_path / "t.gguf")
    data = path.read_bytes()
    path.write_bytes({"truncated": data[:200], "not gguf": b"PK\x03\x04" + data[4:],
                      "empty": b""}[damage])
    with pytest.raises(ModelError) as raised:
        read_info(path)
    assert str(path) in str(raised.value) and "\n" not in str(raised.value)


def test_sizes_read_as_people_write_them() -> None:
    assert [human_bytes(n) for n in (986_000_000, 4_680_000_000, 98_362_432, 512)] == [
        "986 MB", "4.7 GB", "98.4 MB", "512 B"]
    assert [human_count(n) for n in (1_543_714_304, 3_820_000_000)] == ["1.5B", "3.8B"]

"""The model rules: registering keeps the user's registry as written, `show` reports a
file or a catalogue entry, a model too big for the free memory is warned about first, and
a start with no model at all says how to pull one."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.fixtures.gguf_files import tiny_gguf
from tui.application import models
from tui.application.startup import start
from tui.config import Config
from tui.engine import model_files
from tui.engine.catalogue import catalogue
from tui.engine.model_registry import register
from tui.paths import Paths


@pytest.fixture
def paths(tmp_path: Path) -> Paths:
    return Paths(config_dir=tmp_path, data_dir=tmp_path / "data")


def test_register_keeps_comments_and_never_takes_anothers_name(tmp_path: Path) -> None:
    folder = tmp_path / "models"
    folder.mkdir()
    (folder / "models.toml").write_text(
        '# my notes\ndefault = "mine"\n\n[models.mine]  # the one I use\npath = "mine.gguf"\n')
    assert register(folder, "mine", tmp_path / "other.gguf", "another file") == "mine-2"
    assert register(folder, "mine-2", tmp_path / "other.gguf", "again", {"repo": "a/b"}) \
        == "mine-2"  # the same file: its entry is updated
    text = (folder / "models.toml").read_text()
    assert text.startswith("# my notes\n") and "# the one I use" in text
    entries, default = model_files.read_registry(folder)
    assert default == "mine" and [(e.name, e.description) for e in entries] == [
        ("mine", ""), ("mine-2", "again")]


def test_show_reports_the_files_header_and_whether_it_fits(
        paths: Paths, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tiny_gguf(tmp_path / "tiny.gguf", template=False)
    monkeypatch.setattr(models, "free_memory", lambda: 1_000)
    lines = models.show_lines(str(path), paths, Config(context=2048))
    text = "\n".join(lines)
    assert f"file: {path}" in text and "architecture: llama" in text
    assert "context length: 2,048 tokens (coalign uses 2,048" in text
    assert "chat template: no: set chat_format" in text and "licence: mit" in text
    assert "will NOT fit" in text


def test_show_of_a_catalogue_model_not_pulled_says_how_to_pull_it(paths: Paths) -> None:
    entry = catalogue()[0]
    lines = models.show_lines(entry.name, paths, Config())
    assert lines[0] == f"catalogue: {entry.name} · {entry.repo} {entry.file}"
    assert lines[-1] == f"not downloaded: `coalign models pull {entry.name}`"


def test_the_catalogue_names_real_q4_k_m_files() -> None:
    names = [entry.name for entry in catalogue()]
    assert names == ["qwen2.5-1.5b", "qwen2.5-3b", "qwen2.5-7b", "llama3.2-3b", "gemma3-4b",
                     "phi4-mini"]
    for entry in catalogue():
        assert "/" in entry.repo and entry.file.endswith("Q4_K_M.gguf"), entry
        assert entry.size_mb > 500 and entry.licence and entry.good_for


def test_a_model_too_big_for_the_free_memory_is_warned_about(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tiny_gguf(tmp_path / "tiny.gguf")
    monkeypatch.setattr(models, "free_memory", lambda: 10**12)
    assert models.fit_warning(path, 4096) is None  # plenty: the file is not even read
    monkeypatch.setattr(models, "free_memory", lambda: 50_000)
    warning = models.fit_warning(path, 4096)
    assert warning is not None and "tiny.gguf needs about" in warning and "lower" in warning


def test_no_model_at_all_starts_and_says_how_to_pull_one(
        tmp_path: Path, paths: Paths, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(model_files, "bundled_model", lambda: None)  # a pipx install
    monkeypatch.setattr(model_files, "REPO_MODELS_DIR", tmp_path / "no-shipped-models")
    startup = start(paths=paths)
    assert any("`coalign models pull qwen2.5-1.5b`" in notice for notice in startup.notices)
    error = startup.service.engine.load_error
    assert error is not None and "coalign models pull" in str(error)
    assert startup.service.models is not None  # /model still works once one is pulled

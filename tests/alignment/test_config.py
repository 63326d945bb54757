"""Config file, paths and model resolution: bad input gives one clear line, never a crash."""

from __future__ import annotations

from pathlib import Path

import pytest

from tui.config import Config, load_config
from tui.engine import model_files as models
from tui.engine.model_files import resolve_model
from tui.errors import DataDirError
from tui.paths import Paths, default_paths


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_coalign_home_relocates_config_and_data(coalign_home: Path) -> None:
    paths = default_paths()
    assert paths.config_file == coalign_home / "config.toml"
    assert paths.database.is_relative_to(coalign_home)
    assert paths.repl_history.is_relative_to(coalign_home)


def test_valid_config_is_read(tmp_path: Path) -> None:
    path = write(tmp_path / "config.toml", 'threads = 3\ncontext = 2048\ntemperature = 0\n'
                 '[keymap]\nstop = "ctrl+x"\n')
    config, issues = load_config(path)
    assert issues == []
    assert (config.threads, config.context, config.temperature) == (3, 2048, 0)
    assert config.keymap == {"stop": "ctrl+x"}


def test_unknown_keys_and_wrong_types_are_reported_with_line_and_defaults_kept(
    tmp_path: Path,
) -> None:
    path = write(tmp_path / "config.toml",
                 'threads = 2\ncontxt = 100\ncontext = "big"\ngpu_layers = 99999999\n')
    config, issues = load_config(path)
    messages = [str(issue) for issue in issues]
    assert f"{path}:2: unknown key 'contxt'" in messages[0]
    assert f"{path}:3: 'context' has the wrong type (str)" in messages[1]
    assert f"{path}:4: 'gpu_layers' = 99999999 is out of range" in messages[2]
    assert (config.threads, config.context, config.gpu_layers) == (2, Config().context, 0)


def test_broken_toml_names_file_and_line_and_starts_with_defaults(tmp_path: Path) -> None:
    path = write(tmp_path / "config.toml", 'threads = 2\nmodel = "unterminated\n')
    config, issues = load_config(path)
    assert config == Config()
    assert len(issues) == 1 and str(issues[0]).startswith(f"{path}:2: not valid TOML")
    assert "\n" not in str(issues[0])


def test_bool_is_not_accepted_as_an_integer(tmp_path: Path) -> None:
    config, issues = load_config(write(tmp_path / "c.toml", "threads = true\n"))
    assert config.threads == Config().threads and "wrong type (bool)" in str(issues[0])


def test_unwritable_data_dir_gives_one_line_error(tmp_path: Path) -> None:
    blocker = write(tmp_path / "not-a-dir", "a file where a folder should be")
    paths = Paths(config_dir=tmp_path, data_dir=blocker / "data")
    with pytest.raises(DataDirError) as error:
        paths.ensure_data_dir()
    message = str(error.value)
    assert str(blocker / "data") in message and "COALIGN_HOME" in message and "\n" not in message


def test_model_resolution_order(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    repo_models = tmp_path / "models"
    monkeypatch.setattr(models, "REPO_MODELS_DIR", repo_models)
    user_models = tmp_path / "user-models"
    bundled = models.bundled_model()
    # Nothing registered: the bundled model.
    if bundled is not None:
        assert resolve_model(None, None, user_models).source.startswith("bundled")
    # A registry entry beats the bundled model, and its default wins among entries.
    write(repo_models / "a.gguf", "GGUF")
    write(repo_models / "b.gguf", "GGUF")
    write(repo_models / "models.toml",
          'default = "bee"\n[models.aye]\npath = "a.gguf"\n[models.bee]\npath = "b.gguf"\n')
    assert resolve_model(None, None, user_models).name == "bee"
    # Config beats the registry; a registry name works there too.
    assert resolve_model(None, "aye", user_models).path == repo_models / "a.gguf"
    assert resolve_model(None, "/x/y.gguf", user_models).path == Path("/x/y.gguf")
    # --model beats config.
    chosen = resolve_model("/flag.gguf", "aye", user_models)
    assert (chosen.path, chosen.source) == (Path("/flag.gguf"), "--model")


def test_loose_gguf_files_are_found(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(models, "REPO_MODELS_DIR", tmp_path / "none")
    user_models = tmp_path / "user-models"
    write(user_models / "dropped.gguf", "GGUF")
    found = models.available_models(user_models)
    assert found[0].name == "dropped" and found[0].exists


def test_a_bad_registry_entry_is_skipped_with_its_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(models, "REPO_MODELS_DIR", tmp_path)
    write(tmp_path / "models.toml", "# registry\n[models.x]\npath = 3\n")
    with pytest.raises(models.ModelError, match=r"models.toml:2: \[models.x\] needs path"):
        models.read_registry(tmp_path)
    if models.bundled_model() is not None:  # the bundled model is still found
        choice = resolve_model(None, None, tmp_path / "u")
        assert choice.source.startswith("bundled")
        assert choice.warnings == (f"{tmp_path / 'models.toml'}:2: [models.x] needs path = "
                                   '"FILE.gguf"; skipped',)


def test_shipped_registry_parses() -> None:
    entries, default = models.read_registry(Path(__file__).parents[2] / "models")
    assert entries == [] and default is None  # ships commented-out examples only

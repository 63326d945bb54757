"""GGUFs already on the machine: fake Hugging Face cache, Ollama store, LM Studio folder,
llama.cpp cache and a config folder under a temporary HOME, each found once."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from pathlib import Path

import pytest

from tests.fixtures.gguf_files import tiny_gguf
from tui.engine.discovery import discover
from tui.engine.model_files import resolve_model
from tui.main import main

COMMIT = "a" * 40


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    for name in ("HF_HOME", "HF_HUB_CACHE", "XDG_CACHE_HOME", "OLLAMA_MODELS", "LLAMA_CACHE"):
        monkeypatch.delenv(name, raising=False)
    return home


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def hf_cache(home: Path, repo: str, source: Path) -> Path:
    """The layout hf_hub_download leaves: blobs/<sha256>, a snapshot link, refs/main."""
    root = home / ".cache" / "huggingface" / "hub" / f"models--{repo.replace('/', '--')}"
    blob = root / "blobs" / sha(source)
    blob.parent.mkdir(parents=True)
    shutil.copyfile(source, blob)
    snapshot = root / "snapshots" / COMMIT / source.name
    snapshot.parent.mkdir(parents=True)
    snapshot.symlink_to(os.path.relpath(blob, snapshot.parent))
    (root / "refs").mkdir()
    (root / "refs" / "main").write_text(COMMIT)
    return snapshot


def ollama_store(home: Path, model: str, tag: str, source: Path) -> Path:
    root = home / ".ollama" / "models"
    digest = sha(source)
    blob = root / "blobs" / f"sha256-{digest}"
    blob.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, blob)
    manifest = root / "manifests" / "registry.ollama.ai" / "library" / model / tag
    manifest.parent.mkdir(parents=True, exist_ok=True)
    manifest.write_text(json.dumps({"schemaVersion": 2, "layers": [
        {"mediaType": "application/vnd.ollama.image.template", "digest": "sha256:" + "0" * 64},
        {"mediaType": "application/vnd.ollama.image.model", "digest": f"sha256:{digest}",
         "size": source.stat().st_size}]}))
    return blob


@pytest.fixture
def machine(home: Path, tmp_path: Path) -> dict[str, Path]:
    """One model in each place, plus copies and links that must not be listed twice."""
    files = {name: tiny_gguf(tmp_path / "made" / f"{name}.gguf", seed=seed)
             for seed, name in enumerate(["hf-model", "ollama-model", "studio-model",
                                          "llama-model", "folder-model"])}
    placed = {
        "hf": hf_cache(home, "someone/Tiny-GGUF", files["hf-model"]),
        "ollama": ollama_store(home, "tinyllama", "latest", files["ollama-model"]),
        "studio": home / ".lmstudio" / "models" / "lmstudio-community" / "Tiny-GGUF"
        / "studio-model.gguf",
        "llama": home / ".cache" / "llama.cpp" / "llama-model.gguf",
        "folder": tmp_path / "my-models" / "sub" / "folder-model.gguf",
    }
    for key, name in (("studio", "studio-model"), ("llama", "llama-model"),
                      ("folder", "folder-model")):
        placed[key].parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(files[name], placed[key])
    # the same bytes as the HF model under another name, and a link to the LM Studio one
    shutil.copyfile(files["hf-model"], placed["studio"].parent / "same-as-hf.gguf")
    (placed["folder"].parent / "link.gguf").symlink_to(placed["studio"])
    tiny_gguf(placed["studio"].parent / "mmproj-model-f16.gguf", seed=9)  # a vision projector
    (home / ".ollama" / "models" / "blobs" / f"sha256-{'1' * 64}").write_bytes(b"not a gguf")
    return placed


def test_each_store_is_found_once_with_where_it_came_from(machine: dict[str, Path],
                                                         tmp_path: Path) -> None:
    found = discover([tmp_path / "my-models"], checksum_file=tmp_path / "sums.json")
    where = {f.name: (f.path, f.source) for f in found}
    assert where == {
        "hf-model": (machine["hf"], "Hugging Face cache (someone/Tiny-GGUF)"),
        "tinyllama:latest": (machine["ollama"], "Ollama (tinyllama:latest)"),
        "studio-model": (machine["studio"], "LM Studio (lmstudio-community/Tiny-GGUF)"),
        "llama-model": (machine["llama"], "llama.cpp cache"),
        "folder-model": (machine["folder"],
                         f"folder {tmp_path / 'my-models'} (config model_dirs)"),
    }
    assert json.loads((tmp_path / "sums.json").read_text())  # same-size files were hashed


def test_registered_files_are_left_out(machine: dict[str, Path], tmp_path: Path) -> None:
    found = discover([tmp_path / "my-models"], known=[machine["studio"], machine["llama"]])
    assert {f.name for f in found} == {"hf-model", "tinyllama:latest", "folder-model"}


def test_a_found_model_is_usable_by_name(machine: dict[str, Path], tmp_path: Path) -> None:
    chosen = resolve_model("tinyllama:latest", None, tmp_path / "user-models")
    assert chosen.path == machine["ollama"] and chosen.source == "Ollama (tinyllama:latest)"


def test_coalign_models_lists_them(machine: dict[str, Path], coalign_home: Path,
                                   capsys: pytest.CaptureFixture[str]) -> None:
    coalign_home.mkdir(parents=True, exist_ok=True)
    (coalign_home / "config.toml").write_text(
        f'model_dirs = ["{machine["folder"].parent.parent}"]\n')
    assert main(["models"]) == 0
    out = capsys.readouterr().out
    found = out.split("found on this machine", 1)[1].split("catalogue", 1)[0]
    for name in ("hf-model", "tinyllama:latest", "studio-model", "llama-model", "folder-model"):
        assert found.count(f" {name} ") == 1, found
    assert "same-as-hf" not in found and "link" not in found and "mmproj" not in found

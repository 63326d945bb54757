"""The rules for models: what `coalign models` lists, pulling a model and registering it,
what `models show` says of one, and whether one fits in the memory that is free."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from tui.config import Config
from tui.engine.catalogue import CatalogueEntry, catalogue, find
from tui.engine.discovery import Found, discover
from tui.engine.gguf_file import check_model_file
from tui.engine.gguf_info import free_memory, human_bytes, human_count, read_info
from tui.engine.hub import Progress, Pulled, choose_file, endpoint, gguf_files
from tui.engine.hub import pull as hub_pull
from tui.engine.model_files import ModelChoice, available_models, resolve_model
from tui.engine.model_registry import register
from tui.errors import CoalignError, ModelError
from tui.paths import Paths

CHECKSUMS = "model-checksums.json"  # in the data dir: sha256 of big files, by path and mtime
SURE_FIT_BYTES_PER_TOKEN = 512 * 1024  # more KV cache per token than any common model needs
SURE_FIT_SPARE = 512 * 1024 * 1024


@dataclass(frozen=True)
class ModelRow:
    """One model coalign can use, as `coalign models` and the picker list it."""

    name: str
    path: Path
    source: str
    size: int | None  # None: the file is missing
    in_use: bool = False
    registered: bool = True  # False: found on the machine, usable by name


@dataclass(frozen=True)
class Listing:
    """Everything `coalign models` shows."""

    rows: list[ModelRow]  # registered (resolution order), then found on the machine
    chosen: ModelChoice | None
    problem: str | None  # why no model is chosen
    catalogue: list[tuple[CatalogueEntry, ModelRow | None]]  # and the row once pulled


def size_text(size: float) -> str:
    """986 MB, 4.7 GB: sizes as the front ends show them."""
    return human_bytes(size)


def hub_address() -> str:
    """Where pulls come from: HF_ENDPOINT, else huggingface.co."""
    return endpoint()


def search_dirs(config: Config) -> list[Path]:
    """The folders config.toml's model_dirs names."""
    return [Path(folder).expanduser() for folder in config.model_dirs]


def _same(a: Path, b: Path) -> bool:
    try:
        return a.resolve() == b.resolve()
    except OSError:
        return a == b


def _size(path: Path) -> int | None:
    try:
        return path.stat().st_size if path.is_file() else None
    except OSError:
        return None


def listing(paths: Paths, config: Config, model_flag: str | None = None,
            discover_files: bool = True) -> Listing:
    """The registered models (in resolution order, the one in use marked), the GGUFs found
    on the machine, and the catalogue with what of it is pulled."""
    chosen, problem = None, None
    try:
        chosen = resolve_model(model_flag, config.model, paths.user_models_dir,
                               search_dirs(config))
    except CoalignError as exc:
        problem = str(exc)
    choices = available_models(paths.user_models_dir)
    if chosen is not None and not any(_same(c.path, chosen.path) for c in choices):
        choices.insert(0, chosen)
    rows = [ModelRow(c.name, c.path, c.source, _size(c.path),
                     chosen is not None and _same(c.path, chosen.path)) for c in choices]
    if discover_files:
        found = discover(search_dirs(config), known=[c.path for c in choices],
                         checksum_file=paths.data_dir / CHECKSUMS)
        rows += [_found_row(f, chosen) for f in found]
    pulled = [(entry, next((row for row in rows if row.size is not None and (
        row.name == entry.name or row.path.name == entry.file)), None))
        for entry in catalogue()]
    return Listing(rows, chosen, problem, pulled)


def row_line(row: ModelRow) -> str:
    """'* qwen2.5-1.5b   986 MB  /path  [where it came from]': one line of a listing."""
    size = f"{human_bytes(row.size):>8}" if row.size is not None else " missing"
    return f"{'*' if row.in_use else ' '} {row.name:<28} {size}  {row.path}  [{row.source}]"


def _found_row(found: Found, chosen: ModelChoice | None) -> ModelRow:
    in_use = chosen is not None and _same(found.path, chosen.path)
    return ModelRow(found.name, found.path, found.source, found.size, in_use, registered=False)


# pulling -------------------------------------------------------------------------------

@dataclass(frozen=True)
class PullResult:
    """A pulled model, registered under name."""

    name: str
    pulled: Pulled
    registry: Path
    entry: CatalogueEntry | None
    in_use: bool  # coalign now uses it (nothing named another in --model, config, registry)


Target = tuple[str, str, CatalogueEntry | None]  # repo, file, and the catalogue's entry


def pull_target(spec: str, file: str | None) -> Target:
    """(repo, file, catalogue entry) for `pull NAME`, `pull REPO` or `pull REPO FILE`."""
    entry = find(spec) if file is None else None
    if entry is not None:
        return entry.repo, entry.file, entry
    if "/" not in spec:
        names = ", ".join(e.name for e in catalogue())
        raise ModelError(f"no model called '{spec}' in the catalogue ({names}); for another "
                         "GGUF give its Hugging Face repo: `coalign models pull OWNER/NAME [FILE]`")
    return spec, file or choose_file(spec, gguf_files(spec)), None


def pull(target: Target, paths: Paths, config: Config,
         progress: Progress | None = None) -> PullResult:
    """Download (or resume, or find cached) the model pull_target named and register it
    in the user's models.toml; the file's checksum is checked before it is registered."""
    repo, filename, entry = target
    pulled = hub_pull(repo, filename, progress=progress)
    check_model_file(pulled.path)
    name = entry.name if entry is not None else Path(filename).stem.lower()
    description = (f"{entry.parameters} · {entry.licence} · good for {entry.good_for}"
                   if entry is not None else f"{repo} {filename}")
    extra = {"repo": repo, "file": filename, **({"sha256": pulled.sha256} if pulled.sha256
                                                else {})}
    if entry is not None:
        extra["licence"] = entry.licence
    name = register(paths.user_models_dir, name, pulled.path, description, extra)
    try:
        chosen = resolve_model(None, config.model, paths.user_models_dir)
        in_use = _same(chosen.path, pulled.path)
    except CoalignError:
        in_use = False
    return PullResult(name, pulled, paths.user_models_dir / "models.toml", entry, in_use)


# showing one ---------------------------------------------------------------------------

def fit_line(needed: int, free: int | None) -> str:
    if free is None:
        return "free memory unknown here"
    verdict = "fits" if needed <= free else "will NOT fit: lower `context`, or use a smaller model"
    return f"{human_bytes(free)} free now: {verdict}"


def fit_warning(path: Path, n_ctx: int) -> str | None:
    """A warning when the model at path will not fit in the memory free at n_ctx tokens
    (None: it fits, or nothing can be told). A file well within the memory free is not
    even opened, so this costs nothing at start-up in the common case."""
    free = free_memory()
    size = _size(path)
    if free is None or size is None:
        return None
    if size + n_ctx * SURE_FIT_BYTES_PER_TOKEN + SURE_FIT_SPARE <= free:
        return None
    try:
        needed = read_info(path).memory_needed(n_ctx)
    except ModelError:
        return None  # the load says what is wrong with the file
    if needed <= free:
        return None
    return (f"{path.name} needs about {human_bytes(needed)} at a context of {n_ctx:,} tokens "
            f"and {human_bytes(free)} is free: it may fail to load or swap heavily; lower "
            "`context` (--context) or pick a smaller model (`coalign models`)")


def _catalogue_lines(entry: CatalogueEntry) -> list[str]:
    return [f"catalogue: {entry.name} · {entry.repo} {entry.file}",
            f"size: {entry.size_mb:,} MB · parameters: {entry.parameters} · memory: about "
            f"{entry.memory} · licence: {entry.licence}",
            f"good for: {entry.good_for}"]


def show_lines(spec: str, paths: Paths, config: Config) -> list[str]:
    """What `coalign models show NAME` prints: the file's header facts and whether it fits;
    for a catalogue model not pulled yet, the catalogue's facts and how to pull it."""
    entry = find(spec)
    rows = listing(paths, config, discover_files=False).catalogue
    pulled = next((row for e, row in rows if entry is not None and e.name == entry.name), None)
    if entry is not None and pulled is None:
        return [*_catalogue_lines(entry), f"not downloaded: `coalign models pull {entry.name}`"]
    path = pulled.path if pulled is not None else resolve_model(
        spec, None, paths.user_models_dir, search_dirs(config)).path
    if not path.is_file():
        raise ModelError(f"no model called '{spec}': `coalign models` lists the names it knows")
    info = read_info(path)
    n_ctx = config.context
    needed = info.memory_needed(n_ctx)
    trained = f"{info.context_length:,} tokens" if info.context_length else "not stated"
    template = "yes" if info.chat_template else (
        "no: set chat_format (e.g. chatml) in config.toml or the registry entry")
    lines = [
        f"file: {path} ({human_bytes(info.size_bytes)})",
        f"name: {info.name or '-'} · architecture: {info.architecture or '-'}",
        f"parameters: {human_count(info.parameters)} ({info.parameters:,})",
        f"quantisation: {info.quantisation or '-'}",
        f"context length: {trained} (coalign uses {n_ctx:,}: `context` in config.toml)",
        f"chat template: {template}",
        f"licence: {info.licence or 'not stated in the file'}",
        f"memory at {n_ctx:,} tokens: about {human_bytes(needed)} (weights "
        f"{human_bytes(info.size_bytes)}, cache {human_bytes(info.kv_cache_bytes(n_ctx))}); "
        + fit_line(needed, free_memory()),
    ]
    return lines + (_catalogue_lines(entry)[2:] if entry is not None else [])

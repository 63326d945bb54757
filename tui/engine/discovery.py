"""GGUF models already on this machine: the Hugging Face cache, Ollama's store, LM Studio's
folder, llama.cpp's cache and the folders config.toml names. Nothing is copied or moved;
the same file (by real path) or the same bytes (by size and sha256) is listed once.

The Hugging Face cache is read with huggingface_hub's own scanner; Ollama's store by its
manifests, whose model layer names the blob (blobs/sha256-<digest>) holding the GGUF.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from tui.engine.hub import cache_dir

SHA256 = re.compile(r"[0-9a-f]{64}")
LATER_PART = re.compile(r"-(?!00001)\d{5}-of-\d{5}\.gguf$", re.IGNORECASE)
OLLAMA_MODEL_LAYER = "application/vnd.ollama.image.model"
OLLAMA_LIBRARY = ("registry.ollama.ai", "library")
MAX_DEPTH = 4  # folders below a root that are searched (LM Studio: publisher/repo/file)
MAX_MANIFEST_BYTES = 1024 * 1024


@dataclass(frozen=True)
class Found:
    """A GGUF model file found on the machine, and where."""

    name: str  # what --model NAME and /model NAME accept
    path: Path
    source: str  # "Hugging Face cache (OWNER/REPO)", "Ollama (llama3.2:3b)", …
    size: int
    sha256: str | None = None  # when the store names the file by it (HF LFS, Ollama)


def _is_gguf(path: Path) -> bool:
    try:
        with path.open("rb") as handle:
            return handle.read(4) == b"GGUF"
    except OSError:
        return False


def _model_file(path: Path) -> bool:
    """A GGUF that is a model to chat with: not a vision projector, not a later split part."""
    name = path.name.lower()
    return name.endswith(".gguf") and not name.startswith("mmproj") \
        and not LATER_PART.search(name)


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def _walk(root: Path, depth: int = MAX_DEPTH) -> Iterator[Path]:
    """*.gguf files under root, at most depth folders down, symlinked folders not followed."""
    try:
        entries = sorted(os.scandir(root), key=lambda entry: entry.name)
    except OSError:
        return
    for entry in entries:
        path = Path(entry.path)
        if entry.is_dir(follow_symlinks=False) and depth > 0 and not entry.name.startswith("."):
            yield from _walk(path, depth - 1)
        elif entry.is_file() and _model_file(path):
            yield path


def hugging_face() -> Iterator[Found]:
    """Model GGUFs in the Hugging Face cache (every cached revision), via scan_cache_dir."""
    from huggingface_hub import scan_cache_dir

    root = cache_dir()
    if not root.is_dir():
        return
    try:
        info = scan_cache_dir(root)
    except Exception:  # CacheNotFound, or a cache being written: nothing to list
        return
    for repo in sorted(info.repos, key=lambda r: r.repo_id):
        if repo.repo_type != "model":
            continue
        for revision in sorted(repo.revisions, key=lambda r: r.last_modified, reverse=True):
            for cached in sorted(revision.files, key=lambda f: f.file_name):
                if _model_file(cached.file_path):
                    blob = cached.blob_path.name
                    yield Found(cached.file_path.stem, cached.file_path,
                                f"Hugging Face cache ({repo.repo_id})", cached.size_on_disk,
                                blob if SHA256.fullmatch(blob) else None)


def ollama_roots() -> list[Path]:
    """$OLLAMA_MODELS, else ~/.ollama/models and the Linux service's store."""
    if configured := os.environ.get("OLLAMA_MODELS"):
        return [Path(configured).expanduser()]
    return [Path.home() / ".ollama" / "models", Path("/usr/share/ollama/.ollama/models")]


def ollama() -> Iterator[Found]:
    """Each Ollama model (manifests/REGISTRY/NAMESPACE/MODEL/TAG) whose model layer is a GGUF."""
    for root in ollama_roots():
        manifests = root / "manifests"
        if not manifests.is_dir():
            continue
        for manifest in sorted(p for p in manifests.rglob("*") if p.is_file()):
            parts = manifest.relative_to(manifests).parts
            if len(parts) < 4 or _size(manifest) > MAX_MANIFEST_BYTES:
                continue
            try:
                layers = json.loads(manifest.read_text(encoding="utf-8")).get("layers", [])
            except (OSError, ValueError, AttributeError):
                continue
            digest = next((layer.get("digest", "") for layer in layers if isinstance(layer, dict)
                           and layer.get("mediaType") == OLLAMA_MODEL_LAYER), "")
            algorithm, _, hexdigest = str(digest).partition(":")
            blob = root / "blobs" / f"{algorithm}-{hexdigest}"
            if algorithm != "sha256" or not SHA256.fullmatch(hexdigest) or not _is_gguf(blob):
                continue
            *where, model, tag = parts
            name = (f"{model}:{tag}" if tuple(where) == OLLAMA_LIBRARY
                    else "/".join([*where, model]) + f":{tag}")
            yield Found(name, blob, f"Ollama ({name})", _size(blob), hexdigest)


def lm_studio_roots() -> list[Path]:
    """LM Studio's models folder: where ~/.lmstudio-home-pointer says, ~/.lmstudio/models,
    and the older ~/.cache/lm-studio/models."""
    home = Path.home()
    roots = []
    pointer = home / ".lmstudio-home-pointer"
    try:
        target = pointer.read_text(encoding="utf-8").strip() if pointer.is_file() else ""
    except (OSError, UnicodeDecodeError):
        target = ""
    if target:
        roots.append(Path(target).expanduser() / "models")
    roots += [home / ".lmstudio" / "models", home / ".cache" / "lm-studio" / "models"]
    return list(dict.fromkeys(roots))


def lm_studio() -> Iterator[Found]:
    for root in lm_studio_roots():
        for path in _walk(root):
            where = path.parent.relative_to(root).as_posix()
            yield Found(path.stem, path, f"LM Studio ({where})" if where != "." else "LM Studio",
                        _size(path))


def llama_cache_root() -> Path:
    """$LLAMA_CACHE, else llama.cpp's default cache folder for this system."""
    if configured := os.environ.get("LLAMA_CACHE"):
        return Path(configured).expanduser()
    if platform.system() == "Darwin":
        return Path.home() / "Library" / "Caches" / "llama.cpp"
    xdg = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(xdg).expanduser() / "llama.cpp"


def llama_cache() -> Iterator[Found]:
    for path in _walk(llama_cache_root(), depth=1):
        yield Found(path.stem, path, "llama.cpp cache", _size(path))


def folders(model_dirs: Sequence[Path]) -> Iterator[Found]:
    for folder in model_dirs:
        for path in _walk(folder.expanduser()):
            yield Found(path.stem, path, f"folder {folder} (config model_dirs)", _size(path))


def _real(path: Path) -> Path:
    try:
        return path.resolve()
    except OSError:
        return path


class Checksums:
    """sha256 of files by real path, size and mtime, kept in a JSON file between runs (a
    file of several GB takes seconds to hash; it is hashed only when another is as big)."""

    def __init__(self, store: Path | None) -> None:
        self.store = store
        self.known: dict[str, list[object]] = {}
        self.changed = False
        if store is not None and store.is_file():
            try:
                loaded = json.loads(store.read_text(encoding="utf-8"))
                self.known = loaded if isinstance(loaded, dict) else {}
            except (OSError, ValueError):
                self.known = {}

    def of(self, found: Found) -> str:
        if found.sha256:
            return found.sha256
        real = _real(found.path)
        try:
            stat = real.stat()
        except OSError:
            return ""
        key, stamp = str(real), [stat.st_size, stat.st_mtime_ns]
        entry = self.known.get(key)
        if isinstance(entry, list) and entry[:2] == stamp and isinstance(entry[2], str):
            return entry[2]
        sha = hashlib.sha256()
        with real.open("rb") as handle:
            while chunk := handle.read(8 * 1024 * 1024):
                sha.update(chunk)
        self.known[key] = [*stamp, sha.hexdigest()]
        self.changed = True
        return sha.hexdigest()

    def save(self) -> None:
        if self.store is None or not self.changed:
            return
        try:
            self.store.parent.mkdir(parents=True, exist_ok=True)
            self.store.write_text(json.dumps(self.known), encoding="utf-8")
        except OSError:
            pass  # only a cache: hashed again next time


def unique(candidates: Iterable[Found], known: Sequence[Path] = (),
           checksums: Checksums | None = None) -> list[Found]:
    """candidates less those that are a known file, or the same file or bytes as one
    listed before them; names made unique (a second 'model' becomes 'model-2')."""
    checksums = checksums or Checksums(None)
    seen_paths = {_real(path) for path in known}
    known_by_size: dict[int, list[Found]] = {}
    for path in known:
        if path.is_file():
            size = _size(path)
            known_by_size.setdefault(size, []).append(Found(path.stem, path, "", size))
    kept: list[Found] = []
    names: set[str] = set()
    for found in candidates:
        real = _real(found.path)
        if real in seen_paths:
            continue
        seen_paths.add(real)
        same_size = known_by_size.setdefault(found.size, [])
        if same_size and any(checksums.of(other) == checksums.of(found) for other in same_size):
            continue
        same_size.append(found)
        name, number = found.name, 1
        while name.casefold() in names:
            number += 1
            name = f"{found.name}-{number}"
        names.add(name.casefold())
        kept.append(found if name == found.name else
                    Found(name, found.path, found.source, found.size, found.sha256))
    checksums.save()
    return kept


def discover(model_dirs: Sequence[Path] = (), known: Sequence[Path] = (),
             checksum_file: Path | None = None) -> list[Found]:
    """Every GGUF model found, each once, in the order: Hugging Face, Ollama, LM Studio,
    llama.cpp, config folders; files in known (registered ones) are left out."""
    candidates = [*hugging_face(), *ollama(), *lm_studio(), *llama_cache(), *folders(model_dirs)]
    return unique(candidates, known, Checksums(checksum_file))

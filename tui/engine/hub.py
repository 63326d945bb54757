"""Downloads from the Hugging Face Hub, through huggingface_hub and into its shared cache.

huggingface_hub does the protocol: the HEAD that resolves a file (X-Repo-Commit, the
X-Linked-Etag that is an LFS file's sha256, X-Linked-Size, the redirect to the CDN),
the token (HF_TOKEN), the endpoint (HF_ENDPOINT, read here at each call, as the process
may have set it after import), the GET with Range, and the cache layout
(models--OWNER--NAME/blobs, snapshots, refs), which hf_hub_download fills at the end.

Two things are coalign's own. Since huggingface_hub 1.x, hf_hub_download deletes a
partial file when a download fails, so nothing resumes next time: here the bytes go to
blobs/<sha256>.incomplete (the name older huggingface_hub resumed from too), which is
kept when a download is cut and resumed with a Range request by the next pull. And the
file's sha256 is checked against the Hub's before it enters the cache: huggingface_hub
checks only the size of a plain HTTP download.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import logging
import os
import re
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO
from urllib.parse import urlsplit

from tui.engine.gguf_info import human_bytes
from tui.errors import ModelError

DEFAULT_ENDPOINT = "https://huggingface.co"
PARTIAL_SUFFIX = ".incomplete"
SHA256 = re.compile(r"[0-9a-f]{64}")
SPLIT_PART = re.compile(r"-\d{5}-of-\d{5}\.gguf$", re.IGNORECASE)
HASH_CHUNK = 8 * 1024 * 1024
Progress = Callable[[int, int | None], None]  # bytes on disk so far, of (None: unknown)


class HubError(ModelError):
    """A pull that failed, said in one line with what to do about it."""


@dataclass(frozen=True)
class Pulled:
    """A file now in the Hugging Face cache."""

    repo: str
    file: str
    path: Path  # its snapshot path (a link to the blob) in the cache
    size: int
    sha256: str | None  # checked against the Hub's; None where the Hub gave none
    downloaded: int  # bytes fetched by this pull (0: it was there already)
    resumed_from: int  # bytes a partial download had left (0: none)


def endpoint() -> str:
    return (os.environ.get("HF_ENDPOINT") or DEFAULT_ENDPOINT).rstrip("/")


def offline() -> bool:
    return os.environ.get("HF_HUB_OFFLINE", "").strip().upper() in ("1", "ON", "YES", "TRUE")


def cache_dir() -> Path:
    """The Hugging Face cache: HF_HUB_CACHE, else HF_HOME/hub, else the XDG cache's."""
    if hub := os.environ.get("HF_HUB_CACHE"):
        return Path(hub).expanduser()
    if home := os.environ.get("HF_HOME"):
        return Path(home).expanduser() / "hub"
    xdg = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(xdg).expanduser() / "huggingface" / "hub"


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return next((line.strip() for line in text.splitlines() if line.strip()), text)


def _network_error(exc: BaseException) -> bool:
    """An error of the HTTP stack (httpx, httpx2, requests…): no connection, a timeout, a cut."""
    root = type(exc).__module__.split(".")[0]
    return root in ("httpx", "httpx2", "httpcore", "httpcore2", "requests", "urllib3") \
        or isinstance(exc, (ConnectionError, TimeoutError))


def _disk_full(where: Path, need: int | None = None) -> HubError:
    free = shutil.disk_usage(where).free if where.exists() else 0
    needs = f"needs {human_bytes(need)}, " if need else ""
    return HubError(f"not enough disk space in {where} (the download {needs}"
                    f"{human_bytes(free)} free): free some space, or set HF_HOME to a bigger "
                    "disk; a partial download is kept and resumes next time")


def explain(exc: BaseException, repo: str, file: str, partial: tuple[int, int | None]
            = (0, None)) -> HubError:
    """One line for what went wrong, and the fix (the order matters: gated before missing)."""
    from huggingface_hub.utils import (
        EntryNotFoundError,
        GatedRepoError,
        HfHubHTTPError,
        HFValidationError,
        RepositoryNotFoundError,
        RevisionNotFoundError,
    )

    site, token = endpoint(), bool(os.environ.get("HF_TOKEN"))
    have, total = partial
    resume = (f"; {human_bytes(have)} of {human_bytes(total) if total else '?'} are kept and "
              "the same command resumes" if have else "")
    status = getattr(getattr(exc, "response", None), "status_code", None)
    if isinstance(exc, GatedRepoError):
        fix = ("your HF_TOKEN has no access yet: accept the licence" if token
               else "accept the licence")
        return HubError(f"{repo} is gated ({status or 401}): {fix} at {site}/{repo} while "
                        f"logged in, then create a read token at {site}/settings/tokens and "
                        "`export HF_TOKEN=hf_…`")
    if isinstance(exc, RepositoryNotFoundError):
        private = "" if token else " (a private one needs HF_TOKEN)"
        return HubError(f"no model repository {repo} on {site}{private}: check the name, "
                        "e.g. bartowski/Qwen2.5-1.5B-Instruct-GGUF")
    if isinstance(exc, RevisionNotFoundError):
        return HubError(f"{repo} has no such revision ({status or 404}); leave it out to use main")
    if isinstance(exc, EntryNotFoundError):
        return HubError(f"{repo} has no file {file} (404): `coalign models pull {repo}` "
                        "lists its GGUF files")
    if isinstance(exc, HFValidationError):
        return HubError(f"'{repo}' is neither a catalogue name nor a Hugging Face repo id "
                        "(OWNER/NAME): `coalign models` lists the catalogue")
    if isinstance(exc, HfHubHTTPError) and status in (401, 403):
        fix = ("check HF_TOKEN: it was refused" if token and status == 401 else
               f"accept the model's licence at {site}/{repo}" if status == 403 else
               f"create a read token at {site}/settings/tokens and `export HF_TOKEN=hf_…`")
        return HubError(f"{site} refused {repo}/{file} ({status}): {fix}")
    if isinstance(exc, HfHubHTTPError) and status == 404:
        return HubError(f"{repo}/{file} was not found on {site} (404): check the repo and "
                        "file names")
    if isinstance(exc, OSError) and exc.errno == errno.ENOSPC:
        return _disk_full(cache_dir())
    if isinstance(exc, HfHubHTTPError) and have:
        return HubError(f"the download of {file} stopped (the server answered {status}){resume}")
    if isinstance(exc, HfHubHTTPError):
        return HubError(f"the server answered {status} for {repo}/{file} ({site}); try later")
    if _network_error(exc) and have:
        return HubError(f"the download of {file} was interrupted ({_first_line(exc)}){resume}")
    if _network_error(exc):
        return HubError(f"cannot reach {site} ({type(exc).__name__}: {_first_line(exc)}): "
                        "check the network, set HF_ENDPOINT to a mirror, or HF_HUB_OFFLINE=1 "
                        "to use only what is cached")
    return HubError(f"pulling {repo}/{file} failed: {_first_line(exc)}{resume}")


class _Receiving:
    """The partial file huggingface_hub writes into: counts bytes for the progress bar and
    hashes them as they come (a rewind, when a server ignores Range, means hashing again)."""

    def __init__(self, handle: BinaryIO, have: int, total: int | None,
                 progress: Progress | None) -> None:
        self.handle, self.done, self.total, self.progress = handle, have, total, progress
        self.sha = hashlib.sha256()
        self.rewound = False
        handle.seek(0)
        while chunk := handle.read(HASH_CHUNK):
            self.sha.update(chunk)
        handle.seek(0, os.SEEK_END)

    def write(self, chunk: bytes) -> int:
        written = self.handle.write(chunk)
        self.sha.update(chunk)
        self.done += len(chunk)
        if self.progress is not None:
            self.progress(self.done, self.total)
        return written

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        self.rewound = True
        return self.handle.seek(offset, whence)

    def truncate(self, size: int | None = None) -> int:
        self.rewound = True
        result = self.handle.truncate(size)
        self.done = self.handle.tell()
        return result

    def tell(self) -> int:
        return self.handle.tell()

    def digest(self) -> str:
        if self.rewound:
            self.handle.flush()
            self.handle.seek(0)
            self.sha = hashlib.sha256()
            while chunk := self.handle.read(HASH_CHUNK):
                self.sha.update(chunk)
        return self.sha.hexdigest()


@contextlib.contextmanager
def _quiet_hub() -> Iterator[None]:
    """huggingface_hub's own tqdm bars and log lines off (its "Trying to resume download…"
    warnings go straight to stderr): coalign says what happened through its output layer."""
    from huggingface_hub.utils import (
        are_progress_bars_disabled,
        disable_progress_bars,
        enable_progress_bars,
    )

    already = are_progress_bars_disabled()
    hub_log = logging.getLogger("huggingface_hub")
    level = hub_log.level
    disable_progress_bars()
    hub_log.setLevel(logging.ERROR)
    try:
        yield
    finally:
        hub_log.setLevel(level)
        if not already:
            enable_progress_bars()


def _fetch(location: str, blob: Path, size: int | None, etag: str,
           progress: Progress | None) -> tuple[int, int, str]:
    """Download into blob's partial file (resuming it), check its sha256, move it into
    place. Returns (bytes fetched now, bytes there before, sha256)."""
    from huggingface_hub.file_download import http_get
    from huggingface_hub.utils import build_hf_headers

    partial = blob.with_name(blob.name + PARTIAL_SUFFIX)
    blob.parent.mkdir(parents=True, exist_ok=True)
    have = partial.stat().st_size if partial.exists() else 0
    if size is not None and have > size:
        partial.unlink()
        have = 0
    need = (size or 0) - have
    if need > shutil.disk_usage(blob.parent).free:
        raise _disk_full(blob.parent, need)
    headers = build_hf_headers()
    if urlsplit(location).netloc != urlsplit(endpoint()).netloc:
        headers.pop("authorization", None)  # a signed CDN address: the token stays home
    with partial.open("r+b" if have else "w+b") as handle:
        receiving = _Receiving(handle, have, size, progress)
        try:
            http_get(location, receiving, resume_size=have, headers=headers,  # type: ignore[arg-type]
                     expected_size=size, displayed_filename=blob.name)
        except OSError as exc:
            if exc.errno == errno.ENOSPC:
                raise _disk_full(blob.parent) from None
            raise
        handle.flush()
        digest = receiving.digest()
    if SHA256.fullmatch(etag) and digest != etag:
        partial.unlink()
        raise HubError(f"checksum mismatch for {blob.name}: the Hub says sha256 {etag[:16]}…, "
                       f"the file downloaded has {digest[:16]}…; it was deleted and nothing "
                       "registered: run the command again (if it fails again, the server at "
                       f"{endpoint()} serves another file than it describes)")
    os.replace(partial, blob)
    return receiving.done - have, have, digest


def partial_bytes(repo: str, etag: str) -> int:
    """Bytes of a partial download of the blob etag of repo (0: none)."""
    from huggingface_hub.file_download import repo_folder_name

    partial = (cache_dir() / repo_folder_name(repo_id=repo, repo_type="model") / "blobs"
               / f"{etag}{PARTIAL_SUFFIX}")
    return partial.stat().st_size if partial.exists() else 0


def pull(repo: str, file: str, revision: str = "main", progress: Progress | None = None
         ) -> Pulled:
    """The file repo/file in the cache (downloaded, resumed or found there); HubError."""
    if offline():
        return _cached(repo, file, revision, cache_dir())
    known: dict[str, object] = {}
    with _quiet_hub():
        try:
            return _pull(repo, file, revision, progress, known)
        except HubError:
            raise
        except Exception as exc:  # huggingface_hub's and the HTTP stack's, said as one line
            etag, size = str(known.get("etag", "")), known.get("size")
            raise explain(exc, repo, file, (partial_bytes(repo, etag) if etag else 0,
                                            size if isinstance(size, int) else None)) from None


def _pull(repo: str, file: str, revision: str, progress: Progress | None,
          known: dict[str, object]) -> Pulled:
    from huggingface_hub import get_hf_file_metadata, hf_hub_download, hf_hub_url
    from huggingface_hub.file_download import repo_folder_name

    cache = cache_dir()
    meta = get_hf_file_metadata(hf_hub_url(repo, file, revision=revision, endpoint=endpoint()))
    if not meta.commit_hash or not meta.etag:
        raise HubError(f"{endpoint()} does not answer as the Hugging Face Hub does (no "
                       "X-Repo-Commit or ETag header): check HF_ENDPOINT")
    known.update(etag=meta.etag, size=meta.size)
    storage = cache / repo_folder_name(repo_id=repo, repo_type="model")
    blob = storage / "blobs" / meta.etag
    fetched, resumed, digest = 0, 0, None
    if not (storage / "snapshots" / meta.commit_hash / file).exists() and not blob.exists():
        fetched, resumed, digest = _fetch(meta.location, blob, meta.size, meta.etag, progress)
    path = Path(hf_hub_download(repo, file, revision=revision, cache_dir=cache,
                                endpoint=endpoint()))  # links the blob into a snapshot
    sha = digest or (meta.etag if SHA256.fullmatch(meta.etag) else None)
    return Pulled(repo, file, path, path.stat().st_size, sha, fetched, resumed)


def _cached(repo: str, file: str, revision: str, cache: Path) -> Pulled:
    from huggingface_hub import try_to_load_from_cache

    found = try_to_load_from_cache(repo, file, cache_dir=cache, revision=revision)
    if not isinstance(found, str):
        raise HubError(f"HF_HUB_OFFLINE is set and {repo}/{file} is not in the Hugging Face "
                       f"cache ({cache}): unset HF_HUB_OFFLINE to download it")
    path = Path(found)
    return Pulled(repo, file, path, path.stat().st_size, None, 0, 0)


def gguf_files(repo: str, revision: str = "main") -> list[tuple[str, int]]:
    """(file, size) of each single-file GGUF model in repo (no split parts, no mmproj)."""
    from huggingface_hub import HfApi

    try:
        tree = HfApi(endpoint=endpoint()).list_repo_tree(repo, recursive=True,
                                                         revision=revision)
        files = [(entry.path, int(getattr(entry, "size", 0) or 0)) for entry in tree]
    except Exception as exc:
        raise explain(exc, repo, "") from None
    return [(name, size) for name, size in files if name.lower().endswith(".gguf")
            and not SPLIT_PART.search(name) and not Path(name).name.lower().startswith("mmproj")]


def choose_file(repo: str, files: list[tuple[str, int]]) -> str:
    """The file to pull when only a repo is named: its Q4_K_M, or its only GGUF."""
    quarter = [name for name, _size in files if "q4_k_m" in name.lower()]
    if len(quarter) == 1:
        return quarter[0]
    if len(files) == 1:
        return files[0][0]
    if not files:
        raise HubError(f"{repo} has no single-file GGUF model (split or mmproj files are not "
                       "pulled): name a GGUF repo, e.g. bartowski/Qwen2.5-1.5B-Instruct-GGUF")
    names = ", ".join(name for name, _size in files[:6]) + (" …" if len(files) > 6 else "")
    raise HubError(f"{repo} has {len(files)} GGUF files ({names}): name one, "
                   f"`coalign models pull {repo} FILE`")

"""Where a profile file stands: its git commit, whether the working tree differs, its hash,
and for your own copy of a lab's (or the shipped) profile, the base it was copied from."""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import tomli_w

from tui.alignment.files import write_atomic

BASES = ".bases"  # inside your profile folder: one TOML file per copy (never a profile)
_COMMIT = re.compile(r"[0-9a-f]{4,40}")


def git(folder: Path, *args: str, timeout: float = 5) -> subprocess.CompletedProcess[str] | None:
    """git -C folder ARGS (no prompts, no locks taken for reading); None if git cannot run."""
    command = ["git", "-c", "core.fsmonitor=false", "-C", str(folder), *args]
    env = {**os.environ, "GIT_TERMINAL_PROMPT": "0", "GIT_OPTIONAL_LOCKS": "0"}
    try:
        return subprocess.run(command, capture_output=True, text=True, timeout=timeout, env=env,
                              stdin=subprocess.DEVNULL)
    except (OSError, subprocess.SubprocessError):
        return None


def git_commit(path: Path) -> str | None:
    """Short hash of the last commit touching path; None if untracked, not in git, or no git."""
    result = git(path.parent, "log", "-1", "--format=%h", "--", path.name)
    commit = result.stdout.strip() if result is not None else ""
    return commit if result is not None and result.returncode == 0 and _COMMIT.fullmatch(
        commit) else None


def git_modified(path: Path) -> bool:
    """True when a tracked file differs from its last commit (edited, staged or not)."""
    result = git(path.parent, "status", "--porcelain", "--", path.name)
    if result is None or result.returncode != 0:
        return False
    return any(line[:2].strip() and not line.startswith("??") for line in
               result.stdout.splitlines())


def file_hash(path: Path) -> str | None:
    """The file's SHA-256 in hex; None if it cannot be read."""
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return None


def text_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def stamp(path: Path) -> tuple[int, ...] | None:
    """(mtime, ctime, size, inode): what tells cheaply that a file may have changed."""
    try:
        info = path.stat()
    except OSError:
        return None
    return info.st_mtime_ns, info.st_ctime_ns, info.st_size, info.st_ino


@dataclass(frozen=True)
class FileState:
    """A profile file's provenance: commit, whether the working tree differs, hash."""

    commit: str | None
    modified: bool
    sha256: str | None


def file_state(path: Path) -> FileState:
    commit = git_commit(path)
    return FileState(commit, commit is not None and git_modified(path), file_hash(path))


def provenance(commit: str | None, modified: bool, sha256: str | None) -> str:
    """'1a2b3c4', '1a2b3c4, modified (sha256 0f1e2d3c4b5a)', or '' outside git."""
    if commit is None:
        return ""
    return f"{commit}, modified (sha256 {(sha256 or '?')[:12]})" if modified else commit


@dataclass(frozen=True)
class Base:
    """The lab (or shipped) file a copy of yours was made from, as it was then."""

    source: str  # 'lab: /path/to/checkout' or 'shipped'
    path: str  # the file copied
    commit: str | None
    modified: bool
    sha256: str
    text: str  # its exact text: what you changed is your copy against this

    @property
    def folder(self) -> Path:
        return Path(self.path).parent

    @property
    def label(self) -> str:
        where = provenance(self.commit, self.modified, self.sha256)
        kind = self.source.split(":", 1)[0]  # 'lab: /folder' -> 'lab' (the path names it)
        return f"{kind}: {self.path}" + (f" @ {where}" if where else "")

    def record(self) -> dict[str, object]:
        """What a message keeps of it (no text)."""
        return {"source": self.source, "path": self.path, "commit": self.commit,
                "modified": self.modified, "sha256": self.sha256}


def base_file(user_dir: Path, name: str) -> Path:
    return user_dir / BASES / f"{name}.toml"


def read_base(user_dir: Path, name: str) -> Base | None:
    """The base recorded for your copy NAME; None when none is (or it cannot be read)."""
    try:
        data: dict[str, Any] = tomllib.loads(base_file(user_dir, name).read_text("utf-8"))
        commit = data.get("commit")
        return Base(str(data["source"]), str(data["path"]),
                    str(commit) if isinstance(commit, str) and commit else None,
                    data.get("modified") is True, str(data["sha256"]), str(data["text"]))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError, KeyError):
        return None


def write_base(user_dir: Path, name: str, base: Base) -> None:
    data = {"source": base.source, "path": base.path, "commit": base.commit or "",
            "modified": base.modified, "sha256": base.sha256, "text": base.text}
    write_atomic(base_file(user_dir, name), tomli_w.dumps(data, multiline_strings=True))


def remove_base(user_dir: Path, name: str) -> None:
    base_file(user_dir, name).unlink(missing_ok=True)

"""Where profiles come from: your folder, lab folders you add, then the shipped ones."""

from __future__ import annotations

import copy
import os
import re
import subprocess
import tomllib
from dataclasses import dataclass
from pathlib import Path

import tomli_w

from tui.alignment.files import write_atomic
from tui.alignment.profiles.errors import ProfileError
from tui.alignment.profiles.load import load_profile, parse_profile
from tui.alignment.profiles.schema import DEFAULT_NAME, Profile, to_data

FILE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
YOURS, SHIPPED, BUILT_IN = "yours", "shipped", "built-in"


@dataclass(frozen=True)
class ProfileEntry:
    """One profile file: where it came from, and either the profile or why it is broken."""

    name: str
    path: Path | None
    source: str
    commit: str | None = None
    profile: Profile | None = None
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.profile is not None

    @property
    def origin(self) -> str:
        """'shipped: /…/profiles/neutral.toml @ 1a2b3c4' (the commit only when in git)."""
        where = f"{self.source}: {self.path}" if self.path else self.source
        return f"{where} @ {self.commit}" if self.commit else where


def dumps(profile: Profile) -> str:
    """The profile as TOML text (tomli-w), readable and diffable."""
    return tomli_w.dumps(to_data(profile), multiline_strings=True)


def git_commit(path: Path) -> str | None:
    """Short hash of the last commit touching path; None if untracked, not in git, or no git."""
    command = ["git", "-c", "core.fsmonitor=false", "-C", str(path.parent), "log", "-1",
               "--format=%h", "--", path.name]
    env = {**os.environ, "GIT_TERMINAL_PROMPT": "0", "GIT_OPTIONAL_LOCKS": "0"}
    try:
        result = subprocess.run(command, capture_output=True, text=True, timeout=5, env=env,
                                stdin=subprocess.DEVNULL)
    except (OSError, subprocess.SubprocessError):
        return None
    commit = result.stdout.strip()
    return commit if result.returncode == 0 and re.fullmatch(r"[0-9a-f]{4,40}", commit) else None


class ProfileLibrary:
    """Profiles by precedence: user_dir, extra and added sources in order, shipped_dir."""

    def __init__(self, user_dir: Path, extra_sources: list[Path], shipped_dir: Path,
                 sources_file: Path | None = None) -> None:
        self.user_dir, self.shipped_dir = Path(user_dir), Path(shipped_dir)
        self.extra_sources = [Path(folder) for folder in extra_sources]
        self.sources_file = sources_file
        self.notices: list[str] = []

    # sources -------------------------------------------------------------------------------

    def added_sources(self) -> list[Path]:
        """Folders saved by add_source; an unreadable file gives a notice, not an error."""
        if self.sources_file is None or not self.sources_file.is_file():
            return []
        try:
            data = tomllib.loads(self.sources_file.read_text(encoding="utf-8"))
            return [Path(folder) for folder in data.get("sources", []) if isinstance(folder, str)]
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
            self.notices.append(f"{self.sources_file}: cannot read profile sources ({exc}); "
                                "fix or delete it")
            return []

    def folders(self) -> list[tuple[Path, str]]:
        """(folder, source label) in precedence order."""
        labs = self.extra_sources + [f for f in self.added_sources() if f not in self.extra_sources]
        return [(self.user_dir, YOURS), *((f, f"lab: {f}") for f in labs),
                (self.shipped_dir, SHIPPED)]

    def add_source(self, folder: Path | str) -> Path:
        """Remember a folder of profiles (such as a git checkout of a lab's profiles)."""
        if self.sources_file is None:
            raise ProfileError("no sources file is configured; pass sources_file to the library")
        resolved = Path(folder).expanduser().resolve()
        if not resolved.is_dir():
            raise ProfileError(f"{folder} is not a folder; clone your lab's profile repository "
                               "first, then add the folder that holds its .toml files")
        known = [str(f) for f in self.added_sources()]
        if str(resolved) not in known:
            write_atomic(self.sources_file, tomli_w.dumps({"sources": known + [str(resolved)]}))
        return resolved

    # entries -------------------------------------------------------------------------------

    def _entry(self, path: Path, source: str) -> ProfileEntry:
        try:
            profile, error = load_profile(path), None
        except ProfileError as exc:
            profile, error = None, str(exc)
        return ProfileEntry(path.stem, path, source, git_commit(path), profile, error)

    def entries(self) -> list[ProfileEntry]:
        """Every profile file, in precedence order; broken ones carry their error."""
        found = []
        for folder, source in self.folders():
            if folder.is_dir():
                found += [self._entry(path, source) for path in sorted(folder.glob("*.toml"))
                          if not path.name.startswith(".")]
        return found

    def get(self, name: str) -> ProfileEntry:
        """The first profile called name by precedence (maybe broken); KeyError if none."""
        for folder, source in self.folders():
            path = folder / f"{name}.toml"
            if FILE_NAME.match(name) and path.is_file():
                return self._entry(path, source)
        raise KeyError(name)

    def default(self) -> ProfileEntry:
        """The neutral profile, or a built-in neutral one when its file is missing or broken."""
        try:
            entry = self.get(DEFAULT_NAME)
        except KeyError:
            entry = None
        if entry is not None and entry.ok:
            return entry
        return ProfileEntry(DEFAULT_NAME, None, BUILT_IN, profile=Profile(name=DEFAULT_NAME))

    # writing -------------------------------------------------------------------------------

    def save(self, profile: Profile, name: str | None = None) -> Path:
        """Check and write profile into your folder (copy-on-write); returns its path."""
        name = name or profile.name
        if not FILE_NAME.match(name):
            raise ProfileError(f"'{name}' cannot be a profile name; use letters, digits, "
                               "'_', '-' and '.' (such as my-lab)")
        path = self.user_dir / f"{name}.toml"
        text = dumps(profile)
        parse_profile(text, path)  # never write a file that would not load
        write_atomic(path, text)
        return path

    def new(self, name: str) -> Path:
        """Start your own profile NAME from the neutral one."""
        if (self.user_dir / f"{name}.toml").exists():
            raise ProfileError(f"you already have a profile called {name}; pick another name "
                               "or change it with `/profile set`")
        starter = copy.deepcopy(self.default().profile) or Profile()
        starter.name, starter.title = name, name
        return self.save(starter, name)

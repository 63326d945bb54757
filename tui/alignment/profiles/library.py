"""Where profiles come from: your folder, lab folders you add, then the shipped ones."""

from __future__ import annotations

import copy
import re
import time
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import tomli_w

from tui.alignment.files import write_atomic
from tui.alignment.profiles.errors import ProfileError
from tui.alignment.profiles.load import load_profile, parse_profile
from tui.alignment.profiles.origin import (
    Base,
    file_hash,
    file_state,
    git_commit,
    provenance,
    read_base,
    remove_base,
    stamp,
    write_base,
)
from tui.alignment.profiles.schema import DEFAULT_NAME, Profile, to_data

__all__ = ["BUILT_IN", "SHIPPED", "YOURS", "LabUpdate", "ProfileEntry", "ProfileLibrary",
           "dumps", "git_commit"]

FILE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
YOURS, SHIPPED, BUILT_IN = "yours", "shipped", "built-in"
RESETS = ".reset"  # inside your profile folder: copies that `profile reset` put aside


@dataclass(frozen=True)
class ProfileEntry:
    """One profile file: where it came from, and either the profile or why it is broken."""

    name: str
    path: Path | None
    source: str
    commit: str | None = None
    profile: Profile | None = None
    error: str | None = None
    modified: bool = False  # in git, and the working tree differs from the commit
    sha256: str | None = None  # of the file as it was read
    base: Base | None = None  # your copy: the lab's or shipped file it was made from
    stamp: tuple[int, ...] | None = field(default=None, compare=False)

    @property
    def ok(self) -> bool:
        return self.profile is not None

    @property
    def origin(self) -> str:
        """'shipped: /…/neutral.toml @ 1a2b3c4' (', modified (sha256 …)' when dirty)."""
        where = f"{self.source}: {self.path}" if self.path else self.source
        commit = provenance(self.commit, self.modified, self.sha256)
        return f"{where} @ {commit}" if commit else where

    def resolve(self, relative: str) -> Path:
        """A relative path the profile names: beside it, else beside its copy's base."""
        folder = self.path.parent if self.path is not None else Path.cwd()
        here = folder / relative
        if self.base is not None and not here.exists():
            return self.base.folder / relative
        return here

    def record(self) -> dict[str, object]:
        """What each message keeps of the profile it was answered under."""
        record: dict[str, object] = {"name": self.name, "source": self.source,
                                     "path": str(self.path) if self.path else None,
                                     "commit": self.commit}
        if self.commit is not None:
            record["modified"] = self.modified
        if self.sha256 is not None:
            record["sha256"] = self.sha256
        if self.base is not None:
            record["base"] = self.base.record()
        return record


@dataclass(frozen=True)
class LabUpdate:
    """The file your copy was made from has changed since (or is gone)."""

    path: Path
    commit: str | None  # its commit now
    gone: bool = False


def dumps(profile: Profile) -> str:
    """The profile as TOML text (tomli-w), readable and diffable."""
    return tomli_w.dumps(to_data(profile), multiline_strings=True)


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
        seen = stamp(path)
        try:
            profile, error = load_profile(path), None
        except ProfileError as exc:
            profile, error = None, str(exc)
        state = file_state(path)
        base = read_base(self.user_dir, path.stem) if source == YOURS else None
        return ProfileEntry(path.stem, path, source, state.commit, profile, error,
                            state.modified, state.sha256, base, seen)

    def entry_for_file(self, path: Path | str) -> ProfileEntry:
        """The profile in a file, labelled with the source whose folder holds it."""
        path = Path(path).expanduser().resolve()
        for folder, source in self.folders():
            if folder.expanduser().resolve() == path.parent:
                return self._entry(path, source)
        return self._entry(path, f"file: {path.parent}")

    def shadowed(self, entries: list[ProfileEntry]) -> dict[Path, ProfileEntry]:
        """File -> the entry in use instead of it (the first of its name by precedence)."""
        first: dict[str, ProfileEntry] = {}
        hidden: dict[Path, ProfileEntry] = {}
        for entry in entries:
            if entry.name in first and entry.path is not None:
                hidden[entry.path] = first[entry.name]
            first.setdefault(entry.name, entry)
        return hidden

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
        behind = None if path.exists() else self.behind(name)
        write_atomic(path, text)
        if behind is not None and behind.path is not None:  # a first copy: keep its base
            self.record_base(name, behind)
        return path

    def record_base(self, name: str, entry: ProfileEntry) -> None:
        """Remember the file your copy NAME is based on, as it is now."""
        assert entry.path is not None
        text = entry.path.read_text(encoding="utf-8")
        write_base(self.user_dir, name, Base(entry.source, str(entry.path), entry.commit,
                                             entry.modified, file_hash(entry.path) or "", text))

    def behind(self, name: str) -> ProfileEntry | None:
        """The profile NAME your copy shadows (a lab's or the shipped one), if any."""
        for folder, source in self.folders()[1:]:
            path = folder / f"{name}.toml"
            if FILE_NAME.match(name) and path.is_file():
                return self._entry(path, source)
        return None

    def lab_update(self, entry: ProfileEntry) -> LabUpdate | None:
        """For your copy: the file it was made from, when that has changed since."""
        if entry.base is None:
            return None
        path = Path(entry.base.path)
        if not path.is_file():
            return LabUpdate(path, None, gone=True)
        if file_hash(path) == entry.base.sha256:
            return None
        return LabUpdate(path, git_commit(path))

    def reset(self, name: str) -> tuple[Path, ProfileEntry]:
        """Move your copy NAME into .reset/; returns where it went and the profile now used."""
        mine = self.user_dir / f"{name}.toml"
        if not FILE_NAME.match(name) or not mine.is_file():
            raise ProfileError(f"you have no copy of a profile called {name}; "
                               "`coalign profile list` shows yours")
        behind = self.behind(name)
        if behind is None:
            raise ProfileError(f"{name} is only yours (no lab or shipped profile has that "
                               f"name), so there is nothing to reset to; delete {mine} "
                               "yourself if you mean to")
        aside = self.user_dir / RESETS / f"{name}.{time.strftime('%Y%m%dT%H%M%S')}.toml"
        aside.parent.mkdir(parents=True, exist_ok=True)
        mine.replace(aside)
        remove_base(self.user_dir, name)
        return aside, behind

    def refresh(self, entry: ProfileEntry) -> ProfileEntry | None:
        """The profile read again when its file (or the file providing it) changed; else None."""
        if entry.path is None:
            return None
        for folder, source in self.folders():
            path = folder / f"{entry.name}.toml"
            if path.is_file():
                if path == entry.path and stamp(path) == entry.stamp:
                    return None
                fresh = self._entry(path, source)
                same = path == entry.path and fresh.sha256 == entry.sha256
                return None if same and fresh.commit == entry.commit else fresh
        return None

    def new(self, name: str) -> Path:
        """Start your own profile NAME from the neutral one."""
        if (self.user_dir / f"{name}.toml").exists():
            raise ProfileError(f"you already have a profile called {name}; pick another name "
                               "or change it with `/profile set`")
        starter = copy.deepcopy(self.default().profile) or Profile()
        starter.name, starter.title = name, name
        return self.save(starter, name)

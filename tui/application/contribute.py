"""`coalign profile contribute NAME --to SOURCE`: your copy's changes written into the
lab's checkout (comments and layout kept), committed on a new branch, ready to push."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

from tui.alignment.files import write_atomic
from tui.alignment.profiles.errors import ProfileError
from tui.alignment.profiles.library import YOURS, ProfileEntry, ProfileLibrary
from tui.alignment.profiles.load import parse_profile
from tui.alignment.profiles.merge import merge_changes
from tui.alignment.profiles.origin import git
from tui.alignment.profiles.schema import to_data


@dataclass(frozen=True)
class Contribution:
    """What contribute did: the branch and commit, the changes, the push command."""

    file: Path
    branch: str
    commit: str
    changes: list[str]
    conflicts: list[str] = field(default_factory=list)
    push: str = ""  # the command that pushes the branch ('' without a remote)


def _run(folder: Path, *args: str) -> str:
    """git ARGS in folder; ProfileError with git's own first line when it fails."""
    result = git(folder, *args, timeout=30)
    if result is None:
        raise ProfileError("git cannot be run; install git to contribute a profile")
    if result.returncode != 0:
        why = (result.stderr.strip() or result.stdout.strip()).splitlines()
        raise ProfileError(f"git {args[0]} failed in {folder}: {why[0] if why else 'error'}")
    return result.stdout.strip()


def _lab_folder(library: ProfileLibrary, to: Path | str) -> Path:
    wanted = Path(to).expanduser().resolve()
    for folder, source in library.folders():
        if source.startswith("lab: ") and folder.expanduser().resolve() == wanted:
            return wanted
    raise ProfileError(f"{to} is not one of your lab's profile folders; add your checkout "
                       f"with `coalign profile add-source {to}` first")


def _yours(library: ProfileLibrary, name: str) -> ProfileEntry:
    try:
        entry = library.get(name)
    except KeyError:
        raise ProfileError(f"no profile called {name}; `coalign profile list` shows them") from None
    if entry.source != YOURS or entry.profile is None:
        raise ProfileError(f"profile {name} is not an edited copy of yours ({entry.origin}); "
                           "change it first (/profile set, or F3), then contribute it")
    return entry


def _branch_name(folder: Path, name: str, wanted: str | None) -> str:
    branch = wanted or f"coalign/{name}-{time.strftime('%Y%m%d-%H%M%S')}"
    valid = git(folder, "check-ref-format", "--branch", branch)
    if valid is None or valid.returncode != 0 or _exists(folder, branch):
        raise ProfileError(f"cannot make a branch called {branch} in {folder} (it exists or is "
                           "not a valid name); pass another with --branch")
    return branch


def _exists(folder: Path, branch: str) -> bool:
    result = git(folder, "rev-parse", "--verify", "--quiet", f"refs/heads/{branch}")
    return result is not None and result.returncode == 0


def _merged(entry: ProfileEntry, target: Path) -> tuple[str, list[str], list[str]]:
    """The target file's new text, the changes, and keys the lab changed too."""
    assert entry.profile is not None and entry.path is not None
    yours = to_data(entry.profile)
    if not target.is_file():
        return entry.path.read_text(encoding="utf-8"), [f"+ new profile {entry.name}"], []
    lab_text = target.read_text(encoding="utf-8")
    same_file = entry.base is not None and Path(entry.base.path).resolve() == target.resolve()
    base_text = entry.base.text if entry.base is not None and same_file else lab_text
    merge = merge_changes(lab_text, to_data(parse_profile(base_text, target)), yours)
    if not merge.changes:
        raise ProfileError(f"your copy of {entry.name} changes nothing in {target}; "
                           "there is nothing to contribute")
    return merge.text, merge.changes, merge.conflicts


def contribute(library: ProfileLibrary, name: str, to: Path | str, branch: str | None = None,
               message: str | None = None) -> Contribution:
    """Write your copy's changes into the lab checkout at `to` on a new branch and commit."""
    entry = _yours(library, name)
    folder = _lab_folder(library, to)
    top = Path(_run(folder, "rev-parse", "--show-toplevel"))
    target = folder / f"{name}.toml"
    relative = str(target.resolve().relative_to(top.resolve()))
    if _run(top, "status", "--porcelain", "--", relative):
        raise ProfileError(f"{target} has changes that are not committed; commit or stash "
                           "them in the checkout first")
    text, changes, conflicts = _merged(entry, target)
    parse_profile(text, target)  # never commit a file that would not load
    branch = _branch_name(top, name, branch)
    summary = "; ".join(change.lstrip("~+- ") for change in changes[:3])
    message = message or f"Profile {name}: {summary}"[:200]
    _run(top, "checkout", "-q", "-b", branch)
    old = target.read_text(encoding="utf-8") if target.is_file() else None
    try:
        write_atomic(target, text)
        _run(top, "add", "--", relative)
        _run(top, "commit", "-q", "-m", message, "--", relative)
    except (ProfileError, OSError):
        if old is None:
            target.unlink(missing_ok=True)
        else:
            write_atomic(target, old)
        git(top, "reset", "-q", "--", relative)
        git(top, "checkout", "-q", "-")
        git(top, "branch", "-q", "-D", branch)
        raise
    commit = _run(top, "rev-parse", "--short", "HEAD")
    assert entry.path is not None  # your copy now is the committed file (the lab's updates
    write_atomic(entry.path, text)  # since your copy was made included), based on it
    library.record_base(name, library.entry_for_file(target))
    remotes = _run(top, "remote").split()
    remote = "origin" if "origin" in remotes else (remotes[0] if remotes else "")
    push = f"git -C {top} push -u {remote} {branch}" if remote else ""
    return Contribution(target, branch, commit, changes, conflicts, push)


def contribution_lines(done: Contribution) -> list[str]:
    """What contribute tells the user."""
    lines = [f"committed {done.commit} on a new branch {done.branch} in {done.file.parent} "
             "(the checkout is on that branch now):", *(f"  {c}" for c in done.changes)]
    lines += [f"  also changed in the lab since your copy was made, yours is committed: {c}"
              for c in done.conflicts]
    lines.append("your copy is now the committed file (with the lab's changes since)")
    lines.append(f"push it for review: {done.push}" if done.push else
                 "the checkout has no remote: add one, then push the branch")
    lines.append(f"`git -C {done.file.parent} diff HEAD~1` shows the change; "
                 f"`git -C {done.file.parent} checkout -` goes back to where you were")
    return lines


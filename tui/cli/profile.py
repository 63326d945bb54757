"""`coalign profile list | show [NAME] | validate FILE | diff A B | new NAME | add-source PATH`."""

from __future__ import annotations

import argparse
from pathlib import Path

from tui.alignment.profiles.edit import diff
from tui.alignment.profiles.errors import ProfileError
from tui.alignment.profiles.library import ProfileLibrary
from tui.alignment.profiles.load import load_profile
from tui.alignment.profiles.schema import Profile
from tui.application.profiles import describe, entry_line, open_library, told
from tui.output.terminal import err, out
from tui.paths import default_paths


def add_profile_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Register `coalign profile ACTION …` on the main parser's subcommands."""
    profile = subparsers.add_parser("profile", help="value profiles: list, show, validate, diff")
    actions = profile.add_subparsers(dest="profile_command", metavar="ACTION", required=True)
    actions.add_parser("list", help="every profile, where it comes from, broken ones with why")
    show = actions.add_parser("show", help="a profile and exactly what the model is told")
    show.add_argument("name", nargs="?", help="profile name (default: neutral)")
    validate = actions.add_parser("validate", help="check a profile file; exit 1 if invalid")
    validate.add_argument("file", type=Path)
    compare = actions.add_parser("diff", help="key-by-key differences between two profiles")
    compare.add_argument("a", help="profile name or .toml file")
    compare.add_argument("b", help="profile name or .toml file")
    new = actions.add_parser("new", help="start your own profile from the neutral one")
    new.add_argument("name")
    source = actions.add_parser("add-source",
                                help="add a folder of profiles (a lab's git checkout)")
    source.add_argument("path", type=Path)
    return profile


def _find(library: ProfileLibrary, spec: str) -> Profile:
    """A profile by name, or by file path when spec names an existing file."""
    if spec.endswith(".toml") or Path(spec).is_file():
        return load_profile(spec)
    try:
        entry = library.get(spec)
    except KeyError:
        raise ProfileError(f"no profile called {spec}; `coalign profile list` shows them") from None
    if entry.profile is None:
        raise ProfileError(entry.error or "broken profile")
    return entry.profile


def _run(args: argparse.Namespace, library: ProfileLibrary) -> int:
    action = args.profile_command
    if action == "list":
        out.line("\n".join(entry_line(entry) for entry in library.entries()))
    elif action == "show":
        try:
            entry = library.get(args.name) if args.name else library.default()
        except KeyError:
            raise ProfileError(f"no profile called {args.name}; `coalign profile list` "
                               "shows them") from None
        out.line("\n".join(describe(entry) + told(entry)))
        return 0 if entry.ok else 1
    elif action == "validate":
        try:
            profile = load_profile(args.file)
        except ProfileError as exc:
            out.line(exc)
            return 1
        out.line(f"{args.file}: ok (schema {profile.schema}, {len(profile.values)} values)")
    elif action == "diff":
        changes = diff(_find(library, args.a), _find(library, args.b))
        out.line("\n".join(changes) or "no differences")
    elif action == "new":
        out.line(f"created {library.new(args.name)}")
    elif action == "add-source":
        folder = library.add_source(args.path)
        found = [e for e in library.entries() if e.path and e.path.parent == folder]
        broken = sum(not entry.ok for entry in found)
        out.line(f"added {folder}: {len(found)} profiles ({broken} broken)")
    for notice in library.notices:
        err.line(f"warning: {notice}")
    return 0


def cmd_profile(args: argparse.Namespace, library: ProfileLibrary | None = None) -> int:
    """Run `coalign profile …`; problems are one line on stderr and exit status 2."""
    try:
        return _run(args, library or open_library(default_paths()))
    except BrokenPipeError:
        raise  # the reader went away: main() ends quietly
    except (ProfileError, OSError) as exc:
        err.line(f"coalign: {exc}")
        return 2

"""`coalign profile list | show [NAME|FILE] | validate FILE | diff A B | new NAME |
add-source PATH | reset NAME | contribute NAME --to SOURCE`."""

from __future__ import annotations

import argparse
from pathlib import Path

from tui.alignment.profiles.edit import diff
from tui.alignment.profiles.errors import ProfileError
from tui.alignment.profiles.library import ProfileEntry, ProfileLibrary
from tui.alignment.profiles.load import load_profile
from tui.alignment.profiles.schema import Profile
from tui.application.profiles import describe, list_lines, open_library, reset_lines, told
from tui.config import load_config
from tui.engine.model_files import resolve_model
from tui.errors import CoalignError
from tui.output.terminal import err, out
from tui.paths import Paths, default_paths


def add_profile_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Register `coalign profile ACTION …` on the main parser's subcommands."""
    profile = subparsers.add_parser("profile", help="value profiles: list, show, validate, diff")
    actions = profile.add_subparsers(dest="profile_command", metavar="ACTION", required=True)
    actions.add_parser("list", help="every profile in precedence order, shadowed ones marked")
    show = actions.add_parser("show", help="a profile and exactly what the model is told")
    show.add_argument("name", nargs="?", help="profile name or .toml file (default: neutral)")
    validate = actions.add_parser("validate", help="check a profile file and the files it "
                                  "names; exit 1 if invalid")
    validate.add_argument("file", type=Path)
    validate.add_argument("--model", default=None,
                          help="check control vectors against this model (default: yours)")
    compare = actions.add_parser("diff", help="key-by-key differences between two profiles")
    compare.add_argument("a", help="profile name or .toml file")
    compare.add_argument("b", help="profile name or .toml file")
    new = actions.add_parser("new", help="start your own profile from the neutral one")
    new.add_argument("name")
    source = actions.add_parser("add-source",
                                help="add a folder of profiles (a lab's git checkout)")
    source.add_argument("path", type=Path)
    reset = actions.add_parser("reset", help="drop your copy: use the lab's (or shipped) again")
    reset.add_argument("name")
    give = actions.add_parser("contribute", help="commit your copy's changes into a lab "
                              "checkout, on a new branch ready to push")
    give.add_argument("name")
    give.add_argument("--to", required=True, metavar="SOURCE",
                      help="the lab checkout (a folder added with add-source)")
    give.add_argument("--branch", default=None, help="branch name (default: coalign/NAME-TIME)")
    give.add_argument("--message", "-m", default=None, help="commit message")
    return profile


def _find(library: ProfileLibrary, spec: str) -> Profile:
    """A profile by name, or by file path when spec names an existing file."""
    if spec.endswith(".toml") or Path(spec).is_file():
        return load_profile(spec)
    entry = _entry(library, spec)
    if entry.profile is None:
        raise ProfileError(entry.error or "broken profile")
    return entry.profile


def _entry(library: ProfileLibrary, spec: str | None) -> ProfileEntry:
    if not spec:
        return library.default()
    if spec.endswith(".toml") and Path(spec).is_file():
        return library.entry_for_file(spec)
    try:
        return library.get(spec)
    except KeyError:
        raise ProfileError(f"no profile called {spec}; `coalign profile list` "
                           "shows them") from None


def _model(flag: str | None, paths: Paths) -> Path | None:
    """The model control vectors must fit: --model, else the one coalign would load."""
    config, _issues = load_config(paths.config_file)
    if config.backend != "local" and not flag:
        return None
    try:
        return resolve_model(flag, config.model, paths.user_models_dir).path
    except CoalignError:
        return None


def _validate(args: argparse.Namespace, library: ProfileLibrary, paths: Paths) -> int:
    try:
        profile = load_profile(args.file)
    except ProfileError as exc:
        out.line(exc)
        return 1
    # reading control vectors needs numpy (~90 ms): imported only when a file is validated
    from tui.application.profile_checks import checked_against, reference_problems

    model = _model(args.model, paths)
    entry = library.entry_for_file(args.file)
    problems = reference_problems(entry, model)
    if problems:
        out.line("\n".join(problems))
        return 1
    out.line(f"{args.file}: ok (schema {profile.schema}, {len(profile.values)} values"
             f"{checked_against(entry, model)})")
    return 0


def _run(args: argparse.Namespace, library: ProfileLibrary, paths: Paths) -> int:
    action = args.profile_command
    code = 0
    if action == "list":
        out.line("\n".join(list_lines(library)))
    elif action == "show":
        entry = _entry(library, args.name)
        out.line("\n".join(describe(entry, library) + told(entry)))
        code = 0 if entry.ok else 1
    elif action == "validate":
        code = _validate(args, library, paths)
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
    elif action == "reset":
        out.line("\n".join(reset_lines(library, args.name)))
    elif action == "contribute":
        from tui.application.contribute import contribute, contribution_lines

        done = contribute(library, args.name, args.to, args.branch, args.message)
        out.line("\n".join(contribution_lines(done)))
    for notice in library.notices:
        err.line(f"warning: {notice}")
    return code


def cmd_profile(args: argparse.Namespace, library: ProfileLibrary | None = None) -> int:
    """Run `coalign profile …`; problems are one line on stderr and exit status 2."""
    paths = default_paths()
    try:
        return _run(args, library or open_library(paths), paths)
    except BrokenPipeError:
        raise  # the reader went away: main() ends quietly
    except (ProfileError, OSError) as exc:
        err.line(f"coalign: {exc}")
        return 2

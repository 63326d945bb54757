"""`coalign prompt list | show NAME [VALUES…]`: the shared prompt library (P12)."""

from __future__ import annotations

import argparse

from tui.alignment.profiles.library import ProfileLibrary
from tui.alignment.profiles.prompts import library_prompts
from tui.application.profiles import configured_profile, open_library
from tui.application.prompts import prepare_from, prompt_lines, show_lines
from tui.config import load_config
from tui.errors import CoalignError
from tui.output.terminal import err, out
from tui.paths import default_paths


def add_prompt_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Register `coalign prompt ACTION …` on the main parser's subcommands."""
    prompt = subparsers.add_parser("prompt", help="the shared prompt library: list, show")
    actions = prompt.add_subparsers(dest="prompt_command", metavar="ACTION", required=True)
    listing = actions.add_parser("list", help="every prompt: the profile in force's, then "
                                 "every source's")
    listing.add_argument("--profile", default=None, help="the profile in force (default: "
                         "config.toml's)")
    show = actions.add_parser("show", help="a prompt's text, source and placeholders")
    show.add_argument("name", help="NAME or PROFILE:NAME")
    show.add_argument("values", nargs="*", help="VALUE | … or KEY=VALUE for its placeholders")
    show.add_argument("--profile", default=None, help="the profile in force")
    return prompt


def cmd_prompt(args: argparse.Namespace, library: ProfileLibrary | None = None) -> int:
    """Run `coalign prompt …`; problems are one line on stderr and exit status 2."""
    paths = default_paths()
    library = library or open_library(paths)
    config, _issues = load_config(paths.config_file)
    current = configured_profile(library, args.profile or config.profile)
    prompts = library_prompts(library, current)
    try:
        if args.prompt_command == "list":
            out.line("\n".join(prompt_lines(prompts)))
        else:
            request = prepare_from(prompts, " ".join([args.name, *args.values]))
            out.line("\n".join(show_lines(request)))
    except CoalignError as exc:
        err.line(f"coalign: {exc}")
        return 2
    for notice in library.notices:
        err.line(f"warning: {notice}")
    return 0

"""`coalign models [list] | pull NAME|REPO [FILE] | show NAME`: one module per action."""

from __future__ import annotations

import argparse


def add_models_parser(subparsers: argparse._SubParsersAction,
                      engine: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """Register `coalign models ACTION …` (list when no action is given)."""
    models = subparsers.add_parser(
        "models", parents=[engine],
        help="models: list what coalign finds, pull one from Hugging Face, show one")
    actions = models.add_subparsers(dest="models_command", metavar="ACTION")
    actions.add_parser("list", parents=[engine],
                       help="registered models, GGUFs found on this machine, the catalogue "
                       "(the default)")
    pull = actions.add_parser(
        "pull", parents=[engine],
        help="download a catalogue model (or any GGUF on Hugging Face) and register it")
    pull.add_argument("name", metavar="NAME|REPO",
                      help="a catalogue name (`coalign models` lists them) or OWNER/REPO")
    pull.add_argument("file", nargs="?", metavar="FILE",
                      help="the GGUF file in REPO (default: its Q4_K_M, or its only GGUF)")
    show = actions.add_parser(
        "show", parents=[engine],
        help="a model's parameters, quantisation, context, chat template, licence, memory")
    show.add_argument("name", metavar="NAME", help="a name `coalign models` lists, or a file")
    return models


def cmd_models(args: argparse.Namespace) -> int:
    """Run `coalign models …`; problems are one line on stderr (CoalignError, exit 2)."""
    action = getattr(args, "models_command", None) or "list"
    if action == "pull":
        from tui.cli.models.pull import cmd_pull

        return cmd_pull(args)
    if action == "show":
        from tui.cli.models.show import cmd_show

        return cmd_show(args)
    from tui.cli.models.listing import cmd_list

    return cmd_list(args)

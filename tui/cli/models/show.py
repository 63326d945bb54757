"""`coalign models show NAME`: what a model is, from its GGUF header, and if it fits."""

from __future__ import annotations

import argparse

from tui.application.models import show_lines
from tui.cli.flags import overrides
from tui.config import load_config
from tui.output.terminal import out
from tui.paths import default_paths


def cmd_show(args: argparse.Namespace) -> int:
    paths = default_paths()
    config, _issues = load_config(paths.config_file)
    config = config.with_overrides(**{k: v for k, v in overrides(args).items() if k != "model"})
    for line in show_lines(args.name, paths, config):
        out.line(line)
    return 0

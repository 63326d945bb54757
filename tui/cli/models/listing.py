"""`coalign models [list]`: the models coalign can use, where each came from, the one in
use, and the catalogue of models it can pull."""

from __future__ import annotations

import argparse

from tui.application.models import listing, row_line
from tui.cli.flags import overrides
from tui.config import load_config
from tui.output.terminal import err, out
from tui.paths import default_paths


def cmd_list(args: argparse.Namespace) -> int:
    paths = default_paths()
    config, _issues = load_config(paths.config_file)
    config = config.with_overrides(**{k: v for k, v in overrides(args).items() if k != "model"})
    shown = listing(paths, config, getattr(args, "model", None))
    if shown.problem:
        out.line(f"no model selected: {shown.problem}")
    for warning in shown.chosen.warnings if shown.chosen is not None else ():
        err.line(f"warning: {warning}")  # e.g. a models.toml entry that was skipped
    registered = [row for row in shown.rows if row.registered]
    found = [row for row in shown.rows if not row.registered]
    for row in registered:
        out.line(row_line(row))
    out.line("* = the model coalign uses now (--model > config > models.toml > bundled)")
    if found:
        out.line("")
        out.line("found on this machine (use one with --model NAME or /model NAME):")
        for row in found:
            out.line(row_line(row))
    out.line("")
    out.line("catalogue (`coalign models pull NAME`, then `coalign models show NAME`):")
    for entry, pulled in shown.catalogue:
        state = "pulled" if pulled is not None else f"{entry.size_mb:,} MB"
        out.line(f"  {entry.name:<13} {state:>9}  {entry.parameters:<5} {entry.licence}: "
                 f"{entry.good_for}")
    return 0

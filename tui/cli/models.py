"""`coalign models`: the GGUF files coalign can find, and the one it uses now."""

from __future__ import annotations

import argparse

from tui.config import load_config
from tui.engine.model_files import available_models, resolve_model
from tui.errors import CoalignError
from tui.output.terminal import err, out
from tui.paths import default_paths


def cmd_models(args: argparse.Namespace) -> int:
    paths = default_paths()
    config, _issues = load_config(paths.config_file)
    chosen = None
    try:
        chosen = resolve_model(getattr(args, "model", None), config.model, paths.user_models_dir)
    except CoalignError as exc:
        out.line(f"no model selected: {exc}")
    for warning in chosen.warnings if chosen is not None else ():
        err.line(f"warning: {warning}")  # e.g. a models.toml entry that was skipped
    choices = available_models(paths.user_models_dir)
    if chosen is not None and chosen not in choices:
        choices.insert(0, chosen)
    for choice in choices:
        mark = "*" if chosen is not None and choice.path == chosen.path else " "
        size = f"{choice.path.stat().st_size / 1e6:7.1f} MB" if choice.exists else "   missing"
        out.line(f"{mark} {choice.name:<24} {size}  {choice.path}  [{choice.source}]")
    out.line("* = the model coalign uses now (--model > config > models/models.toml > bundled)")
    return 0

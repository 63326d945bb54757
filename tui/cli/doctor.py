"""`coalign doctor`: the llama.cpp build, the model, config and data dirs."""

from __future__ import annotations

import argparse

from tui.application.doctor import report
from tui.config import EngineOverrides
from tui.output.terminal import out
from tui.paths import default_paths


def cmd_doctor(args: argparse.Namespace, overrides: EngineOverrides) -> int:
    settings = EngineOverrides(**overrides)
    settings.pop("model", None)  # the report resolves the model itself
    for line in report(default_paths(), getattr(args, "model", None), settings):
        out.line(line)
    return 0

"""`coalign doctor`: the llama.cpp build, the model, config and data dirs."""

from __future__ import annotations

import argparse
from typing import Any

from tui.application.doctor import report
from tui.paths import default_paths


def cmd_doctor(args: argparse.Namespace, overrides: dict[str, Any]) -> int:
    for line in report(default_paths(), getattr(args, "model", None),
                       {k: v for k, v in overrides.items() if k != "model"}):
        print(line)
    return 0

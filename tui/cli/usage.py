"""`coalign usage [--days N] [--from DIR …]`: tokens, requests, CPU time and energy."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from tui.alignment.store import Store
from tui.alignment.usage import WATTS_PER_BUSY_CORE, UsageTotals
from tui.application.usage import collective_usage, local_usage
from tui.output.terminal import err, out
from tui.paths import default_paths


def add_usage_parser(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    usage = commands.add_parser("usage", help="tokens, requests, CPU time and energy per day "
                                "and per profile")
    usage.add_argument("--days", type=int, default=None,
                       help="the last N days (default 30; with --from, every day recorded)")
    usage.add_argument("--from", dest="sources", action="extend", nargs="+", type=Path,
                       metavar="DIR", help="sum participants' diary folders (their usage/ "
                       "records); repeat it or list several")


def print_table(groups: dict[str, UsageTotals]) -> None:
    out.line(f"{'':<28}{'requests':>9}{'tokens':>10}{'minutes':>9}{'CPU s':>9}{'Wh':>8}")
    for label, totals in groups.items():
        out.line(f"{label:<28}{totals.requests:>9}{totals.tokens:>10}{totals.minutes:>9.1f}"
              f"{totals.cpu_seconds:>9.1f}{totals.energy_wh:>8.3f}")
    out.line(f"energy = CPU seconds x {WATTS_PER_BUSY_CORE:g} W per busy core (an estimate; "
          "see README)")


def cmd_usage(args: argparse.Namespace) -> int:
    if args.sources:  # the collective view: several participants' diary folders
        warnings: list[str] = []
        since = (time.strftime("%Y-%m-%d", time.localtime(time.time() - (args.days - 1) * 86400))
                 if args.days else "")
        groups = collective_usage(args.sources, warnings, since)
        for warning in warnings:
            err.line(f"warning: {warning}")
    else:
        paths = default_paths()
        paths.ensure_data_dir()
        groups = local_usage(Store(paths.database), args.days or 30)
    print_table(groups)
    return 0

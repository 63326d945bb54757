"""`coalign study summary --from DIR …`: a coordinator's view of participants' diaries."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from tui.alignment.diary import DiaryError
from tui.alignment.diary.entry import EVENT_KINDS
from tui.alignment.text import counted
from tui.alignment.usage import WATTS_PER_BUSY_CORE
from tui.application.study import OUTCOME_KEYS, StudySummary, Tally, summarise
from tui.output.table import table
from tui.output.terminal import err, out
from tui.paths import default_paths

TOTAL, CONSENTING = "all", "consenting"


def add_study_parser(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    study = commands.add_parser("study", help="a study coordinator's view of diary folders")
    actions = study.add_subparsers(dest="study_command", metavar="ACTION", required=True)
    summary = actions.add_parser(
        "summary", help="entries, outcomes, values at risk, interventions, profiles, "
        "consent and usage per participant and in all")
    summary.add_argument("--from", dest="sources", action="append", type=Path, default=[],
                         metavar="DIR", help="a participant's diary folder (repeat)")
    summary.add_argument("--json", action="store_true", help="print one JSON object")


def _usage_cells(tally: Tally) -> list[object]:
    if not tally.usage_recorded:
        return ["-", "-", "-"]
    usage = tally.usage
    return [usage.requests, usage.tokens, f"{usage.energy_wh:.3f}"]


def _outcome_cells(tally: Tally) -> list[object]:
    return [tally.entries, *(tally.outcomes.get(key, 0) for key in OUTCOME_KEYS)]


def summary_lines(summary: StudySummary) -> list[str]:
    """The summary as aligned tables: participants, values, interventions, profiles."""
    rows = [[row.label, row.consent_state, *_outcome_cells(row.tally), *_usage_cells(row.tally)]
            for row in summary.rows]
    for label, tally in ((TOTAL, summary.total), (CONSENTING, summary.consenting)):
        rows.append([label, "", *_outcome_cells(tally), *_usage_cells(tally)])
    header = ["participant", "consent", "entries", *OUTCOME_KEYS, "requests", "tokens", "Wh"]
    count = len(summary.rows)
    lines = [f"{counted(count, 'participant')}; '{CONSENTING}' is what an export holds",
             "",
             *table(header, rows, numeric=range(2, len(header)))]
    lines.append(f"Wh = CPU seconds x {WATTS_PER_BUSY_CORE:g} W per busy core (an estimate); "
                 "- = no usage recorded (or left out: see the warnings)")
    values = summary.ranked_values()
    lines += ["", "values at risk, ranked (case-insensitive)"]
    lines += table(["value", "entries", "participants"], values, numeric=(1, 2)) if values \
        else ["(none recorded)"]
    kinds = [[row.label, *(row.tally.interventions.get(k, 0) for k in EVENT_KINDS)]
             for row in summary.rows]
    kinds.append([TOTAL, *(summary.total.interventions.get(k, 0) for k in EVENT_KINDS)])
    lines += ["", "interventions by kind",
              *table(["participant", *EVENT_KINDS], kinds, numeric=range(1, 7))]
    profiles = sorted(summary.total.profiles.items(), key=lambda item: (-item[1], item[0]))
    users = {name: sum(1 for row in summary.rows if name in row.tally.profiles)
             for name, _n in profiles}
    lines += ["", "profiles used",
              *(table(["profile", "entries", "participants"],
                      [(name, n, users[name]) for name, n in profiles], numeric=(1, 2))
                if profiles else ["(no entries)"])]
    return lines


def cmd_study(args: argparse.Namespace) -> int:
    """Run `coalign study …`; an unreadable folder is one line on stderr and exit 2."""
    sources = args.sources or [default_paths().diary_dir]
    try:
        summary = summarise(sources)
    except (DiaryError, OSError) as exc:
        err.line(f"coalign: {exc}")
        return 2
    for warning in summary.warnings:
        err.line(f"warning: {warning}")
    if args.json:
        out.line(json.dumps(summary.as_dict()))
    else:
        out.line("\n".join(summary_lines(summary)))
    return 0

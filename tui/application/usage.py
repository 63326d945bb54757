"""The usage meter over this machine's history or several participants' diary folders."""

from __future__ import annotations

import time
import tomllib
from pathlib import Path

from tui.alignment.store import Store
from tui.alignment.usage import UsageTotals, totals_from_record


def _ordered(groups: dict[str, UsageTotals]) -> dict[str, UsageTotals]:
    """Days first, then participants and profiles, 'all' last."""
    return dict(sorted(groups.items(), key=lambda item: (item[0] == "all",
                                                         not item[0][0].isdigit(), item[0])))


def local_usage(store: Store, days: int) -> dict[str, UsageTotals]:
    """Use per day and per profile over the last `days` days of this machine's history."""
    groups: dict[str, UsageTotals] = {}
    for at, profile, stats in store.answer_stats(time.time() - days * 86400):
        for label in (time.strftime("%Y-%m-%d", time.localtime(at)), f"profile {profile}"):
            groups.setdefault(label, UsageTotals()).add(stats)
    return _ordered(groups)


def collective_usage(folders: list[Path],
                     warnings: list[str]) -> dict[str, UsageTotals]:
    """Use per day, participant and profile summed over diary folders' usage/ records;
    what cannot be read is skipped and said in warnings."""
    groups: dict[str, UsageTotals] = {}

    def count(label: str, totals: UsageTotals) -> None:
        groups.setdefault(label, UsageTotals()).merge(totals)

    for folder in folders:
        files = sorted((folder / "usage").glob("*.toml"))
        if not files:
            warnings.append(f"{folder}/usage holds no usage records")
        for path in files:
            try:
                record = tomllib.loads(path.read_text(encoding="utf-8"))
            except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
                warnings.append(f"{path}: skipped ({exc})")
                continue
            for profile, totals in totals_from_record(record).items():
                count(f"{record.get('day', '?')}", totals)
                count(f"participant {record.get('pseudonym', '?')}", totals)
                count(f"profile {profile}", totals)
                count("all", totals)
    return _ordered(groups)

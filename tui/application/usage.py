"""The usage meter over this machine's history or several participants' diary folders.

Each machine writes its own usage/<day>/<machine-id>.toml beside the diary (machine ids
are random, kept in the data dir: never the hostname); reading sums every machine's
files, and usage/<day>.toml files from before, per participant who consents.
"""

from __future__ import annotations

import re
import secrets
import time
import tomllib
from collections import Counter
from pathlib import Path

from tui.alignment.diary.entry import DiaryError
from tui.alignment.diary.participant import Participant, conflict_problem, read_participant
from tui.alignment.files import write_atomic
from tui.alignment.store import Store
from tui.alignment.usage import UsageTotals, totals_from_record
from tui.paths import Paths

USAGE_FOLDER = "usage"
MACHINE_ID = re.compile(r"^[0-9a-f]{12}$")


def machine_id(paths: Paths) -> str:
    """This installation's random id (made once, in the data dir)."""
    path = paths.machine_id_file
    try:
        found = path.read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError):
        found = ""
    if MACHINE_ID.match(found):
        return found
    made = secrets.token_hex(6)
    write_atomic(path, made + "\n")
    return made


def usage_path(folder: Path, day: str, machine: str) -> Path:
    """Where a machine's usage of a day goes in a diary folder."""
    return folder / USAGE_FOLDER / day / f"{machine}.toml"


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


def collective_usage(folders: list[Path], warnings: list[str],
                     since: str = "") -> dict[str, UsageTotals]:
    """Use per day, participant and profile summed over diary folders' usage records (every
    machine's, days from since on); folders whose participant does not consent, and files
    that cannot be read, are left out and said in warnings."""
    groups: dict[str, UsageTotals] = {}

    def count(label: str, totals: UsageTotals) -> None:
        groups.setdefault(label, UsageTotals()).merge(totals)

    for folder, label in _consenting(folders, warnings):
        files = sorted([*(folder / USAGE_FOLDER).glob("*.toml"),
                        *(folder / USAGE_FOLDER).glob("*/*.toml")])
        if not files:
            warnings.append(f"{folder}/{USAGE_FOLDER} holds no usage records")
        for path in files:
            record = _read(path, warnings)
            if record is None:
                continue
            day = str(record.get("day") or (path.parent.name if path.parent.name !=
                                            USAGE_FOLDER else path.stem))
            if since and day < since:
                continue
            for profile, totals in totals_from_record(record).items():
                count(day, totals)
                count(f"participant {label}", totals)
                count(f"profile {profile}", totals)
                count("all", totals)
    return _ordered(groups)


def _consenting(folders: list[Path], warnings: list[str]) -> list[tuple[Path, str]]:
    """The folders whose participant consents, each with a label of its own (the
    pseudonym; with the short id where pseudonyms are missing or shared)."""
    found: list[tuple[Path, Participant]] = []
    for folder in dict.fromkeys(Path(f).resolve() for f in folders):  # each folder once
        try:
            participant = read_participant(folder)
        except DiaryError as exc:
            warnings.append(f"{exc}; its usage is left out")
            continue
        if participant is None and not folder.is_dir():
            warnings.append(f"{folder}: not a folder; skipped")
        elif participant is None:
            warnings.append(f"{folder}: usage left out: no participant.toml, so consent is "
                            "not recorded")
        elif not participant.consent:
            warnings.append(f"{folder}: usage left out: {participant.label} "
                            f"{participant.why_left_out()}")
        else:
            found.append((folder, participant))
    names = Counter(p.pseudonym for _f, p in {p.id: (f, p) for f, p in found}.values())
    return [(folder, p.pseudonym if p.pseudonym and names[p.pseudonym] == 1
             else f"{p.pseudonym or 'unnamed'}-{p.short_id}") for folder, p in found]


def _read(path: Path, warnings: list[str]) -> dict[str, object] | None:
    try:
        text = path.read_text(encoding="utf-8")
        if problem := conflict_problem(text):
            warnings.append(f"{path}: skipped: it {problem}")
            return None
        return tomllib.loads(text)
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        warnings.append(f"{path}: skipped ({exc})")
        return None

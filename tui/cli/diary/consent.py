"""`coalign diary consent [give | withdraw [--delete-entries | --keep-entries]]`."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable

from tui.alignment.diary.participant import Participant
from tui.alignment.text import counted
from tui.application.participant import (
    ParticipantKeeper,
    entry_count,
    give_consent,
    keeper_for,
    withdraw_consent,
)
from tui.output.terminal import out
from tui.paths import Paths


def add_parsers(actions: argparse._SubParsersAction
                ) -> dict[str, Callable[[argparse.Namespace, Paths], int]]:
    """Register consent; return its handler by name."""
    consent = actions.add_parser(
        "consent", help="your consent to the study: show it, give it or withdraw it")
    consent.add_argument("action", nargs="?", choices=("give", "withdraw"),
                         help="without one: show your participant file")
    entries = consent.add_mutually_exclusive_group()
    entries.add_argument("--delete-entries", action="store_true",
                         help="withdraw: delete your diary entries too (without it, or "
                              "--keep-entries, a terminal asks)")
    entries.add_argument("--keep-entries", action="store_true",
                         help="withdraw: keep your entries (no export holds them)")
    return {"consent": _consent}


def _consent(args: argparse.Namespace, paths: Paths) -> int:
    keeper = keeper_for(paths)
    if args.action == "give":
        participant = give_consent(keeper)
        out.line(f"consent given on {participant.consent_given_at[:10]}: your diary entries "
                 "may be exported for the study")
    elif args.action == "withdraw":
        return _withdraw(args, keeper)
    else:
        participant = keeper.current()
        _show(keeper, participant)
    return 0


def _show(keeper: ParticipantKeeper, participant: Participant) -> None:
    out.line(f"participant {participant.id}"
             + (f" · pseudonym {participant.pseudonym}" if participant.pseudonym
                else " · no pseudonym (set `pseudonym` in config.toml)"))
    out.line(f"diary: {keeper.folder} ({counted(entry_count(keeper), 'entry', 'entries')})")
    if participant.consent:
        out.line(f"consent: given on {participant.consent_given_at[:10]}")
    else:
        out.line(f"consent: {participant.why_left_out().removeprefix('has ')}; no study "
                 "export holds your entries (`coalign diary consent give`)")
    if keeper.config_differs(participant):
        out.line("note: config.toml says otherwise; this participant file is what the study "
                 "reads (a change you make to config.toml is carried into it)")


def _withdraw(args: argparse.Namespace, keeper: ParticipantKeeper) -> int:
    count = entry_count(keeper)
    delete = args.delete_entries
    if count and not (args.delete_entries or args.keep_entries) and sys.stdin.isatty():
        out.write(f"Also delete your {count} diary entries from {keeper.folder}? "
                  "(git history keeps what was pushed) [y/N] ")
        delete = sys.stdin.readline().strip().lower() in ("y", "yes")
    done = withdraw_consent(keeper, delete)
    out.line(f"consent withdrawn on {done.participant.consent_withdrawn_at[:10]}: no study "
             "export holds your entries from now")
    if done.deleted:
        out.line(f"deleted {done.deleted} entries from {keeper.folder}; commit and push the "
                 "deletion (git history still holds them: ask the coordinator to purge it)")
    elif done.kept:
        out.line(f"kept {done.kept} entries in {keeper.folder} "
                 "(`coalign diary consent withdraw --delete-entries` deletes them)")
    return 0

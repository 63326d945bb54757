"""Drafts Misalignment Diary entries from the conversation tree and saves them.

What the user did after an answer (stop, mark, retry, rewind, profile change) is read
back from the stored tree, so the entry's "intuitive intervention" is prefilled from
what actually happened (paper §4.1, field 3).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import tomli_w

from tui.alignment.conversation import Message, Role
from tui.alignment.diary.entry import OUTCOMES, DiaryEntry
from tui.alignment.diary.prefill import entry_from_exchange
from tui.alignment.diary.store import DiaryStore
from tui.alignment.files import write_atomic
from tui.alignment.marks import Mark
from tui.alignment.text import strip_control
from tui.alignment.usage import UsageTotals, start_of_today, usage_record
from tui.application.participant import ParticipantKeeper
from tui.application.service import ChatService
from tui.application.turn import Turn
from tui.application.usage import usage_path
from tui.errors import ActionRefused


def _iso(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class DiaryRecorder:
    """Turns an answer into a prefilled entry; saves entries for one participant, each
    carrying the participant file's id (made on first use from pseudonym and consent)."""

    service: ChatService
    store: DiaryStore
    pseudonym: str = ""
    consent: bool = False
    participants: ParticipantKeeper | None = None  # default: one seeded from the two above
    machine: str = "this-machine"  # names this machine's usage files (a random id)

    def __post_init__(self) -> None:
        self.keeper = self.participants or ParticipantKeeper(
            self.store.folder, self.pseudonym, self.consent)
        if self.store.stamp is None:
            self.store.stamp = self.keeper.stamp
        self.service.turn_listeners.append(self._count_turn)

    def _count_turn(self, _turn: Turn) -> None:
        self.record_usage()

    def record_usage(self) -> Path:
        """Write this machine's usage of today per profile beside the diary (counts only),
        for `--from`: usage/<day>/<machine>.toml, a file no other machine writes."""
        day = time.strftime("%Y-%m-%d")
        per_profile: dict[str, UsageTotals] = {}
        for _at, profile, stats in self.service.store.answer_stats(start_of_today()):
            per_profile.setdefault(profile, UsageTotals()).add(stats)
        participant = self.keeper.current()
        path = usage_path(self.store.folder, day, self.machine)
        write_atomic(path, tomli_w.dumps(usage_record(
            participant.pseudonym, day, per_profile, participant.id, self.machine)))
        return path

    def events_after(self, answer: Message) -> list[dict[str, str]]:
        """The user's interventions on this answer, oldest first, as diary events."""
        events: list[dict[str, str]] = []
        if answer.meta.get("signal") == "stopped":
            events.append({"kind": "stop", "at": _iso(answer.created_at),
                           "detail": "stopped the answer mid-way"})
        mark = Mark.from_dict(answer.meta.get("mark"))
        if mark is not None and mark.badge:
            events.append({"kind": "mark", "at": _iso(mark.marked_at), "detail": mark.badge})
        store = self.service.store
        for sibling in store.children(answer.parent_id, answer.session_id):
            if sibling.meta.get("retry_of") == answer.id:
                how = "after marking it" if "after_mark" in sibling.meta else ""
                events.append({"kind": "retry", "at": _iso(sibling.created_at), "detail": how})
        here = self.service.transcript()
        if answer.id not in {m.id for m in here} and not any(e["kind"] == "retry" for e in events):
            events.append({"kind": "rewind", "at": _iso(answer.created_at),
                           "detail": "left this answer on an abandoned branch"})
        profile = (answer.meta.get("profile") or {}).get("name")
        later = [m for m in here if m.id > answer.id and m.meta.get("profile")]
        if later and later[0].meta["profile"].get("name") != profile:
            events.append({"kind": "profile", "at": _iso(later[0].created_at),
                           "detail": f"switched to {later[0].meta['profile'].get('name')}"})
        for event in store.events(answer.session_id, since=answer.created_at):
            if event["kind"] == "pause":
                events.append({"kind": "pause", "at": _iso(event["at"]),
                               "detail": event["detail"] or "stepped away from the model"})
        return sorted(events, key=lambda event: event["at"])

    def draft(self, answer_id: int | None = None) -> DiaryEntry:
        """An entry about an answer (default: the last one), its four fields prefilled."""
        subject = answer_id or self.service.diary_subject_id  # e.g. the answer rewound away
        answer = (self.service.store.message(subject) if subject
                  else self.service.last_answer())
        if answer_id is None and answer is not None and "after_mark" in answer.meta:
            # The last answer is the retry after a mark: the entry is about the marked one.
            answer = self.service.store.message(answer.meta["retry_of"])
        if answer is None or answer.role is not Role.ASSISTANT:
            raise ActionRefused("the diary needs an answer to write about: ask something first")
        prompt = self.service.store.message(answer.parent_id) if answer.parent_id else None
        return entry_from_exchange(
            prompt.content if prompt else "", answer.content, answer.meta,
            self.events_after(answer), model=answer.model or "",
            session_id=str(answer.session_id),
            message_ids=[m for m in (answer.parent_id, answer.id) if m],
            pseudonym=self.pseudonym, consent=self.consent,
        )

    def save(self, entry: DiaryEntry) -> DiaryEntry:
        return self.store.add(entry)

    def save_quick(self, arg: str) -> DiaryEntry:
        """`/diary [aligned|partly|misaligned] [NOTE]`: the prefilled entry, saved at once."""
        entry = self.draft()
        text = strip_control(arg).strip()
        word, _, rest = text.partition(" ")
        if word.lower() in OUTCOMES:
            entry.final_outcome, text = word.lower(), rest.strip()
        entry.outcome_note = text
        return self.save(entry)

    def outcomes(self) -> list[tuple[str, str]]:
        """(initial prompting, final outcome) of every entry, for the guide."""
        return [(e.initial_prompting, e.final_outcome) for e in self.store.list()]

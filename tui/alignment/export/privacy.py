"""Privacy for study exports: stable pseudonyms, redaction of personal data, consent."""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Iterable, Sequence

from tui.alignment.diary.entry import DiaryEntry

EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
# 7+ digits with an optional +, spaces, dashes, brackets (not decimals: no dots)
PHONE = re.compile(r"[+(\d][\d \t()-]{5,}\d(?![\w/.])")
HOME_PATH = re.compile(r"(?P<lead>/home/|/Users/|[A-Za-z]:\\Users\\|/var/home/)(?P<user>[^/\\\s]+)")
TILDE_USER = re.compile(r"(?<![\w~])~(?P<user>[A-Za-z][\w.-]*)")


def _digits(text: str) -> int:
    return sum(ch.isdigit() for ch in text)


def _phone(match: re.Match[str]) -> str:
    """Mask digit runs that look like phone numbers, not dates, times or versions."""
    text, start = match.group(0), match.start()
    if start and (match.string[start - 1].isalnum() or match.string[start - 1] in "/._-"):
        return text
    if _digits(text) < 7 or re.fullmatch(r"\d{4}-\d{2}-\d{2}.*", text.strip()):
        return text
    return "[phone]"


class Redactor:
    """Masks e-mail addresses, phone numbers, home-folder paths, ~user URLs and given names."""

    def __init__(self, names: Sequence[str] = ()) -> None:
        wanted = sorted({n.strip() for n in names if n.strip()}, key=len, reverse=True)
        alternatives = "|".join(re.escape(name) for name in wanted)
        self._names = (re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)", re.IGNORECASE)
                       if wanted else None)
        self._lowered = tuple(name.lower() for name in wanted)

    def __call__(self, text: str) -> str:
        if "@" in text:
            text = EMAIL.sub("[email]", text)
        if "/" in text or "\\" in text:
            text = HOME_PATH.sub(lambda m: m.group("lead") + "[user]", text)
        if "~" in text:
            text = TILDE_USER.sub("~[user]", text)
        text = PHONE.sub(_phone, text)
        if self._names and any(map(text.lower().__contains__, self._lowered)):
            text = self._names.sub("[name]", text)
        return text

    def entry(self, entry: DiaryEntry) -> DiaryEntry:
        """A copy with every free-text field redacted (four fields, notes, marks, transcript)."""
        done: dict[str, str] = {}  # the transcript repeats the prompt and the answer

        def clean(text: str) -> str:
            if text not in done:
                done[text] = self(text)
            return done[text]
        return replace(
            entry,
            initial_prompting=clean(entry.initial_prompting),
            misaligned_response=clean(entry.misaligned_response),
            intuitive_intervention=clean(entry.intuitive_intervention),
            outcome_note=clean(entry.outcome_note),
            interventions=[{**e, "detail": clean(e.get("detail", ""))}
                           for e in entry.interventions],
            marks=[{**m, "reason": clean(str(m.get("reason", "")))} for m in entry.marks],
            transcript=[{**t, "content": clean(t["content"])} for t in entry.transcript],
        )


def redact(text: str, names: Sequence[str] = ()) -> str:
    """Mask personal data in one text (see Redactor; build one Redactor for many texts)."""
    return Redactor(names)(text)


def redact_entry(entry: DiaryEntry, names: Sequence[str] = ()) -> DiaryEntry:
    """A copy of an entry with every free-text field redacted."""
    return Redactor(names).entry(entry)


def pseudonymise(entries: Iterable[DiaryEntry]) -> tuple[list[DiaryEntry], dict[str, str]]:
    """Copies with pseudonyms P01, P02, … (sorted by the original), and the key original->new."""
    items = list(entries)
    originals = sorted({entry.pseudonym for entry in items})
    width = max(2, len(str(len(originals))))
    key = {original: f"P{n:0{width}d}" for n, original in enumerate(originals, start=1)}
    return [replace(entry, pseudonym=key[entry.pseudonym]) for entry in items], key


def with_consent(entries: Iterable[DiaryEntry]) -> tuple[list[DiaryEntry], int]:
    """The entries whose participant consented, and how many were left out."""
    kept, skipped = [], 0
    for entry in entries:
        if entry.consent:
            kept.append(entry)
        else:
            skipped += 1
    return kept, skipped

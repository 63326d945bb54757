"""Redaction for study exports: e-mail, URL credentials, home folders, phone numbers, names.

One Redactor per export masks every text field of every entry (metadata included; only
the structural fields in STRUCTURAL are left) and records where it masked what, as
(entry id, field, kind) findings without the masked text. Research numbers (years, year
ranges, dates, DOIs, ISBNs, grouped counts, page ranges) are never masked as phones.
"""

from __future__ import annotations

import copy
import csv
import os
import re
import unicodedata
from collections import Counter, deque
from dataclasses import fields
from pathlib import Path
from typing import Any, Callable, NamedTuple, Sequence

from tui.alignment.diary.entry import DiaryEntry, DiaryError
from tui.alignment.export.phones import DEFAULT_REGION, EXTRA_REGIONS, MIN_DIGITS, PhoneFinder

KINDS = ("e-mail", "phone", "path", "credentials", "name")  # the order of a summary
# Entry fields that are never masked: identity, times, vocabularies, the study's own labels.
STRUCTURAL = frozenset({"id", "created_at", "updated_at", "final_outcome", "schema", "consent",
                        "pseudonym", "participant_id"})
# Keys of the tables inside an entry (interventions, marks, transcript) with fixed values.
STRUCTURAL_KEYS = frozenset({"kind", "role", "validity", "understanding", "at"})
_TEXT_FIELDS = tuple(f.name for f in fields(DiaryEntry) if f.name not in STRUCTURAL)

CREDENTIALS = re.compile(r"(?P<scheme>\b[A-Za-z][A-Za-z0-9+.-]*://)[^\s/?#@\[\]]+@")
EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
HOME_PATH = re.compile(r"(?P<lead>/home/|/Users/|[A-Za-z]:[\\/]+(?:Users|Documents and Settings)"
                       r"[\\/]+)(?P<user>[^/\\\s]+)", re.IGNORECASE)
_HOME_CLUES = ("home/", "home\\", "users", "settings")  # lowered: one of them in a home path
TILDE_USER = re.compile(r"(?<![\w~])~(?P<user>[A-Za-z][\w.-]*)")
# Name parts that are not names on their own (masking them would hide ordinary words).
_PARTICLES = frozenset("de da do dos das di du del della der den des la le lo van von vom zu "
                       "al el bin ibn bint st ter ten y e dr mr mrs ms mx prof sir".split())
# Texts repeat (the transcript holds the prompt and the answer; models and profiles recur
# across entries): masked texts are kept up to this many characters, then forgotten.
_CACHE_CHARS = 4_000_000
# At least MIN_DIGITS digits anywhere (possessive: no backtracking); fewer, no phone number.
_ASCII_DIGITS = "0123456789"
_SEVEN_DIGITS = re.compile(rf"(?:\D*+\d){{{MIN_DIGITS}}}")


Path_ = tuple[str | int, ...]  # a field inside an entry: ("transcript", 2, "content")


def _field_name(where: Path_) -> str:
    """("transcript", 2, "content") -> "transcript[2].content"."""
    return "".join(f"[{part}]" if isinstance(part, int) else f".{part}"
                   for part in where).lstrip(".")


class Finding(NamedTuple):
    """One masked span: which entry, which field (e.g. transcript[2].content), what kind."""

    entry_id: str
    field: str
    kind: str


def name_forms(names: Sequence[str]) -> list[str]:
    """Each name, its parts (first names, family names, not particles), as typed and in
    both Unicode normal forms and with either apostrophe; longest first."""
    wanted: set[str] = set()
    for name in names:
        words = name.split()
        if not words:
            continue
        wanted.add(" ".join(words))
        for word in words:
            for part in {word, *re.split(r"[-\u2010]", word)}:
                part = part.strip(".,;:'\u2019")
                if len(part) >= 2 and part.casefold() not in _PARTICLES:
                    wanted.add(part)
    forms: set[str] = set()
    for item in wanted:
        for form in {unicodedata.normalize("NFC", item), unicodedata.normalize("NFD", item)}:
            forms |= {form, form.replace("'", "\u2019"), form.replace("\u2019", "'")}
    return sorted(forms, key=lambda form: (-len(form), form))


def _name_pattern(forms: Sequence[str]) -> re.Pattern[str] | None:
    if not forms:
        return None
    alternatives = "|".join(r"\s+".join(map(re.escape, form.split(" "))) for form in forms)
    return re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)", re.IGNORECASE)


def _clues(forms: Sequence[str]) -> tuple[str, ...]:
    """The fewest lowered forms one of which is in any text that holds a name."""
    kept: list[str] = []
    for form in sorted({form.lower() for form in forms}, key=len):
        if not any(clue in form for clue in kept):
            kept.append(form)
    return tuple(kept)


class Redactor:
    """Masks personal data in texts and entries and records each mask as a Finding."""

    def __init__(self, names: Sequence[str] = (), region: str = DEFAULT_REGION,
                 leniency: str = "possible", phone_regions: Sequence[str] = EXTRA_REGIONS
                 ) -> None:
        self.phones = PhoneFinder(region, leniency, phone_regions)
        forms = name_forms(names)
        self._names = _name_pattern(forms)
        self._clues = _clues(forms)
        self.findings: list[Finding] = []
        self._done: dict[str, tuple[str, tuple[str, ...]]] = {}
        self._cached_chars = 0
        # Entries the reader process masked (prepare), in the order they came.
        self._ahead: deque[tuple[DiaryEntry, list[tuple[str, str]]]] = deque()

    def __call__(self, text: str) -> str:
        """text with personal data masked (no finding recorded)."""
        return self.mask(text)[0]

    def mask(self, text: str) -> tuple[str, tuple[str, ...]]:
        """text masked, and the kind of each mask in order."""
        done = self._done.get(text)
        if done is None:
            if self._cached_chars > _CACHE_CHARS:
                self._done.clear()
                self._cached_chars = 0
            self._cached_chars += len(text)
            done = self._done[text] = self._mask(text)
        return done

    def entry(self, entry: DiaryEntry) -> DiaryEntry:
        """A copy with every text field masked, metadata included, and findings recorded
        (the entry itself when nothing in it needed masking, or when it came masked)."""
        ahead = self._ahead
        while ahead:  # those masked ahead and not asked for (left out) are let go
            masked_ahead, found = ahead.popleft()
            if masked_ahead is entry:
                self.findings += [Finding(entry.id, *where) for where in found]
                return entry
        masked, findings = self.masked(entry)
        self.findings += findings
        return masked

    def masked(self, entry: DiaryEntry) -> tuple[DiaryEntry, list[Finding]]:
        """A copy of entry with every text field masked (entry itself when nothing
        needed it), and the findings of its masks (not recorded)."""
        changes: dict[str, Any] = {}
        findings: list[Finding] = []
        done = self._done
        for name in _TEXT_FIELDS:
            value = getattr(entry, name)
            if not value:
                continue
            if type(value) is str:
                masked, kinds = done.get(value) or self.mask(value)
                if not kinds:
                    continue
                _record(findings, entry.id, (name,), kinds)
            else:
                masked = self._walk(value, (name,), entry.id, findings)
                if masked is value:
                    continue
            changes[name] = masked
        if not changes:
            return entry, findings
        copied = copy.copy(entry)  # not dataclasses.replace: no __init__, no __post_init__
        for name, masked in changes.items():
            setattr(copied, name, masked)
        return copied, findings

    def prepare(self, entry: DiaryEntry) -> tuple[DiaryEntry, list[tuple[str, str]]]:
        """read_ahead.Preparation, in the reader process: the entry masked, and where
        (field, kind), as plain data for the pipe."""
        masked, findings = self.masked(entry)
        return masked, [(finding.field, finding.kind) for finding in findings]

    def take(self, entry: DiaryEntry, found: list[tuple[str, str]]) -> None:
        """read_ahead.Preparation, here: entry came masked, with these masks; entry()
        records them when asked for it (in the order entries come)."""
        self._ahead.append((entry, found))

    def counts(self) -> dict[str, int]:
        """How many masks of each kind, in KINDS order, kinds with none left out."""
        counted = Counter(finding.kind for finding in self.findings)
        return {kind: counted[kind] for kind in KINDS if counted[kind]}

    def _walk(self, value: Any, where: Path_, entry_id: str, findings: list[Finding]) -> Any:
        """A list or table with its texts masked (the same object when none changed)."""
        kind = type(value)
        if kind is not list and kind is not dict:
            return value
        copied: Any = None
        done = self._done
        for key, item in value.items() if kind is dict else enumerate(value):
            if key in STRUCTURAL_KEYS:
                continue
            if type(item) is str:
                masked, kinds = done.get(item) or self.mask(item)
                if not kinds:
                    continue
                _record(findings, entry_id, (*where, key), kinds)
            elif item and (type(item) is dict or type(item) is list):
                masked = self._walk(item, (*where, key), entry_id, findings)
                if masked is item:
                    continue
            else:
                continue
            if copied is None:
                copied = list(value) if kind is list else dict(value)
            copied[key] = masked
        return value if copied is None else copied

    def _mask(self, text: str) -> tuple[str, tuple[str, ...]]:
        kinds: list[str] = []
        if "@" in text:
            if "://" in text:
                text = _sub(CREDENTIALS, "credentials",
                            lambda m: m.group("scheme") + "[credentials]@", text, kinds)
            text = _sub(EMAIL, "e-mail", lambda _m: "[email]", text, kinds)
        lowered = ""
        if "/" in text or "\\" in text:
            lowered = text.lower()
            if any(map(lowered.__contains__, _HOME_CLUES)):
                text = _sub(HOME_PATH, "path", lambda m: m.group("lead") + "[user]", text,
                            kinds)
        if "~" in text:
            text = _sub(TILDE_USER, "path", lambda _m: "~[user]", text, kinds)
        if _enough_digits(text):
            spans = self.phones.spans(text)
            if spans:
                text = _replace_spans(text, spans, "[phone]")
                kinds += ["phone"] * len(spans)
        if self._names is not None and any(map((lowered or text.lower()).__contains__,
                                               self._clues)):
            text = _sub(self._names, "name", lambda _m: "[name]", text, kinds)
        return text, tuple(kinds)


def _record(findings: list[Finding], entry_id: str, where: Path_,
            kinds: tuple[str, ...]) -> None:
    field = _field_name(where)
    findings += [Finding(entry_id, field, kind) for kind in kinds]


def _enough_digits(text: str) -> bool:
    """Whether text holds MIN_DIGITS digits (with fewer, no phone number), found in C."""
    if text.isascii():
        return any(map(text.__contains__, _ASCII_DIGITS)) and sum(
            map(text.count, _ASCII_DIGITS)) >= MIN_DIGITS
    return _SEVEN_DIGITS.match(text) is not None  # other scripts' digits too


def _sub(pattern: re.Pattern[str], kind: str, repl: Callable[[re.Match[str]], str], text: str,
         kinds: list[str]) -> str:
    """pattern.sub(repl, text), adding kind to kinds for each replacement."""
    def one(match: re.Match[str]) -> str:
        kinds.append(kind)
        return repl(match)
    return pattern.sub(one, text)


def _replace_spans(text: str, spans: list[tuple[int, int]], token: str) -> str:
    parts, at = [], 0
    for start, end in spans:
        parts += [text[at:start], token]
        at = end
    parts.append(text[at:])
    return "".join(parts)


def write_findings(path: Path | str, findings: Sequence[Finding]) -> None:
    """Write findings as CSV (entry_id, field, kind; never the masked text), mode 0600."""
    path = Path(path)
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with open(descriptor, "w", encoding="utf-8", newline="") as handle:
            if hasattr(os, "fchmod"):
                os.fchmod(handle.fileno(), 0o600)  # an older report may have been wider
            writer = csv.writer(handle)
            writer.writerow(Finding._fields)
            writer.writerows(findings)
    except OSError as exc:
        raise DiaryError(f"cannot write the redaction report {path}: "
                         f"{exc.strerror or exc}") from None


def summary(counts: dict[str, int]) -> str:
    """'6 e-mail, 8 phone, 7 path, 12 name', or 'nothing'."""
    return ", ".join(f"{count} {kind}" for kind, count in counts.items()) or "nothing"


def redact(text: str, names: Sequence[str] = (), region: str = DEFAULT_REGION) -> str:
    """Mask personal data in one text (see Redactor; build one Redactor for many texts)."""
    return Redactor(names, region)(text)


def redact_entry(entry: DiaryEntry, names: Sequence[str] = (),
                 region: str = DEFAULT_REGION) -> DiaryEntry:
    """A copy of an entry with every text field redacted."""
    return Redactor(names, region).entry(entry)

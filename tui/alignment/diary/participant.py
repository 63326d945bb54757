"""The participant file in a diary folder: who wrote the entries and whether they consent.

`participant.toml` lives beside the entries and travels with them through git, so the
study reads consent from it at export time (never from what an entry stamped when it was
written). It holds a stable random participant id, made once, that keeps people apart
whatever their pseudonym; the pseudonym; and consent with the date it was given and the
date it was withdrawn.
"""

from __future__ import annotations

import re
import secrets
import tomllib
from dataclasses import dataclass, replace
from pathlib import Path

import tomli_w

from tui.alignment.diary.entry import DiaryError, now_iso
from tui.alignment.files import write_atomic

PARTICIPANT_FILE = "participant.toml"
PARTICIPANT_SCHEMA = 1
ID_PATTERN = re.compile(r"^[0-9a-f]{16}$")
HEADER = ("# coalign participant file: shared with the study together with the entries.\n"
          "# Change it with `coalign diary consent give|withdraw`; keep participant_id as is.\n")
_CONFLICT = re.compile(r"^(<{7}|>{7})(?: |$)", re.MULTILINE)
_KEYS = ("schema", "participant_id", "pseudonym", "consent", "consent_given_at",
         "consent_withdrawn_at", "created_at")


def new_participant_id() -> str:
    """A random id such as 3f9a2c81be04a7d1 (64 bits: no two participants share one)."""
    return secrets.token_hex(8)


def conflict_problem(text: str) -> str | None:
    """'an unresolved git merge conflict (line N); fix' when text holds conflict markers."""
    if "<<<<<<<" not in text and ">>>>>>>" not in text:
        return None  # the common case, found without the regex engine
    found = _CONFLICT.search(text)
    if found is None:
        return None
    line = text.count("\n", 0, found.start()) + 1
    return (f"holds an unresolved git merge conflict (line {line}: {found.group(1)}); open "
            "it, keep the lines you want and delete the <<<<<<< ======= >>>>>>> marker lines "
            "(or `git checkout --ours FILE` / `--theirs FILE`), then `git add` and commit")


@dataclass(frozen=True)
class Participant:
    """One participant as their diary folder records them."""

    id: str
    pseudonym: str = ""
    consent: bool = False
    consent_given_at: str = ""
    consent_withdrawn_at: str = ""
    created_at: str = ""

    @classmethod
    def new(cls, pseudonym: str = "", consent: bool = False) -> Participant:
        at = now_iso()
        return cls(new_participant_id(), pseudonym.strip(), consent,
                   at if consent else "", "", at)

    @property
    def short_id(self) -> str:
        return self.id[:8]

    @property
    def label(self) -> str:
        """How reports name the participant: the pseudonym, else the short id."""
        return self.pseudonym or f"id {self.short_id}"

    def given(self) -> Participant:
        """Consent given now (a later withdrawal date stays on record until given again)."""
        return self if self.consent else replace(self, consent=True, consent_given_at=now_iso())

    def withdrawn(self) -> Participant:
        """Consent withdrawn now."""
        if not self.consent and self.consent_withdrawn_at:
            return self
        return replace(self, consent=False, consent_withdrawn_at=now_iso())

    def renamed(self, pseudonym: str) -> Participant:
        return replace(self, pseudonym=pseudonym.strip())

    def why_left_out(self) -> str:
        """Why an export leaves this participant out ('' when they consent)."""
        if self.consent:
            return ""
        if self.consent_withdrawn_at:
            return f"withdrew consent on {self.consent_withdrawn_at[:10]}"
        return "has not given consent"

    def as_dict(self) -> dict[str, object]:
        return {"schema": PARTICIPANT_SCHEMA, "participant_id": self.id,
                "pseudonym": self.pseudonym, "consent": self.consent,
                "consent_given_at": self.consent_given_at,
                "consent_withdrawn_at": self.consent_withdrawn_at,
                "created_at": self.created_at}


def participant_path(folder: Path) -> Path:
    return Path(folder) / PARTICIPANT_FILE


def read_participant(folder: Path) -> Participant | None:
    """The folder's participant; None when it has no participant file; DiaryError
    ('path: reason; fix') when the file cannot be used."""
    path = participant_path(folder)
    try:
        text = path.read_text(encoding="utf-8")
    except (FileNotFoundError, NotADirectoryError):  # NotADirectory: --from a plain file
        return None
    except (OSError, UnicodeDecodeError) as exc:
        reason = getattr(exc, "strerror", None) or exc
        raise DiaryError(f"{path}: cannot read it ({reason})") from None
    if problem := conflict_problem(text):
        raise DiaryError(f"{path}: {problem}")
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise DiaryError(f"{path}: not valid TOML ({exc}); fix that line") from None
    return _from_dict(path, data)


def _from_dict(path: Path, data: dict[str, object]) -> Participant:
    unknown = sorted(set(data) - set(_KEYS))
    if unknown:
        raise DiaryError(f"{path}: unknown key {unknown[0]}; remove it")
    if data.get("schema", PARTICIPANT_SCHEMA) != PARTICIPANT_SCHEMA:
        raise DiaryError(f"{path}: schema is {data.get('schema')!r}; this coalign reads "
                         f"schema {PARTICIPANT_SCHEMA}")
    pid = data.get("participant_id")
    if not isinstance(pid, str) or not ID_PATTERN.match(pid):
        raise DiaryError(f"{path}: participant_id {pid!r} is not 16 hex digits; restore it "
                         "from git (it keeps this participant apart from the others)")
    if not isinstance(data.get("consent", False), bool):
        raise DiaryError(f"{path}: consent must be true or false; use `coalign diary consent`")
    texts = {}
    for key in ("pseudonym", "consent_given_at", "consent_withdrawn_at", "created_at"):
        value = data.get(key, "")
        if not isinstance(value, str):
            raise DiaryError(f"{path}: {key} must be text; quote it")
        texts[key] = value
    return Participant(pid, consent=bool(data.get("consent", False)), **texts)


def write_participant(folder: Path, participant: Participant) -> Path:
    """Save the participant file atomically; returns its path."""
    path = participant_path(folder)
    write_atomic(path, HEADER + tomli_w.dumps(participant.as_dict()))
    return path


@dataclass(frozen=True)
class FolderParticipant:
    """A diary folder read for an export, with its participant (None: no usable file)."""

    folder: Path
    participant: Participant | None
    entries: int = 0  # how many entries the folder held

    @property
    def consent(self) -> bool:
        return self.participant is not None and self.participant.consent

    @property
    def label(self) -> str:
        return self.participant.label if self.participant else str(self.folder)

    def why_left_out(self) -> str:
        if self.participant is None:
            return (f"no usable {PARTICIPANT_FILE} (consent not recorded); the participant "
                    "runs `coalign diary consent give` with the diary there")
        return self.participant.why_left_out()

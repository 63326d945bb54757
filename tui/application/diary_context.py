"""What `diary add` and `diary import` record beside the participant's own words: the
profile in force, the model configured, and the conversation an entry is about.

The profile and model are found as start-up finds them (config.toml, the profile library),
without loading the model. A conversation is read from the history store read-only and
drafted into an entry by DiaryRecorder, as the TUI and the REPL draft theirs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from tui.alignment.conversation import Message, Role
from tui.alignment.diary.entry import DiaryEntry, DiaryError
from tui.alignment.diary.prefill import profile_fields
from tui.alignment.diary.store import DiaryStore
from tui.alignment.store import Store, open_store
from tui.application.diary import DiaryRecorder
from tui.application.profiles import configured_profile, open_library
from tui.application.service import ChatService
from tui.config import Config
from tui.engine.base import SamplingSettings, UnavailableEngine
from tui.engine.model_files import resolve_model
from tui.errors import CoalignError
from tui.paths import Paths

NO_HISTORY = "`coalign history list` shows the saved conversations"


def profile_in_force(paths: Paths, config: Config) -> dict[str, str]:
    """The profile the app would start with (config's, else the neutral one), as an entry
    records it: name, source and commit."""
    entry = configured_profile(open_library(paths), config.profile)
    return profile_fields(entry.record())


def configured_model(paths: Paths, config: Config) -> str:
    """The model's name when config.toml names one ('' when the app would pick one itself);
    a file path is reduced to the file's stem (a path may reveal a home folder)."""
    if config.backend == "openai":
        return config.remote_model or ""
    if not config.model:
        return ""
    try:
        return resolve_model(None, config.model, paths.user_models_dir).name
    except (CoalignError, OSError):
        return Path(config.model).stem


def record_context(store: DiaryStore, profile: dict[str, str], model: str) -> DiaryStore:
    """store, whose entries saved from now get profile and model where they have none."""
    before = store.stamp

    def stamp(entry: DiaryEntry) -> None:
        if before is not None:
            before(entry)
        if not entry.profile and profile:
            entry.profile = dict(profile)
        if not entry.model and model:
            entry.model = model

    store.stamp = stamp
    return store


@dataclass(frozen=True)
class Attach:
    """Which conversation an entry is about: a session and, optionally, one message."""

    session_id: int
    message_id: int | None = None


@dataclass
class AddFields:
    """What the participant gave for a new entry ('' or [] where they gave nothing)."""

    misaligned_response: str = ""
    initial_prompting: str = ""
    intuitive_intervention: str = ""
    final_outcome: str = ""
    outcome_note: str = ""
    values_at_risk: list[str] = field(default_factory=list)
    model: str = ""


def new_entry(paths: Paths, fields: AddFields, attach: Attach | None = None) -> DiaryEntry:
    """The entry `diary add` saves: the fields given, over a draft of the conversation
    when attach names one (its answer is the misaligned response unless one is given)."""
    values = [v.strip() for v in fields.values_at_risk if v.strip()]
    if attach is None:
        if not fields.misaligned_response.strip():
            raise DiaryError("give --misaligned-response TEXT, or --session ID to take the "
                             "answer from a conversation")
        return DiaryEntry(
            misaligned_response=fields.misaligned_response,
            initial_prompting=fields.initial_prompting,
            intuitive_intervention=fields.intuitive_intervention,
            final_outcome=fields.final_outcome, outcome_note=fields.outcome_note,
            values_at_risk=values, model=fields.model)
    entry = draft_from_history(paths, attach)
    for name in ("misaligned_response", "initial_prompting", "intuitive_intervention",
                 "final_outcome", "outcome_note", "model"):
        if getattr(fields, name).strip():
            setattr(entry, name, getattr(fields, name))
    seen = {v.casefold() for v in entry.values_at_risk}
    entry.values_at_risk += [v for v in values if v.casefold() not in seen]
    return entry


def draft_from_history(paths: Paths, attach: Attach) -> DiaryEntry:
    """A draft about one answer of a stored conversation (the message's, or the last one
    on the session's current branch); DiaryError naming what is unknown."""
    if not paths.database.is_file():
        raise DiaryError(f"no conversation history yet ({paths.database}); "
                         "ask something first")
    store, _moved = open_store(paths.database, read_only=True)
    try:
        service = ChatService(store, UnavailableEngine(CoalignError("not needed")),
                              SamplingSettings(), "")
        try:
            service.session = store.session(attach.session_id)
        except KeyError:
            raise DiaryError(f"no session {attach.session_id}; {NO_HISTORY}") from None
        answer = _answer(store, service, attach)
        return DiaryRecorder(service, DiaryStore(paths.diary_dir)).draft(answer.id)
    finally:
        store.close()


def _answer(store: Store, service: ChatService, attach: Attach) -> Message:
    """The answer an entry is about: the message itself, a prompt's answer, or the last."""
    if attach.message_id is None:
        found = service.last_answer()
        if found is None:
            raise DiaryError(f"session {attach.session_id} has no answer yet; "
                             "pass --message ID")
        return found
    try:
        message = store.message(attach.message_id)
    except KeyError:
        raise DiaryError(f"no message {attach.message_id}; {NO_HISTORY}") from None
    if message.session_id != attach.session_id:
        raise DiaryError(f"message {attach.message_id} is in session {message.session_id}, "
                         f"not {attach.session_id}; pass --session {message.session_id}")
    if message.role is Role.ASSISTANT:
        return message
    answers = [m for m in store.children(message.id, message.session_id)
               if m.role is Role.ASSISTANT]
    on_branch = {m.id for m in service.transcript()}
    chosen = [m for m in answers if m.id in on_branch] or answers[-1:]
    if not chosen:
        raise DiaryError(f"message {attach.message_id} has no answer; pass the id of an answer")
    return chosen[0]

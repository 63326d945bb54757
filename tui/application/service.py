"""The chat service: a user's conversations, turned into stored, streamed answers.

Every front end (TUI, REPL, `coalign ask`) drives conversations through this one class:
input -> action -> ChatService (domain store) -> engine -> token stream -> view. It
returns domain objects and plain results and raises coalign errors; it never formats.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from tui.alignment.conversation import Message, Role, Session, Status, chat_messages
from tui.alignment.engagement import Engagement, Pause
from tui.alignment.guide import ENOUGH, build_guide
from tui.alignment.marks import Mark, MarkChoice, parse_mark, retry_feedback, updated_mark
from tui.alignment.profiles.compose import compose
from tui.alignment.profiles.library import ProfileEntry, ProfileLibrary
from tui.alignment.profiles.schema import Profile
from tui.alignment.store import Store
from tui.alignment.text import strip_control
from tui.alignment.usage import LimitStatus, UsageTotals
from tui.application import resume
from tui.application.engagement import EngagementRules
from tui.application.grounding import Grounder
from tui.application.steering import control_vector_uses, told_record
from tui.application.turn import Turn
from tui.engine.base import Engine, SamplingSettings
from tui.errors import ActionRefused

if TYPE_CHECKING:
    from tui.application.model_switch import ModelSwitcher

TITLE_LENGTH = 60


@dataclass(frozen=True)
class Rewound:
    """The prompt a rewind put back, and how many exchanges it stepped back."""

    prompt: str
    exchanges: int


@dataclass(frozen=True)
class Branch:
    """An abandoned (or current) line of the conversation, for the user to return to."""

    leaf: Message
    prompt: str  # the last user prompt on it
    length: int  # messages on it
    current: bool


class ChatService:
    """One user's conversations over one engine and one store."""

    def __init__(
        self,
        store: Store,
        engine: Engine,
        settings: SamplingSettings,
        system_prompt: str,
        profiles: ProfileLibrary | None = None,
    ) -> None:
        self.store = store
        self.engine = engine
        self.settings = settings
        self.system_prompt = system_prompt
        self.session: Session | None = None
        self.profiles = profiles
        self.bibliographies: tuple[str, ...] = ()  # the user's .bib files, for citation checks
        self.grounder = Grounder()  # the library answers are grounded in (issue 16)
        self.profile: ProfileEntry | None = None
        self.rules = EngagementRules(store, lambda: self.active_profile,
                                     session=lambda: self.session_id)
        self.turn_listeners: list[Callable[[Turn], None]] = []  # called as each answer ends
        self.diary_subject_id: int | None = None  # the answer a rewind or switch left behind
        self.profile_change: dict[str, object] | None = None  # picked up by the last send
        self.models: ModelSwitcher | None = None  # /model: set by start-up (model_switch.py)

    @property
    def active_profile(self) -> Profile | None:
        return self.profile.profile if self.profile else None

    @property
    def session_id(self) -> int | None:
        return self.session.id if self.session else None

    # pausing engagement and daily limits (kept in the store: every process obeys them) ----

    @property
    def engagement(self) -> Engagement:
        """The pause state, brought up to date with the store."""
        _ = self.rules.paused
        return self.rules.engagement

    @property
    def paused(self) -> Pause | None:
        return self.rules.paused

    def pause(self, minutes: float | None = None, why: str = "") -> Pause:
        """Step away from the model; recorded as a non-engagement event."""
        return self.rules.pause(self.session_id, minutes, why)

    def resume(self) -> bool:
        """End a pause; False when none was in force."""
        return self.rules.resume(self.session_id)

    def usage_since(self, since: float) -> UsageTotals:
        return self.rules.usage_since(since)

    def limit_status(self) -> LimitStatus | None:
        """Today's use against the active profile's daily limits (None: it sets none)."""
        return self.rules.limit_status()

    def limit_blocks(self) -> LimitStatus | None:
        """The reached limit that should stop the next request, unless overridden today."""
        return self.rules.limit_blocks()

    def override_limits(self) -> None:
        """Go on past today's limits: one deliberate choice, recorded."""
        self.rules.override(self.session_id)

    def check_can_answer(self) -> None:
        """Raise PausedError while paused and LimitReached past a daily limit."""
        self.rules.check()

    def guide(self, diary: list[tuple[str, str]] | None = None) -> list[str]:
        """'When is it useful?': this model under this profile, from the user's own marks
        (and, while there are none under this profile, its marks under the others)."""
        model = self.engine.info.label if self.engine.info else None
        profile = self.profile.name if self.profile else None
        diary = diary or []
        records = build_guide(self.store.marked_prompts(model, profile), diary)
        header = (f"When is {model or 'this model'} useful under profile {profile or '-'}? "
                  f"From your own marks so far (I say something about a kind of request "
                  f"once you have marked {ENOUGH} answers of it):")
        lines = [header]
        if not any(record.marked for record in records):
            elsewhere = build_guide(self.store.marked_prompts(model, None), diary)
            count = sum(record.marked for record in elsewhere)
            if count:
                lines.append(f"No marked answers under profile {profile or '-'} yet. Under "
                             f"other profiles you marked {count} answer(s) of this model:")
                records = elsewhere
            else:
                lines.append("No marked answers yet. Mark answers (F2, /mark) and I will say "
                             "what I seem good and bad at, by kind of request.")
                records = [r for r in records if r.misaligned_in_diary]
        lines += [f"- {record.sentence()}" for record in records if record.marked]
        lines += [f"- {r.kind}: {r.misaligned_in_diary} diary entries ended misaligned."
                  for r in records if r.misaligned_in_diary]
        if diary:
            outcomes = [outcome or "no outcome" for _prompt, outcome in diary]
            counted = ", ".join(f"{outcomes.count(o)} {o}" for o in sorted(set(outcomes)))
            entries = "1 entry" if len(diary) == 1 else f"{len(diary)} entries"
            lines.append(f"Your diary: {entries} ({counted}).")
        return lines

    # value profiles -------------------------------------------------------------

    def set_profile(self, entry: ProfileEntry | None) -> None:
        """Steer the following answers with a profile (recorded on each message)."""
        if entry is not None and entry.profile is None:
            raise ActionRefused(f"profile {entry.name} is broken: {entry.error}")
        self.profile = entry

    def told(self) -> tuple[str, SamplingSettings]:
        """Exactly what the model is told now: the system prompt and sampling settings."""
        if self.profile is None or self.profile.profile is None:
            return self.system_prompt, self.settings
        composition = compose(self.profile.profile)
        base = self.settings
        settings = replace(
            base,
            temperature=base.temperature if composition.temperature is None
            else composition.temperature,
            max_tokens=base.max_tokens if composition.max_tokens is None
            else composition.max_tokens,
            top_p=base.top_p if composition.top_p is None else composition.top_p,
            control_vectors=control_vector_uses(self.profile) or base.control_vectors)
        return composition.system_prompt, settings

    def _profile_record(self) -> dict[str, object]:
        return {"profile": self.profile.record()} if self.profile is not None else {}

    def refresh_profile(self) -> dict[str, object]:
        """Use the profile's file as it is now if it changed; returns the change to record."""
        before = self.profile
        fresh = self.profiles.refresh(before) if self.profiles and before else None
        if before is None or fresh is None or fresh.profile is None:
            return {}  # unchanged, or broken now: the version read before is kept
        self.profile = fresh
        self.profile_change = {"from": before.record(), "to": fresh.record()}
        return {"profile_changed": self.profile_change}

    # sessions ---------------------------------------------------------------

    def resume_latest(self) -> Session | None:
        """Continue the most recent conversation, if there is one."""
        self.session = self.store.latest_session()
        return self.session

    def new_session(self) -> None:
        """Start afresh; the session row is created with the first message."""
        resume.leaving(self)  # the KV cache of the session left is saved for its return
        self.session = None

    def open_session(self, session_id: int) -> Session:
        """Continue a past session; it becomes the one resumed at the next start."""
        try:
            session = self.store.session(session_id)
        except KeyError:
            raise ActionRefused(f"no session {session_id}; /open alone lists them") from None
        resume.leaving(self)  # (the same session: its cache is saved once, then only touched)
        self.store.set_head(session.id, session.head_id)
        self.session = self.store.session(session_id)
        return self.session

    def transcript(self) -> list[Message]:
        """The current branch of the current session, oldest first."""
        if self.session is None:
            return []
        return self.store.path_to(self.store.session(self.session.id).head_id)

    def last_answer(self) -> Message | None:
        for message in reversed(self.transcript()):
            if message.role is Role.ASSISTANT:
                return message
        return None

    # turns -----------------------------------------------------------------

    @staticmethod
    def cleaned_prompt(prompt: str) -> str:
        """The prompt as it will be sent and stored; ActionRefused when nothing is left."""
        prompt = strip_control(prompt).strip()
        if not prompt:
            raise ActionRefused("empty prompt: type a question first")
        return prompt

    def send(self, prompt: str, meta: dict[str, object] | None = None) -> Turn:
        """Store the prompt (and meta), start the answer, and return the Turn to iterate."""
        prompt = self.cleaned_prompt(prompt)
        self.check_can_answer()
        self.diary_subject_id = None
        self.profile_change = None
        changed = self.refresh_profile()
        if self.session is None:
            self.session = self.store.create_session(title=prompt[:TITLE_LENGTH])
        history = self.transcript()
        parent_id = history[-1].id if history else None
        user = self.store.add_message(self.session.id, parent_id, Role.USER, prompt,
                                      model=self._model_label(),
                                      meta={**self._profile_record(), **changed, **(meta or {})})
        return self._answer(user, [*history, user])

    def feedback_for_retry(self) -> Mark | None:
        """The mark a retry tells the model about: the last answer's, if it calls for one."""
        last = self.last_answer()
        mark = self.mark_of(last) if last is not None else None
        return mark if mark is not None and mark.calls_for_retry else None

    def retry(self, feedback: bool = False, meta: dict[str, object] | None = None) -> Turn:
        """A new answer to the last prompt, kept beside the earlier ones (siblings).

        With feedback, the model is also shown its marked answer and the user's reason
        (when the mark calls for it: invalid or misunderstood).
        """
        path = self.transcript()
        prompts = [i for i, m in enumerate(path) if m.role is Role.USER]
        if not prompts:
            raise ActionRefused("nothing to retry yet")
        self.check_can_answer()
        self.diary_subject_id = None
        user = path[prompts[-1]]
        history = path[: prompts[-1] + 1]
        previous = path[prompts[-1] + 1] if len(path) > prompts[-1] + 1 else None
        meta = {**({"retry_of": previous.id} if previous else {}), **(meta or {})}
        extra: list[dict[str, str]] = []
        mark = self.mark_of(previous) if previous else None
        if feedback and previous is not None and mark is not None and mark.calls_for_retry:
            meta["after_mark"] = mark.as_dict()
            extra = [{"role": "assistant", "content": previous.content},
                     {"role": "user", "content": retry_feedback(mark)}]
        return self._answer(user, history, meta, extra)

    def _answer(self, user: Message, history: list[Message], meta: dict[str, object] | None = None,
                extra: list[dict[str, str]] | None = None) -> Turn:
        assert self.session is not None
        system_prompt, settings = self.told()
        system_prompt, grounded = self.grounder.ground(user.content, self.active_profile,
                                                       system_prompt)
        told = told_record(system_prompt, settings)
        if extra:  # sent after the conversation (a retry's feedback): part of what it was told
            told["after_conversation"] = [dict(message) for message in extra]
        answer = self.store.add_message(
            self.session.id, user.id, Role.ASSISTANT, "", Status.STREAMING,
            model=self._model_label(),
            meta={"pid": os.getpid(), **self._profile_record(), "told": told, **grounded,
                  **(meta or {})},
        )
        messages = chat_messages(system_prompt, history) + (extra or [])
        generation = self.engine.generate(messages, settings)
        return Turn(self, user, answer, generation)

    def _model_label(self) -> str | None:
        return self.engine.info.label if self.engine.info else None

    # rewinding and branches -------------------------------------------------------

    def rewind(self, exchanges: int = 1) -> str:
        """Step back N exchanges; the dropped turns stay as a branch. Returns the prompt."""
        return self.rewind_by(exchanges).prompt

    def rewind_by(self, exchanges: int = 1) -> Rewound:
        """Step back N exchanges (or as many as there are); the dropped turns stay as a
        branch. Says which prompt is back and how far it went."""
        if exchanges < 1:
            raise ActionRefused("rewind takes a positive number of exchanges")
        path = self.transcript()
        prompts = [i for i, m in enumerate(path) if m.role is Role.USER]
        if not prompts:
            raise ActionRefused("nothing to rewind")
        target = prompts[max(0, len(prompts) - exchanges)]
        assert self.session is not None
        dropped = [m for m in path[target:] if m.role is Role.ASSISTANT]
        self.diary_subject_id = dropped[-1].id if dropped else None
        self.store.set_head(self.session.id, path[target - 1].id if target else None)
        return Rewound(path[target].content, len(prompts) - prompts.index(target))

    def branches(self) -> list[Branch]:
        """Where you are now, then every other branch end in this session, newest first."""
        if self.session is None:
            return []
        here = self.transcript()
        found = [self._branch(here, current=True)] if here else []
        for leaf in self.store.leaves(self.session.id):
            if not here or leaf.id != here[-1].id:
                found.append(self._branch(self.store.path_to(leaf.id), current=False))
        return found

    @staticmethod
    def _branch(path: list[Message], current: bool) -> Branch:
        prompt = next((m.content for m in reversed(path) if m.role is Role.USER), "")
        return Branch(path[-1], prompt, len(path), current)

    def open_branch(self, message_id: int) -> None:
        """Continue from the end of the branch through message_id (here: stay)."""
        if self.session is not None and message_id == self.store.session(self.session.id).head_id:
            return
        try:
            leaf = self.store.latest_leaf(message_id)
        except KeyError:
            leaf = None
        if self.session is None or leaf is None or leaf.session_id != self.session.id:
            raise ActionRefused(f"message {message_id} is not in this session; "
                                "/branches lists them")
        self.store.set_head(self.session.id, leaf.id)

    def answer_position(self, answer: Message) -> tuple[int, int]:
        """(n, of): this answer is number n of the answers to its prompt."""
        siblings = self.store.children(answer.parent_id, answer.session_id)
        return [m.id for m in siblings].index(answer.id) + 1, len(siblings)

    def switch_answer(self, step: int) -> Message:
        """Show the previous (-1) or next (+1) answer to the last prompt."""
        answer = self.last_answer()
        if answer is None:
            raise ActionRefused("no answer to switch from")
        siblings = self.store.children(answer.parent_id, answer.session_id)
        index = [m.id for m in siblings].index(answer.id) + step
        if not 0 <= index < len(siblings):
            raise ActionRefused(f"no {'earlier' if step < 0 else 'later'} answer to this prompt")
        self.open_branch(siblings[index].id)
        return siblings[index]

    def fork(self, message_id: int | None = None) -> Session:
        """Start a new session from a copy of the branch up to a message (default: here)."""
        path = self.transcript()
        if not path:
            raise ActionRefused("nothing to fork yet")
        try:
            end = self.store.message(message_id) if message_id is not None else path[-1]
        except KeyError:
            raise ActionRefused(f"no message {message_id}; /branches lists them") from None
        assert self.session is not None
        title = f"fork of {self.store.session(end.session_id).title}"[:TITLE_LENGTH]
        self.session = self.store.copy_branch(
            end.id, title, {"forked_from": {"session": end.session_id, "message": end.id}})
        return self.session

    # marks ---------------------------------------------------------------------

    @staticmethod
    def mark_of(message: Message) -> Mark | None:
        return Mark.from_dict(message.meta.get("mark"))

    def mark(self, message_id: int | None = None, *, validity: str | None = None,
             understanding: str | None = None, reason: str | None = None,
             values_at_risk: list[str] | None = None) -> Mark:
        """Set or change the mark on a response (default: the last answer); a field left
        None stays as it was, '' clears an axis."""
        target = self.store.message(message_id) if message_id else self.last_answer()
        if target is None or target.role is not Role.ASSISTANT:
            raise ActionRefused("mark needs an answer: ask something first")
        mark = updated_mark(self.mark_of(target), validity, understanding, reason, values_at_risk)
        history = [*target.meta.get("mark_history", []), mark.as_dict()]
        self.store.update_message(target.id, meta={"mark": mark.as_dict(), "mark_history": history})
        return mark

    def mark_from_command(self, arg: str) -> Mark:
        """`/mark invalid why #value`: a command changes only what it names."""
        axes, reason, values = parse_mark(arg)
        return self.mark(validity=axes.get("validity"), understanding=axes.get("understanding"),
                         reason=reason or None, values_at_risk=values or None)

    def mark_from_form(self, choice: MarkChoice) -> Mark:
        """The mark dialog shows every field, so it sets every field."""
        return self.mark(validity=choice.validity or "", understanding=choice.understanding or "",
                         reason=choice.reason, values_at_risk=choice.values_at_risk)

    def answer_note(self, message: Message) -> str:
        """'answer 2/3 · retry after mark · marked invalid · #nuance — reason', or ''."""
        if message.role is not Role.ASSISTANT:
            return ""
        number, total = self.answer_position(message)
        parts = [f"answer {number}/{total}"] if total > 1 else []
        if "after_mark" in message.meta:
            parts.append("retry after your mark")
        if score := message.meta.get("candidate_score"):
            parts.append(f"candidate {score['rank']} of {score['of']}, score {score['score']:g}")
        mark = self.mark_of(message)
        if mark is not None and mark.badge:
            parts.append(f"marked {mark.badge}" + (f" — {mark.reason}" if mark.reason else ""))
        return " · ".join(parts)

    def values_in_use(self) -> list[str]:
        """Values to suggest when marking: those used in marks, then the profile's own."""
        profile = self.profile.profile if self.profile else None
        named = [name.replace("_", "-") for name in profile.values] if profile else []
        used = self.store.mark_values()
        return used + [name for name in named if name not in used]

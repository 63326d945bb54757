"""The chat service: turns a user's prompt into a stored, streamed answer.

Every interface (TUI, REPL, `coalign ask`) drives conversations through this one class:
input -> action -> ChatService (domain store) -> engine -> token stream -> view.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace

from tui.alignment.conversation import Message, Role, Session, Status, chat_messages
from tui.alignment.engagement import Engagement, Pause
from tui.alignment.guide import build_guide
from tui.alignment.marks import Mark, retry_feedback, updated_mark
from tui.alignment.profiles.compose import compose
from tui.alignment.profiles.library import ProfileEntry, ProfileLibrary
from tui.alignment.store import Store
from tui.alignment.text import strip_control
from tui.alignment.usage import LimitStatus, UsageTotals, closest_limit, start_of_today
from tui.engine.base import Engine, Generation, SamplingSettings
from tui.steering import control_vector_uses, told_record

CHECKPOINT_SECONDS = 0.5
TITLE_LENGTH = 60


@dataclass(frozen=True)
class Branch:
    """An abandoned (or current) line of the conversation, for the user to return to."""

    leaf: Message
    prompt: str  # the last user prompt on it
    length: int  # messages on it
    current: bool


@dataclass
class Turn:
    """A prompt and its answer being generated; iterate it for text pieces."""

    service: ChatService
    prompt: Message
    answer: Message
    generation: Generation

    def __iter__(self) -> Iterator[str]:
        store = self.service.store
        last_save = time.monotonic()
        try:
            for piece in self.generation:
                yield piece
                if time.monotonic() - last_save >= CHECKPOINT_SECONDS:
                    store.update_message(self.answer.id, content=self.generation.text)
                    last_save = time.monotonic()
        finally:
            self._finish()

    def stop(self) -> None:
        self.generation.stop()

    def wait(self) -> str:
        for _ in self:
            pass
        return self.text

    @property
    def text(self) -> str:
        return self.generation.text

    @property
    def status(self) -> Status:
        return self.answer.status

    def _finish(self) -> None:
        if self.answer.status is not Status.STREAMING:
            return
        if not self.generation.done:  # consumer gave up early: stop and drain the producer
            self.generation.stop()
            for _ in self.generation:
                pass
        generation = self.generation
        if generation.error is not None:
            status = Status.INTERRUPTED
        elif generation.stopped or generation.stats.finish_reason == "cancelled":
            status = Status.STOPPED
        else:
            status = Status.COMPLETE
        meta: dict[str, object] = {"stats": generation.stats.as_dict()}
        if generation.probs_available:
            meta["token_probs"] = [[t.text, t.prob] for t in generation.tokens]
        if status is Status.STOPPED:
            meta["signal"] = "stopped"
        if generation.error is not None:
            meta["error"] = str(generation.error)
        self.service.store.update_message(
            self.answer.id, content=generation.text, status=status, meta=meta
        )
        self.answer.status = status
        self.answer.content = generation.text
        for listener in self.service.turn_listeners:
            listener(self)


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
        self.profile: ProfileEntry | None = None
        self.engagement = Engagement()
        self.limits_overridden_on = ""  # the day the user chose to go past the limits
        self.turn_listeners: list[Callable[[Turn], None]] = []  # called as each answer ends

    # pausing engagement -----------------------------------------------------------

    def pause(self, minutes: float | None = None, why: str = "") -> Pause:
        """Step away from the model; recorded as a non-engagement event."""
        state = self.engagement.pause(minutes, strip_control(why))
        detail = state.why + (f" ({minutes:g} min)" if minutes else "")
        self.store.add_event(self.session.id if self.session else None, "pause", detail.strip())
        return state

    def usage_since(self, since: float) -> UsageTotals:
        totals = UsageTotals()
        for _at, _profile, stats in self.store.answer_stats(since):
            totals.add(stats)
        return totals

    def limit_status(self) -> LimitStatus | None:
        """Today's use against the active profile's daily limits (None: it sets none)."""
        profile = self.profile.profile if self.profile else None
        if profile is None:
            return None
        limits = profile.engagement
        return closest_limit(self.usage_since(start_of_today()), limits.daily_tokens,
                             limits.daily_requests, limits.daily_minutes)

    def limit_blocks(self) -> LimitStatus | None:
        """The reached limit that should stop the next request, unless overridden today."""
        status = self.limit_status()
        overridden = self.limits_overridden_on == time.strftime("%Y-%m-%d")
        return status if status is not None and status.reached and not overridden else None

    def override_limits(self) -> None:
        """Go on past today's limits: one deliberate choice, recorded."""
        self.limits_overridden_on = time.strftime("%Y-%m-%d")
        self.store.add_event(self.session.id if self.session else None, "override-limits")

    def guide(self, diary: list[tuple[str, str]] = ()) -> list[str]:
        """'When is it useful?': this model under this profile, from the user's own marks."""
        model = self.engine.info.label if self.engine.info else None
        profile = self.profile.name if self.profile else None
        records = build_guide(self.store.marked_prompts(model, profile), diary)
        header = (f"When is {model or 'this model'} useful under profile {profile or '-'}? "
                  "From your own marks so far:")
        if not records:
            return [header, "No marked answers yet. Mark answers (F2, /mark) and I will say "
                    "what I seem good and bad at, by kind of request."]
        lines = [header] + [f"- {record.sentence()}" for record in records]
        diary_notes = [f"- {r.kind}: {r.misaligned_in_diary} diary entries ended misaligned."
                       for r in records if r.misaligned_in_diary]
        return lines + diary_notes

    def resume(self) -> bool:
        """End a pause; False when none was in force."""
        ended = self.engagement.resume()
        if ended is not None:
            self.store.add_event(self.session.id if self.session else None, "resume")
        return ended is not None

    # value profiles -------------------------------------------------------------

    def set_profile(self, entry: ProfileEntry | None) -> None:
        """Steer the following answers with a profile (recorded on each message)."""
        if entry is not None and entry.profile is None:
            raise ValueError(f"profile {entry.name} is broken: {entry.error}")
        self.profile = entry

    def told(self) -> tuple[str, SamplingSettings]:
        """Exactly what the model is told now: the system prompt and sampling settings."""
        if self.profile is None or self.profile.profile is None:
            return self.system_prompt, self.settings
        composition = compose(self.profile.profile)
        overrides: dict[str, object] = {
            k: getattr(composition, k) for k in ("temperature", "max_tokens", "top_p")
            if getattr(composition, k) is not None}
        if vectors := control_vector_uses(self.profile):
            overrides["control_vectors"] = vectors
        return composition.system_prompt, replace(self.settings, **overrides)

    def _profile_record(self) -> dict[str, object]:
        entry = self.profile
        if entry is None:
            return {}
        return {"profile": {"name": entry.name, "source": entry.source,
                            "path": str(entry.path) if entry.path else None,
                            "commit": entry.commit}}

    # sessions ---------------------------------------------------------------

    def resume_latest(self) -> Session | None:
        """Continue the most recent conversation, if there is one."""
        self.session = self.store.latest_session()
        return self.session

    def new_session(self) -> None:
        """Start afresh; the session row is created with the first message."""
        self.session = None

    def open_session(self, session_id: int) -> Session:
        """Continue a past session; it becomes the one resumed at the next start."""
        session = self.store.session(session_id)
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

    def send(self, prompt: str) -> Turn:
        """Store the prompt, start the answer, and return the Turn to iterate."""
        prompt = strip_control(prompt).strip()
        if not prompt:
            raise ValueError("empty prompt")
        self.engagement.check()
        if self.session is None:
            self.session = self.store.create_session(title=prompt[:TITLE_LENGTH])
        history = self.transcript()
        parent_id = history[-1].id if history else None
        user = self.store.add_message(self.session.id, parent_id, Role.USER, prompt,
                                      model=self._model_label(), meta=self._profile_record())
        return self._answer(user, [*history, user])

    def retry(self, feedback: bool = False, meta: dict[str, object] | None = None) -> Turn:
        """A new answer to the last prompt, kept beside the earlier ones (siblings).

        With feedback, the model is also shown its marked answer and the user's reason.
        """
        self.engagement.check()
        path = self.transcript()
        prompts = [i for i, m in enumerate(path) if m.role is Role.USER]
        if not prompts:
            raise ValueError("nothing to retry yet")
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
        answer = self.store.add_message(
            self.session.id, user.id, Role.ASSISTANT, "", Status.STREAMING,
            model=self._model_label(),
            meta={"pid": os.getpid(), **self._profile_record(),
                  "told": told_record(system_prompt, settings), **(meta or {})},
        )
        messages = chat_messages(system_prompt, history) + (extra or [])
        generation = self.engine.generate(messages, settings)
        return Turn(self, user, answer, generation)

    def _model_label(self) -> str | None:
        return self.engine.info.label if self.engine.info else None

    # rewinding and branches -------------------------------------------------------

    def rewind(self, exchanges: int = 1) -> str:
        """Step back N exchanges; the dropped turns stay as a branch. Returns the prompt."""
        if exchanges < 1:
            raise ValueError("rewind takes a positive number of exchanges")
        path = self.transcript()
        prompts = [i for i, m in enumerate(path) if m.role is Role.USER]
        if not prompts:
            raise ValueError("nothing to rewind")
        target = prompts[max(0, len(prompts) - exchanges)]
        assert self.session is not None
        self.store.set_head(self.session.id, path[target - 1].id if target else None)
        return path[target].content

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
        leaf = self.store.latest_leaf(message_id)
        if self.session is None or leaf.session_id != self.session.id:
            raise KeyError(f"message {message_id} is not in this session")
        self.store.set_head(self.session.id, leaf.id)

    def answer_position(self, answer: Message) -> tuple[int, int]:
        """(n, of): this answer is number n of the answers to its prompt."""
        siblings = self.store.children(answer.parent_id, answer.session_id)
        return [m.id for m in siblings].index(answer.id) + 1, len(siblings)

    def switch_answer(self, step: int) -> Message:
        """Show the previous (-1) or next (+1) answer to the last prompt."""
        answer = self.last_answer()
        if answer is None:
            raise ValueError("no answer to switch from")
        siblings = self.store.children(answer.parent_id, answer.session_id)
        index = [m.id for m in siblings].index(answer.id) + step
        if not 0 <= index < len(siblings):
            raise ValueError(f"no {'earlier' if step < 0 else 'later'} answer to this prompt")
        self.open_branch(siblings[index].id)
        return siblings[index]

    def fork(self, message_id: int | None = None) -> Session:
        """Start a new session from a copy of the branch up to a message (default: here)."""
        path = self.transcript()
        if not path:
            raise ValueError("nothing to fork yet")
        end = self.store.message(message_id) if message_id is not None else path[-1]
        assert self.session is not None
        title = f"fork of {self.store.session(end.session_id).title}"[:TITLE_LENGTH]
        self.session = self.store.copy_branch(
            end.id, title, {"forked_from": {"session": end.session_id, "message": end.id}})
        return self.session

    # marks ---------------------------------------------------------------------

    @staticmethod
    def mark_of(message: Message) -> Mark | None:
        return Mark.from_dict(message.meta.get("mark"))

    def mark(self, message_id: int | None = None, **change: object) -> Mark:
        """Set or change the mark on a response (default: the last answer)."""
        target = self.store.message(message_id) if message_id else self.last_answer()
        if target is None or target.role is not Role.ASSISTANT:
            raise ValueError("mark needs an answer: ask something first")
        mark = updated_mark(self.mark_of(target), **change)  # type: ignore[arg-type]
        history = [*target.meta.get("mark_history", []), mark.as_dict()]
        self.store.update_message(target.id, meta={"mark": mark.as_dict(), "mark_history": history})
        return mark

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

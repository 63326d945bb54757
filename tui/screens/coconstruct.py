"""The chat screen's co-construction actions: rewind, retry, answers, branches, fork, mark."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from textual.widgets import Input

from tui import candidates
from tui.alignment.engagement import parse_pause
from tui.alignment.marks import MarkError, parse_mark
from tui.profile_commands import profile_command
from tui.screens.branches import BranchesScreen
from tui.screens.diary import DiaryScreen
from tui.screens.diary_list import DiaryListScreen
from tui.screens.mark import MarkChoice, MarkScreen
from tui.screens.pause import PauseScreen
from tui.screens.profile import ProfileScreen
from tui.screens.text import TextScreen
from tui.screens.widgets import AnswerView

if TYPE_CHECKING:
    from tui.alignment.diary.entry import DiaryEntry
    from tui.alignment.profiles.library import ProfileEntry
    from tui.diary_recorder import DiaryRecorder
    from tui.service import ChatService, Turn


class CoConstructionActions:
    """Mixed into ChatScreen: one action_<method> per co-construction registry action."""

    if TYPE_CHECKING:  # provided by ChatScreen / Screen
        service: ChatService
        diary: DiaryRecorder | None

        def notify(self, message: str, **options: object) -> None: ...
        def query_one(self, selector: object, expect_type: object = None) -> object: ...
        def query(self, selector: object) -> object: ...
        async def show_transcript(self) -> None: ...
        async def run_turn(self, start: Callable[[], Turn], prompt: str | None = None) -> None: ...
        def _refuse_while_busy(self) -> bool: ...
        def show_profile(self) -> None: ...
        @property
        def app(self) -> object: ...

    def _problem(self, exc: Exception) -> None:
        """A refused action as one line (never markup, never a traceback)."""
        message = str(exc.args[0] if isinstance(exc, KeyError) and exc.args else exc)
        self.notify(message, severity="warning", markup=False)

    async def action_rewind(self, steps: str = "") -> None:
        if self._refuse_while_busy():
            return
        try:
            prompt = self.service.rewind(int(steps) if steps.strip() else 1)
        except ValueError as exc:
            self._problem(exc)
            return
        await self.show_transcript()
        box = self.query_one("#prompt", Input)
        box.value = prompt
        box.cursor_position = len(prompt)
        box.focus()
        self.notify("Rewound. Your prompt is back for editing; the dropped turns are under "
                    "Branches.", markup=False)

    async def action_retry(self, arg: str = "") -> None:
        if self._refuse_while_busy():
            return
        last = self.service.last_answer()
        mark = self.service.mark_of(last) if last else None
        feedback = arg.strip().lower() != "plain" and mark is not None and mark.calls_for_retry
        if last is None:
            self._problem(ValueError("nothing to retry yet"))
            return
        views = list(self.query(AnswerView))
        if views:
            await views[-1].remove()
        if feedback:
            self.notify(f"Retrying, and telling the model: {mark.badge}", markup=False)
        await self.run_turn(lambda: self.service.retry(feedback=feedback))

    async def action_previous_answer(self) -> None:
        await self._switch_answer(-1)

    async def action_next_answer(self) -> None:
        await self._switch_answer(+1)

    async def _switch_answer(self, step: int) -> None:
        if self._refuse_while_busy():
            return
        try:
            self.service.switch_answer(step)
        except ValueError as exc:
            self._problem(exc)
            return
        await self.show_transcript()

    async def action_branches(self, leaf_id: str = "") -> None:
        if self._refuse_while_busy():
            return
        if leaf_id.strip():
            await self._open_branch(int(leaf_id.strip().lstrip("#")))
            return
        branches = self.service.branches()
        if not branches:
            self._problem(ValueError("no conversation yet"))
            return
        self.app.push_screen(BranchesScreen(branches), self._open_branch)

    async def _open_branch(self, leaf_id: int | None) -> None:
        if leaf_id is None:
            return
        try:
            self.service.open_branch(leaf_id)
        except KeyError as exc:
            self._problem(exc)
            return
        await self.show_transcript()

    async def action_fork(self, message_id: str = "") -> None:
        if self._refuse_while_busy():
            return
        try:
            session = self.service.fork(int(message_id.lstrip("#")) if message_id.strip() else None)
        except (ValueError, KeyError) as exc:
            self._problem(exc)
            return
        await self.show_transcript()
        self.notify(f"Forked into session #{session.id}; you are in the fork now.", markup=False)

    async def action_mark(self, arg: str = "") -> None:
        last = self.service.last_answer()
        if last is None:
            self._problem(ValueError("mark needs an answer: ask something first"))
            return
        if not arg.strip():
            screen = MarkScreen(last.content, self.service.mark_of(last),
                                self.service.values_in_use())
            self.app.push_screen(screen, self._save_mark)
            return
        try:
            axes, reason, values = parse_mark(arg)
        except MarkError as exc:
            self._problem(exc)
            return
        await self._save_mark(MarkChoice(axes.get("validity"), axes.get("understanding"),
                                         reason, values), from_command=True)

    async def _save_mark(self, choice: MarkChoice | None, from_command: bool = False) -> None:
        if choice is None:
            return
        if from_command:  # a command changes only what it names
            change = {k: v for k, v in (("validity", choice.validity),
                                        ("understanding", choice.understanding)) if v}
            change |= {"reason": choice.reason or None,
                       "values_at_risk": choice.values_at_risk or None}
        else:  # the dialog shows every field, so it sets every field
            change = {"validity": choice.validity or "",
                      "understanding": choice.understanding or "",
                      "reason": choice.reason, "values_at_risk": choice.values_at_risk}
        mark = self.service.mark(**change)
        marked = self.service.last_answer()
        views = list(self.query(AnswerView))
        if views and marked is not None:  # in place: the answer may still be streaming
            views[-1].set_note(self.service.answer_note(marked))
        if mark.calls_for_retry:
            self.notify("Marked. Retry (ctrl+r) asks again and tells the model what was wrong.",
                        markup=False)

    async def action_profile(self, arg: str = "") -> None:
        library = self.service.profiles
        if library is None:
            self._problem(ValueError("value profiles are not available here"))
            return
        if not arg.strip():
            self.app.push_screen(ProfileScreen(library, self.service.profile), self._use_profile)
            return
        result = profile_command(library, self.service.profile, arg)
        if result.switch_to is not None:
            self._use_profile(result.switch_to, " ".join(result.lines))
        elif len(result.lines) > 1:
            self.app.push_screen(TextScreen(f"/profile {arg.strip()}", result.lines))
        elif result.lines:
            self.notify(result.lines[0], markup=False)

    def _use_profile(self, entry: ProfileEntry | None, note: str = "") -> None:
        if entry is None:
            return
        self.service.set_profile(entry)
        self.show_profile()
        self.notify(f"{note} The next answers follow profile {entry.name}.".strip(), markup=False)

    async def action_diary(self, note: str = "") -> None:
        if self.diary is None:
            self._problem(ValueError("the diary is not available here"))
            return
        try:
            draft = self.diary.draft()
        except ValueError as exc:
            self._problem(exc)
            return
        if note.strip():  # `/diary NOTE`: save at once, the quick way
            draft.outcome_note = note.strip()
            self._save_diary(draft)
            return
        self.app.push_screen(DiaryScreen(draft), self._save_diary)

    def _save_diary(self, entry: DiaryEntry | None) -> None:
        if entry is None or self.diary is None:
            return
        saved = self.diary.save(entry)
        self.notify(f"Diary entry {saved.id} saved.", markup=False)

    async def action_pause(self, arg: str = "") -> None:
        if self._refuse_while_busy():
            return
        try:
            minutes, why = parse_pause(arg)
            screen = PauseScreen(self.service, minutes, why, start_now=bool(arg.strip()))
        except ValueError as exc:
            self._problem(exc)
            return
        self.app.push_screen(screen)

    def action_resume(self) -> None:
        resumed = self.service.resume()
        self.notify("Resumed." if resumed else "Not paused.", markup=False)

    def action_diary_list(self, where: str = "") -> None:
        if self.diary is None:
            self._problem(ValueError("the diary is not available here"))
            return
        self.app.push_screen(DiaryListScreen(self.diary.store, where.strip()))

    def action_guide(self) -> None:
        diary = self.diary.outcomes() if self.diary is not None else []
        self.app.push_screen(TextScreen("When is it useful?", self.service.guide(diary)))

    def action_assumptions(self, arg: str = "") -> None:
        from tui import assumptions_report  # the analysis modules cost ~70 ms at start-up
        from tui.screens.assumptions import AssumptionsScreen

        try:
            answers, index, ask = assumptions_report.select(self.service, arg)
        except ValueError as exc:
            self._problem(exc)
            return
        screen = AssumptionsScreen(self.service, answers, index)
        self.app.push_screen(screen)
        if ask:
            screen.call_after_refresh(screen.action_ask)

    async def after_answer(self) -> None:
        """When the profile asks for N candidates: generate the next, or show the best."""
        step = candidates.next_step(self.service)
        if step == candidates.GENERATE:
            number = candidates.answers_so_far(self.service) + 1
            self.notify(f"Candidate {number} of {candidates.wanted(self.service)}: your profile "
                        "asks for several answers and shows the best (Esc stops).", markup=False)
            views = list(self.query(AnswerView))
            if views:
                await views[-1].remove()
            await self.run_turn(lambda: self.service.retry(meta={"candidate": number}))
        elif step == candidates.CHOOSE:
            ranked = candidates.choose_best(self.service)
            await self.show_transcript()
            self.notify(candidates.summary(ranked), markup=False, timeout=10)

    def action_confidence(self) -> None:
        views = list(self.query(AnswerView))
        last = self.service.last_answer()
        if not views or last is None:
            self._problem(ValueError("no answer to show the confidence of yet"))
            return
        view = views[-1]
        if view.confidence_shown:
            view.show_confidence(None)
            return
        from tui.assumptions_report import least_sure

        try:
            spans, hedges = least_sure(last)
        except ValueError as exc:
            self._problem(exc)
            return
        view.show_confidence(spans)
        self.notify(" ".join(hedges), markup=False, timeout=8)

"""The chat screen: the conversation plus every other registry action (one action_
method per action: rewind, retry, answers, branches, fork, marks, profiles, diary, pause,
guide, assumptions, confidence, the prompt library, sessions, clipboard, help, quit)."""

from __future__ import annotations

from functools import partial

from tui.actions import action, count_argument, id_argument, retry_argument
from tui.alignment.diary.entry import DiaryEntry
from tui.alignment.engagement import parse_pause
from tui.alignment.marks import Mark, MarkChoice
from tui.alignment.profiles.library import ProfileEntry
from tui.application import prompts as prompt_library
from tui.application.listing import session_summaries
from tui.application.profiles import profile_command
from tui.application.prompts import PromptRequest
from tui.errors import ActionRefused
from tui.output.lines import one_line
from tui.screens.branches import BranchesScreen
from tui.screens.conversation import ConversationScreen
from tui.screens.diary import DiaryScreen
from tui.screens.diary_list import DiaryListScreen
from tui.screens.help import HelpScreen
from tui.screens.mark import MarkScreen
from tui.screens.pause import PauseScreen
from tui.screens.profile import ProfileScreen
from tui.screens.prompts import PromptScreen
from tui.screens.sessions import SessionsScreen
from tui.screens.text import TextScreen
from tui.widgets.conversation import AnswerView


class ChatScreen(ConversationScreen):
    """Where the conversation happens; every registry action has an action_ method here."""

    async def action_rewind(self, steps: str = "") -> None:
        if self._refuse_while_busy():
            return
        try:
            asked = count_argument(steps, "/rewind")
            rewound = self.service.rewind_by(asked)
        except ActionRefused as exc:
            self._problem(exc)
            return
        await self.show_transcript()
        box = self.prompt
        box.value = rewound.prompt  # the cursor at its end
        box.focus()
        how_far = (f"Rewound {rewound.exchanges} exchanges, all there were. "
                   if rewound.exchanges < asked else "Rewound. ")
        self.notify(f"{how_far}Your prompt is back for editing; the dropped turns are under "
                    "Branches.", markup=False)

    async def action_retry(self, arg: str = "") -> None:
        if self._refuse_while_busy():
            return
        if self.service.last_answer() is None:
            self._problem(ActionRefused("nothing to retry yet"))
            return
        try:
            plain = retry_argument(arg)
        except ActionRefused as exc:
            self._problem(exc)
            return
        mark = None if plain else self.service.feedback_for_retry()
        views = list(self.query(AnswerView))
        if views:
            await views[-1].remove()
        if mark is not None:
            self.notify(f"Retrying, and telling the model: {mark.badge}", markup=False)
        await self.run_turn(lambda: self.service.retry(feedback=not plain))

    async def action_previous_answer(self) -> None:
        await self._switch_answer(-1)

    async def action_next_answer(self) -> None:
        await self._switch_answer(+1)

    async def _switch_answer(self, step: int) -> None:
        if self._refuse_while_busy():
            return
        try:
            self.service.switch_answer(step)
        except ActionRefused as exc:
            self._problem(exc)
            return
        await self.show_transcript()

    async def action_branches(self, leaf_id: str = "") -> None:
        if self._refuse_while_busy():
            return
        try:
            chosen = id_argument(leaf_id, "/branches")
        except ActionRefused as exc:
            self._problem(exc)
            return
        if chosen is not None:
            await self._open_branch(chosen)
            return
        branches = self.service.branches()
        if not branches:
            self._problem(ActionRefused("no conversation yet"))
            return
        self.app.push_screen(BranchesScreen(branches), self._open_branch)

    async def _open_branch(self, leaf_id: int | None) -> None:
        if leaf_id is None:
            return
        try:
            self.service.open_branch(leaf_id)
        except ActionRefused as exc:
            self._problem(exc)
            return
        await self.show_transcript()

    async def action_fork(self, message_id: str = "") -> None:
        if self._refuse_while_busy():
            return
        try:
            session = self.service.fork(id_argument(message_id, "/fork"))
        except ActionRefused as exc:
            self._problem(exc)
            return
        await self.show_transcript()
        self.notify(f"Forked into session #{session.id}; you are in the fork now.", markup=False)

    async def action_mark(self, arg: str = "") -> None:
        last = self.service.last_answer()
        if last is None:
            self._problem(ActionRefused("mark needs an answer: ask something first"))
            return
        if not arg.strip():
            screen = MarkScreen(last.content, self.service.mark_of(last),
                                self.service.values_in_use())
            self.app.push_screen(screen, self._save_form_mark)
            return
        try:
            mark = self.service.mark_from_command(arg)
        except ActionRefused as exc:
            self._problem(exc)
            return
        self._show_mark(mark)

    def _save_form_mark(self, choice: MarkChoice | None) -> None:
        if choice is not None:
            self._show_mark(self.service.mark_from_form(choice))

    def _show_mark(self, mark: Mark) -> None:
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
            self._problem(ActionRefused("value profiles are not available here"))
            return
        if not arg.strip():
            current = self.service.profile or library.default()
            self.app.push_screen(ProfileScreen(library, current), self._use_profile)
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

    async def action_prompt(self, arg: str = "") -> None:
        if self._refuse_while_busy():
            return
        choices = prompt_library.choices(self.service)
        request = None
        if arg.strip():
            try:
                request = prompt_library.prepare_from(choices, arg)
            except ActionRefused as exc:
                self._problem(exc)
                return
            if not request.missing:
                await self._send_prompt(request)
                return
        self.app.push_screen(PromptScreen(choices, request), self._send_prompt)

    async def _send_prompt(self, request: PromptRequest | None) -> None:
        """Send a filled library prompt; its use is recorded on the message."""
        if request is not None and not self._refuse_while_busy():
            await self.run_turn(partial(prompt_library.send_prompt, self.service, request),
                                request.text())

    async def action_diary(self, note: str = "") -> None:
        if self.diary is None:
            self._problem(ActionRefused("the diary is not available here"))
            return
        try:
            draft = self.diary.draft()
        except ActionRefused as exc:
            self._problem(exc)
            return
        if note.strip():  # `/diary [OUTCOME] NOTE`: save at once, the quick way
            saved = self.diary.save_quick(note)
            self.notify(f"Diary entry {saved.id} saved.", markup=False)
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
        except ActionRefused as exc:
            self._problem(exc)
            return
        resume_key = self.keymap.get("resume", action("resume").key)
        screen = PauseScreen(self.service, minutes, why, start_now=bool(arg.strip()),
                             resume_key=resume_key)
        self.stop_watching_pause()  # the dialog shows it now
        self.app.push_screen(screen, lambda _none: self.watch_pause())

    def action_resume(self) -> None:
        resumed = self.service.resume()
        self.watch_pause()  # clears the status line's pause
        self.notify("Resumed." if resumed else "Not paused.", markup=False)

    def action_diary_list(self, where: str = "") -> None:
        if self.diary is None:
            self._problem(ActionRefused("the diary is not available here"))
            return
        self.app.push_screen(DiaryListScreen(self.diary.store, where.strip()))

    def action_ground(self, arg: str = "") -> None:
        from tui.application.grounding import ground_command

        try:
            self.notify(ground_command(self.service, arg), markup=False, timeout=8)
        except ActionRefused as exc:
            self._problem(exc)

    def action_guide(self) -> None:
        diary = self.diary.outcomes() if self.diary is not None else []
        self.app.push_screen(TextScreen("When is it useful?", self.service.guide(diary)))

    def action_assumptions(self, arg: str = "") -> None:
        # the analysis modules cost ~70 ms at start-up: imported on first use
        from tui.application import assumptions as assumptions_report
        from tui.screens.assumptions import AssumptionsScreen

        try:
            answers, index, ask = assumptions_report.select(self.service, arg)
        except ActionRefused as exc:
            self._problem(exc)
            return
        screen = AssumptionsScreen(self.service, answers, index)
        self.app.push_screen(screen)
        if ask:
            screen.call_after_refresh(screen.action_ask)

    def action_confidence(self) -> None:
        views = list(self.query(AnswerView))
        last = self.service.last_answer()
        if not views or last is None:
            self._problem(ActionRefused("no answer to show the confidence of yet"))
            return
        view = views[-1]
        if view.confidence_shown:
            view.show_confidence(None)
            return
        from tui.application.assumptions import least_sure

        try:
            spans, hedges = least_sure(last)
        except ActionRefused as exc:
            self._problem(exc)
            return
        view.show_confidence(spans)
        self.notify(" ".join(hedges), markup=False, timeout=8)

    # sessions, clipboard, help, quit ---------------------------------------------

    async def action_model(self, name: str = "") -> None:
        from tui.screens.models import model_action  # the picker: loaded on first use

        await model_action(self, name)

    async def action_new_session(self) -> None:
        if self._refuse_while_busy():
            return
        self.service.new_session()
        await self.show_transcript()
        self.notify("New session.")

    async def action_open_session(self, session_id: str = "") -> None:
        if self._refuse_while_busy():
            return
        if not session_id:
            self.app.push_screen(SessionsScreen(session_summaries(self.service.store)), self._open)
            return
        try:
            await self._open(id_argument(session_id, "/open"))
        except ActionRefused as exc:
            self.notify(one_line(exc), severity="error", markup=False)

    async def _open(self, session_id: int | None) -> None:
        if session_id is not None:
            self.service.open_session(session_id)
            await self.show_transcript()

    def action_copy_answer(self) -> None:
        answer = self.service.last_answer()
        if answer is None or not answer.content:
            self.notify("No answer to copy yet.", severity="warning")
            return
        self.app.copy_to_clipboard(answer.content)
        self.notify(f"Copied the last answer ({len(answer.content)} characters).")

    def action_help(self) -> None:
        self.app.push_screen(HelpScreen(self.keymap))

    def action_quit(self) -> None:
        self.stop_answer("quit")  # an answer stopped now is recorded as cut by quitting
        self.app.exit(0)

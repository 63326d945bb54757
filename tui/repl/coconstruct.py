"""The REPL's co-construction commands: rewind, retry, answers, branches, fork, marks."""

from __future__ import annotations

from tui.actions import count_argument, id_argument, retry_argument
from tui.alignment.diary.store import parse_filter
from tui.alignment.engagement import parse_pause
from tui.alignment.spans import split_spans
from tui.alignment.text import strip_control
from tui.application import candidates
from tui.application import prompts as library
from tui.application.profiles import change_line, profile_command
from tui.application.turn import Turn
from tui.output.lines import branch_line
from tui.repl.core import ReplCore


class CoConstructionCommands(ReplCore):
    """The REPL's co-construction commands; each cmd_<Action.method> handles one action."""

    confidence_shown_for: int | None = None  # the answer /confidence last highlighted

    def _show_answer_position(self) -> None:
        answer = self.service.last_answer()
        if answer is None:
            return
        if note := self.service.answer_note(answer):  # the same note the TUI shows
            self.dim(note)

    def more_candidates(self) -> None:
        """When the profile asks for N candidates: generate the rest, then show the best."""
        while (step := candidates.next_step(self.service)) == candidates.GENERATE:
            number, wanted = candidates.progress(self.service)
            self.dim(f"candidate {number} of {wanted} "
                     "(your profile asks for several answers; Ctrl-C stops)")
            self._stream(candidates.generate_next(self.service))
        if step == candidates.CHOOSE:
            ranked = candidates.choose_best(self.service)
            self.dim(candidates.summary(ranked, "/prev, /next", "/assumptions"))
            self.say(strip_control(ranked[0][0].content))

    def ask_value(self, name: str) -> str:
        """Ask for one placeholder's value on its own line (the REPL's prompt)."""
        raise NotImplementedError

    def show_profile_change(self, turn: Turn) -> Turn:
        """Say when the profile file changed since it was read (the answer follows it)."""
        if line := change_line(self.service.profile_change):
            self.dim(line)
        return turn

    def cmd_prompt(self, arg: str) -> None:
        if not arg.strip():
            for line in library.prompt_lines(library.choices(self.service)):
                self.say(line)
            return
        request = library.prepare(self.service, arg)
        for name in request.missing:
            request.values[name] = self.ask_value(name).strip()
        library.check_filled(request)
        self.service.check_can_answer()
        self.wait_for_model()
        turn = library.send_prompt(self.service, request)
        self.dim(f"prompt {request.chosen.name} from {library.where(request.chosen)}:")
        self.say(strip_control(request.text()))
        self._stream(self.show_profile_change(turn))
        self.more_candidates()

    def cmd_assumptions(self, arg: str) -> None:
        from tui.repl import assumptions as repl_assumptions

        repl_assumptions.show(self, arg)

    def cmd_rewind(self, arg: str) -> None:
        asked = count_argument(arg, "/rewind")
        rewound = self.service.rewind_by(asked)
        self.next_default = rewound.prompt
        kept = len(self.service.transcript())
        steps = rewound.exchanges
        also = f" (all there were; you asked for {asked})" if steps < asked else ""
        self.say(f"rewound {steps} exchange{'s' * (steps > 1)}{also}; {kept} messages kept "
                 "(the dropped turns stay under /branches). Your prompt is back for editing.")

    def cmd_retry(self, arg: str) -> None:
        plain = retry_argument(arg)
        mark = None if plain else self.service.feedback_for_retry()
        self.service.check_can_answer()
        self.wait_for_model()
        turn = self.service.retry(feedback=not plain)
        if mark is not None:
            self.dim(f"retrying with your mark ({mark.badge}) as feedback")
        self._stream(turn)
        self._show_answer_position()

    def cmd_confidence(self, _arg: str) -> None:
        from tui.application.assumptions import least_sure

        last = self.service.last_answer()
        if last is None:
            self.say("no answer to show the confidence of yet")
            return
        if self.confidence_shown_for == last.id:  # a toggle, as in the TUI
            self.confidence_shown_for = None
            self.say(strip_control(last.content))
            self.dim("(highlighting off; /confidence shows it again)")
            return
        try:
            spans, hedges = least_sure(last)
        except ValueError as exc:
            self.say(str(exc))
            return
        self.confidence_shown_for = last.id
        self.highlight(split_spans(last.content, spans))
        for line in hedges:
            self.dim(line)

    def cmd_previous_answer(self, _arg: str) -> None:
        self._switch(-1)

    def cmd_next_answer(self, _arg: str) -> None:
        self._switch(+1)

    def _switch(self, step: int) -> None:
        answer = self.service.switch_answer(step)
        self.say(strip_control(answer.content))
        self._show_answer_position()

    def cmd_branches(self, arg: str) -> None:
        leaf_id = id_argument(arg, "/branches")
        if leaf_id is not None:
            self.service.open_branch(leaf_id)
            self.say(f"back on branch #{leaf_id}; {len(self.service.transcript())} messages")
            return
        branches = self.service.branches()
        if not branches:
            self.say("no conversation yet")
            return
        for branch in branches:
            self.say(branch_line(branch))
        self.say("return to one with /branches ID")

    def cmd_fork(self, arg: str) -> None:
        session = self.service.fork(id_argument(arg, "/fork"))
        self.say(f"forked into session #{session.id} ({session.message_count} messages); "
                 "you are in the fork now")

    def cmd_mark(self, arg: str) -> None:
        mark = self.service.mark_from_command(arg)
        self.say(f"marked: {mark.badge}" + (f" — {mark.reason}" if mark.reason else ""))
        if mark.calls_for_retry:
            self.dim("/retry asks again and tells the model what was wrong, in your words")
        suggestions = [v for v in self.service.values_in_use() if v not in mark.values_at_risk]
        if suggestions:
            self.dim("values used before: " + " ".join(f"#{v}" for v in suggestions[:8]))

    def cmd_profile(self, arg: str) -> None:
        if self.service.profiles is None:
            self.say("value profiles are not available here")
            return
        result = profile_command(self.service.profiles, self.service.profile, arg)
        for line in result.lines:
            self.say(strip_control(line))
        if result.switch_to is not None:
            self.service.set_profile(result.switch_to)
            self.dim(f"the next answers follow profile {result.switch_to.name}")

    def cmd_diary(self, arg: str) -> None:
        if self.diary is None:
            self.say("the diary is not available here")
            return
        saved = self.diary.save_quick(arg)
        self.say(f"diary entry {saved.id} saved ({self.diary.store.folder})")
        for label, text in (("final outcome", saved.final_outcome or "not set"),
                            ("initial prompting", saved.initial_prompting),
                            ("intuitive intervention", saved.intuitive_intervention or "none"),
                            ("values at risk", ", ".join(saved.values_at_risk) or "none")):
            self.dim(f"  {label}: {strip_control(text)[:100]}")
        self.dim(f"  complete it later with `coalign diary edit {saved.id}`, or in the TUI (F8)")

    def cmd_pause(self, arg: str) -> None:
        minutes, why = parse_pause(arg)
        state = self.service.pause(minutes, why)
        self.say(f"{state.describe(state.started)} — the model is not used until /resume")

    def cmd_resume(self, _arg: str) -> None:
        self.say("resumed" if self.service.resume() else "not paused")

    def cmd_diary_list(self, arg: str) -> None:
        if self.diary is None:
            self.say("the diary is not available here")
            return
        entries = sorted(self.diary.store.list(parse_filter(arg)), key=lambda e: e.id)
        for entry in entries:
            values = " ".join(f"#{v}" for v in entry.values_at_risk) or "-"
            snippet = strip_control(entry.misaligned_response).replace("\n", " ")[:60]
            self.say(f"{entry.id}  {entry.final_outcome or '-':<10} {values:<20} {snippet}")
        self.dim(f"{len(entries)} entries; edit one with `coalign diary edit ID` or the TUI (F8)")

    def cmd_override_limits(self, _arg: str) -> None:
        self.service.override_limits()
        self.say("daily limits overridden for today (recorded)")

    def cmd_ground(self, arg: str) -> None:
        from tui.application.grounding import ground_command

        self.say(ground_command(self.service, arg))

    def cmd_guide(self, _arg: str) -> None:
        diary = self.diary.outcomes() if self.diary is not None else []
        for line in self.service.guide(diary):
            self.say(strip_control(line))

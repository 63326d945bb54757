"""The plain REPL (`coalign chat`): a prompt line, slash commands, answers streamed as text."""

from __future__ import annotations

import logging
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import TextIO

from prompt_toolkit import PromptSession
from prompt_toolkit.input import Input
from prompt_toolkit.output import Output, create_output

from tui.actions import id_argument, parse_slash
from tui.alignment.text import strip_control
from tui.application import prompts as prompt_library
from tui.application.diary import DiaryRecorder
from tui.application.listing import session_summaries, single_line
from tui.application.service import ChatService
from tui.application.turn import Turn
from tui.errors import LimitReached
from tui.output.lines import session_line
from tui.repl.coconstruct import CoConstructionCommands
from tui.repl.models import ModelCommands
from tui.repl.prompting import (
    PROMPT,
    SlashCompleter,
    exchange_lines,
    help_lines,
    open_history,
    osc52,
)

log = logging.getLogger(__name__)

QUIT_HINT = "(press Ctrl-C again or Ctrl-D to quit; /help lists commands)"
class Repl(ModelCommands, CoConstructionCommands):
    """A line-by-line chat over a ChatService; every registry action is a slash command."""

    def __init__(self, service: ChatService, history_file: Path, *, input: Input | None = None,
                 output: Output | None = None, out: TextIO | None = None,
                 keymap: Mapping[str, str] | None = None,
                 diary: DiaryRecorder | None = None) -> None:
        self.service = service
        self.diary = diary
        # The real terminal, not sys.stdout: a loading engine may swap sys.stdout for a while.
        terminal = sys.__stdout__ or sys.stdout
        self.out = out if out is not None else terminal
        if output is None and terminal.isatty():
            output = create_output(stdout=terminal)
        self.keymap = keymap or {}
        self.turn: Turn | None = None  # the answer streaming now, if any
        self.quitting = False
        self.next_default = ""  # text to put back in the prompt (after /rewind)
        history, self._history_error = open_history(Path(history_file))
        completer = SlashCompleter(lambda: self.service.store.sessions(limit=20), lambda: [
            (p.name, p.prompt.description) for p in prompt_library.choices(self.service)])
        self.prompt: PromptSession[str] = PromptSession(
            history=history, completer=completer, input=input, output=output)

    def run(self) -> int:
        """Read lines until /quit, Ctrl-D or a second Ctrl-C at an empty prompt."""
        self._start()
        hinted = False
        while not self.quitting:
            try:
                line = self.prompt.prompt(PROMPT, default=self.next_default)
                self.next_default = ""
            except KeyboardInterrupt:
                if self.prompt.default_buffer.text:
                    hinted = False  # Ctrl-C on a typed line just clears it
                elif hinted:
                    break
                else:
                    self.say(QUIT_HINT)
                    hinted = True
                continue
            except EOFError:
                break
            hinted = False
            self.execute(line)
        return 0

    def execute(self, line: str) -> None:
        """Run one input line: a slash command, or a prompt to send."""
        line = line.strip()
        if not line:
            return
        action, arg = parse_slash(line)
        if action is None and line.startswith("/"):
            self.say(f"unknown command /{line[1:].split(' ', 1)[0]} — /help lists them")
            return
        handler = getattr(self, f"cmd_{action.method}") if action else self.cmd_send
        try:
            handler(arg if action else line)
        except KeyboardInterrupt:
            self.say("[cancelled]")
        except LimitReached as exc:
            self.error(f"{exc}; /override goes on for today")
        except Exception as exc:
            log.debug("REPL command failed: %s", line, exc_info=True)
            self.error(exc)

    # commands (one per registry action: cmd_<Action.method>) --------------------

    def cmd_send(self, text: str) -> None:
        if not text:
            self.say("usage: /send TEXT")
            return
        self.service.check_can_answer()  # a refusal need not wait for the model
        self.wait_for_model()
        self._stream(self.show_profile_change(self.service.send(text)))
        self.more_candidates()

    def ask_value(self, name: str) -> str:
        return self.prompt.prompt(f"{{{name}}} = ")

    def cmd_stop(self, _arg: str) -> None:
        if not self.interrupt():
            self.say("nothing is running")

    def cmd_new_session(self, _arg: str) -> None:
        self.service.new_session()
        self.say("new session — your next message starts it")

    def cmd_open_session(self, arg: str) -> None:
        if not arg:
            sessions = session_summaries(self.service.store, self.service.session_id, limit=20)
            for summary in sessions:
                self.say(session_line(summary))
            self.say("open one with /open ID" if sessions else "no saved sessions yet")
            return
        session = self.service.open_session(id_argument(arg, "/open") or 0)
        self._show_session("opened", session.id)

    def cmd_copy_answer(self, _arg: str) -> None:
        answer = self.service.last_answer()
        if answer is None or not answer.content:
            self.say("nothing to copy yet")
            return
        text = strip_control(answer.content)
        self.say(text)
        if self._tty():
            self.terminal.control(osc52(text))
            self.dim("[copied to the clipboard]")

    def cmd_help(self, _arg: str) -> None:
        for line in help_lines(self.keymap):
            self.say(line)

    def cmd_quit(self, _arg: str) -> None:
        self.quitting = True

    # internals -----------------------------------------------------------------

    def _start(self) -> None:
        """Start loading the model, print the banner, resume the latest session."""
        engine = self.service.engine
        try:
            engine.start_loading()
        except Exception as exc:
            self.error(exc)
        label = engine.info.label if engine.info else "loading model…"
        self.say(f"coalign · {label} · /help for commands")
        if engine.load_error is not None:
            self.error(engine.load_error)
        if self._history_error:
            self.error(self._history_error)
        try:
            session = self.service.resume_latest()
        except Exception as exc:
            self.error(exc)
            return
        if session is not None:
            self._show_session("resumed", session.id)

    def _show_session(self, verb: str, session_id: int) -> None:
        session = self.service.store.session(session_id)
        title = single_line(session.title)
        self.dim(f"{verb} session #{session.id} “{title}” ({session.message_count} messages)")
        for line in exchange_lines(self.service.transcript()):
            self.say(line)

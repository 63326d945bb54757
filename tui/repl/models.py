"""The REPL's /model: list the models coalign can use, or switch to one (the REPL waits
while it loads; the conversation goes on with the new model)."""

from __future__ import annotations

from tui.application.models import row_line
from tui.repl.core import ReplCore


class ModelCommands(ReplCore):
    """cmd_model handles the registry's `model` action."""

    def cmd_model(self, arg: str) -> None:
        switcher = self.service.models
        if switcher is None:
            self.say("switching models is not available here")
            return
        if not arg.strip():
            rows = switcher.choices()
            for row in rows:
                self.say(row_line(row))
            self.say("* answers now; switch with /model NAME" if rows else
                     "no models yet: `coalign models pull qwen2.5-1.5b` gets one")
            return
        pending = switcher.begin(arg)
        if pending.warning:
            self.terminal.error(pending.warning, prefix="warning")
        self.say(f"loading {pending.name}…")
        info = switcher.finish(pending)
        self.say(f"now answering with {info.label}; the conversation goes on")
        for warning in info.warnings:
            self.terminal.error(warning, prefix="warning")

"""The assumptions panel: the seven sections for one answer, and the model's own account on
demand."""

from __future__ import annotations

import time

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Footer, Label, Static

from tui.alignment.conversation import Message
from tui.alignment.text import strip_control
from tui.application import assumptions as assumptions_report
from tui.application import disclosure
from tui.application.service import ChatService
from tui.engine.base import Generation
from tui.widgets.highlight import highlighted

STREAM_REFRESH_SECONDS = 0.25


def section_text(section: assumptions_report.Section) -> Text:
    """A section as literal text: title, provenance (dim), then its lines."""
    text = Text(section.title, style="bold")
    text.append(f"\n{section.provenance}", style="dim italic")
    for line in section.lines:
        text.append("\n" + strip_control(line))
    return text


class AssumptionsScreen(ModalScreen[None]):
    """What lies behind one answer; p/n step through the conversation's answers."""

    DEFAULT_CSS = """
    AssumptionsScreen { align: center middle; }
    AssumptionsScreen > VerticalScroll {
        width: 95%; max-width: 130; height: 90%;
        border: thick $primary; background: $surface; padding: 0 1;
    }
    AssumptionsScreen .section { margin: 1 0 0 0; }
    AssumptionsScreen #response { border-left: thick $secondary; padding: 0 1; }
    AssumptionsScreen Label { color: $text-muted; }
    """
    BINDINGS = [
        Binding("escape", "close_or_stop", "Close / stop"),
        Binding("d", "ask", "Ask the model"),
        Binding("p", "step(-1)", "Previous answer"),
        Binding("n", "step(1)", "Next answer"),
    ]

    def __init__(self, service: ChatService, answers: list[Message], index: int) -> None:
        super().__init__()
        self.service = service
        self.answers = answers
        self.index = index
        self.generation: Generation | None = None

    @property
    def answer(self) -> Message:
        return self.answers[self.index]

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            yield Label(id="heading")
            yield Static(id="response")
            for key in ("told", "account", "confidence", "grounding", "citations", "risk",
                        "sources"):
                yield Static(id=f"section-{key}", classes="section")
        yield Footer()

    def on_mount(self) -> None:
        self.show()

    def show(self) -> None:
        """Build the report for the current answer (cheap: no generation) and render it."""
        report = assumptions_report.build(self.service, self.answer, self.service.bibliographies)
        self.query_one("#heading", Label).update(Text(
            f"Answer {self.index + 1} of {len(self.answers)} (message #{self.answer.id}) · "
            "d asks the model for its own account · p/n other answers · Esc closes"))
        response = highlighted(self.answer.content, report.low_spans)
        self.query_one("#response", Static).update(response)
        for section in report.sections:
            self.query_one(f"#section-{section.key}", Static).update(section_text(section))

    def action_step(self, step: int) -> None:
        if self.generation is None and 0 <= self.index + step < len(self.answers):
            self.index += step
            self.show()

    def action_close_or_stop(self) -> None:
        if self.generation is not None:
            self.generation.stop()
        else:
            self.dismiss(None)

    def action_ask(self) -> None:
        if self.generation is None:
            self.generation = disclosure.start(self.service, self.answer)
            self._show_account(["Asking the model how it produced this answer… (Esc stops)"])
            self._stream_account(self.generation, self.answer)

    def _show_account(self, lines: list[str]) -> None:
        section = assumptions_report.Section(
            "account", "2 · The model's own account", assumptions_report.ACCOUNT_PROVENANCE, lines)
        self.query_one("#section-account", Static).update(section_text(section))

    @work(thread=True, exclusive=True, group="disclosure")
    def _stream_account(self, generation: Generation, answer: Message) -> None:
        """Runs in a thread: show the raw account as it comes, then the parsed fields."""
        shown = time.monotonic()
        for _piece in generation:
            if time.monotonic() - shown >= STREAM_REFRESH_SECONDS:
                shown = time.monotonic()
                self.app.call_from_thread(self._show_account,
                                          ["(streaming, Esc stops)", generation.text])
        disclosure.save(self.service, answer, generation)
        self.app.call_from_thread(self._account_done, answer)

    def _account_done(self, answer: Message) -> None:
        self.generation = None
        entry = answer.meta.get("disclosure")
        if entry is None:  # stopped: shown, not cached
            self._show_account(["Stopped before the model finished; press d to ask again."])
        else:
            self._show_account(disclosure.lines(entry))

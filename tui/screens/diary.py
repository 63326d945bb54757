"""The diary modal: the paper's four fields, prefilled from what happened; Ctrl+S saves."""

from __future__ import annotations

from dataclasses import replace

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, RadioButton, RadioSet, Static

from tui.alignment.diary.entry import OUTCOMES, DiaryEntry
from tui.alignment.marks import normalise_value
from tui.alignment.text import strip_control

NOT_YET = "not yet"


class DiaryScreen(ModalScreen[DiaryEntry | None]):
    """Review and complete a drafted entry; dismisses with the entry to save, or None."""

    DEFAULT_CSS = """
    DiaryScreen { align: center middle; }
    DiaryScreen > VerticalScroll {
        width: 95%; max-width: 110; height: auto; max-height: 90%;
        border: thick $primary; background: $surface; padding: 0 1;
    }
    DiaryScreen .field { color: $text-muted; margin-top: 1; }
    DiaryScreen .response { max-height: 6; }
    DiaryScreen RadioSet { layout: horizontal; height: auto; }
    """
    BINDINGS = [Binding("escape", "cancel", "Cancel"), Binding("ctrl+s", "save", "Save")]
    AUTO_FOCUS = "#initial"  # the first field, not the scrolling frame around them

    def __init__(self, draft: DiaryEntry) -> None:
        super().__init__()
        self.draft = draft

    def compose(self) -> ComposeResult:
        entry = self.draft
        with VerticalScroll():
            yield Label("Misalignment Diary entry (Ctrl+S saves, Esc cancels)")
            yield Label("1. Initial prompting: what were you trying to achieve, and why?",
                        classes="field")
            # Prefilled fields keep their text on focus (no select-all that a key replaces).
            yield Input(strip_control(entry.initial_prompting), id="initial",
                        select_on_focus=False)
            yield Label("2. Misaligned response", classes="field")
            yield Static(Text(strip_control(entry.misaligned_response)[:600]), classes="response")
            yield Label("3. Intuitive intervention: what did you do about it?", classes="field")
            yield Input(strip_control(entry.intuitive_intervention), id="intervention",
                        select_on_focus=False)
            yield Label("4. Final outcome", classes="field")
            buttons = [RadioButton(o, value=o == entry.final_outcome) for o in OUTCOMES]
            yield RadioSet(*buttons, RadioButton(NOT_YET, value=not entry.final_outcome),
                           id="outcome")
            yield Input(strip_control(entry.outcome_note), placeholder="A note on the outcome",
                        id="note", select_on_focus=False)
            yield Label("Values at risk", classes="field")
            yield Input(" ".join(f"#{v}" for v in entry.values_at_risk), id="values",
                        placeholder="#reliability #nuance", select_on_focus=False)
            with Horizontal():
                yield Button("Save", variant="primary", id="save")
                yield Button("Cancel", id="cancel")

    def entry(self) -> DiaryEntry:
        """The draft with what the user typed."""
        pressed = self.query_one("#outcome", RadioSet).pressed_button
        outcome = str(pressed.label) if pressed is not None else NOT_YET
        values = self.query_one("#values", Input).value.replace(",", " ").split()
        return replace(
            self.draft,
            initial_prompting=self.query_one("#initial", Input).value.strip(),
            intuitive_intervention=self.query_one("#intervention", Input).value.strip(),
            final_outcome="" if outcome == NOT_YET else outcome,
            outcome_note=self.query_one("#note", Input).value.strip(),
            values_at_risk=sorted({normalise_value(v) for v in values if normalise_value(v)}),
        )

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(self.entry() if event.button.id == "save" else None)

    def action_save(self) -> None:
        self.dismiss(self.entry())

    def action_cancel(self) -> None:
        self.dismiss(None)

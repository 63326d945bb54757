"""The mark modal (P2): valid/invalid, understood/misunderstood, a reason, values at risk."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.suggester import SuggestFromList
from textual.widgets import Button, Input, Label, RadioButton, RadioSet, Static

from tui.alignment.marks import UNDERSTANDING, VALIDITY, Mark, MarkChoice
from tui.alignment.text import strip_control

UNSET = "not set"


def _axis(options: tuple[str, ...], current: str | None, axis_id: str) -> RadioSet:
    buttons = [RadioButton(option, value=option == current) for option in (*options, UNSET)]
    if current is None:
        buttons[-1].value = True
    return RadioSet(*buttons, id=axis_id)


class MarkScreen(ModalScreen[MarkChoice | None]):
    """Mark one answer; Ctrl+S or the Save button saves, Esc cancels."""

    DEFAULT_CSS = """
    MarkScreen { align: center middle; }
    MarkScreen > Vertical {
        width: 90%; max-width: 100; height: auto; border: thick $primary;
        background: $surface; padding: 0 1;
    }
    MarkScreen .preview { color: $text-muted; max-height: 4; margin-bottom: 1; }
    MarkScreen Horizontal { height: auto; }
    MarkScreen RadioSet { width: 1fr; }
    MarkScreen .buttons { margin-top: 1; }
    """
    BINDINGS = [Binding("escape", "cancel", "Cancel"), Binding("ctrl+s", "save", "Save")]

    def __init__(self, answer: str, current: Mark | None, suggestions: list[str]) -> None:
        super().__init__()
        self.answer = strip_control(answer)
        self.current = current or Mark()
        self.suggestions = [f"#{value}" for value in suggestions]

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label("Mark this answer (Ctrl+S saves, Esc cancels)")
            yield Static(Text(self.answer[:300]), classes="preview")
            with Horizontal():
                yield _axis(VALIDITY, self.current.validity, "validity")
                yield _axis(UNDERSTANDING, self.current.understanding, "understanding")
            yield Input(self.current.reason, placeholder="What was wrong (or right), in your words",
                        id="reason")
            values = " ".join(f"#{v}" for v in self.current.values_at_risk)
            hint = "Values at risk, e.g. #reliability #nuance"
            if self.suggestions:
                hint += " (used before: " + " ".join(self.suggestions[:6]) + ")"
            yield Input(values, placeholder=hint, id="values",
                        suggester=SuggestFromList(self.suggestions, case_sensitive=False))
            with Horizontal(classes="buttons"):
                yield Button("Save", variant="primary", id="save")
                yield Button("Cancel", id="cancel")

    def _chosen(self, axis_id: str) -> str | None:
        pressed = self.query_one(f"#{axis_id}", RadioSet).pressed_button
        label = str(pressed.label) if pressed is not None else UNSET
        return None if label == UNSET else label

    def choice(self) -> MarkChoice:
        values = self.query_one("#values", Input).value.replace(",", " ").split()
        return MarkChoice(self._chosen("validity"), self._chosen("understanding"),
                          self.query_one("#reason", Input).value, values)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(self.choice() if event.button.id == "save" else None)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.dismiss(self.choice())

    def action_save(self) -> None:
        self.dismiss(self.choice())

    def action_cancel(self) -> None:
        self.dismiss(None)

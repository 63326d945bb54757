"""A modal that lists rows and dismisses with the chosen row's id (Enter) or None (Esc)."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Label, OptionList
from textual.widgets.option_list import Option


class PickerScreen(ModalScreen[int | None]):
    """Rows of (id, line); an empty list shows `empty` instead."""

    DEFAULT_CSS = """
    PickerScreen { align: center middle; }
    PickerScreen > Vertical {
        width: 90%; max-width: 110; height: auto; max-height: 80%;
        border: thick $primary; background: $surface; padding: 0 1;
    }
    PickerScreen OptionList { height: auto; max-height: 30; }
    """
    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, title: str, rows: list[tuple[int, Text]], empty: str = "") -> None:
        super().__init__()
        self.title_text = title
        self.rows = rows
        self.empty = empty

    def compose(self) -> ComposeResult:
        with Vertical():
            if self.rows or not self.empty:
                yield Label(self.title_text)
                yield OptionList(*(Option(line, id=str(row_id)) for row_id, line in self.rows))
            else:
                yield Label(self.empty)

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.dismiss(int(event.option_id) if event.option_id else None)

    def action_cancel(self) -> None:
        self.dismiss(None)

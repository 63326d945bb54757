"""The help modal: every registry action with its key (after the keymap) and command."""

from __future__ import annotations

from collections.abc import Mapping

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import DataTable, Label, Static

from tui.actions import ACTIONS

PROMPT_KEYS = ("In the prompt: Enter sends · ctrl+j starts a new line (shift+enter too, in "
               "terminals with kitty's keyboard protocol) · a paste keeps every line · Tab "
               "moves to the conversation, where PageUp, PageDown, Home and End scroll")


class HelpScreen(ModalScreen[None]):
    """A table of actions; Esc closes it."""

    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > Vertical {
        width: 90%; max-width: 110; height: auto; max-height: 80%;
        border: thick $primary; background: $surface; padding: 0 1;
    }
    HelpScreen DataTable { height: auto; }
    HelpScreen #prompt-keys { color: $text-muted; margin-bottom: 1; }
    """
    BINDINGS = [Binding("escape", "close", "Close")]

    def __init__(self, keymap: Mapping[str, str]) -> None:
        super().__init__()
        self.keymap = keymap

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label("coalign actions: press the key, or type the command (Esc closes)")
            yield Static(Text(PROMPT_KEYS), id="prompt-keys")
            yield DataTable(cursor_type="row", zebra_stripes=True)

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns("Key", "Command", "Action", "What it does")
        for action in ACTIONS:
            command = f"{action.command} {action.args}".strip()
            key = self.keymap.get(action.id, action.key)
            table.add_row(*(Text(cell) for cell in (key, command, action.title, action.help)),
                          key=action.id)

    def action_close(self) -> None:
        self.dismiss(None)

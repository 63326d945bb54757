"""The branches modal: every line this conversation took, to return to one."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Label, OptionList
from textual.widgets.option_list import Option

from tui.alignment.text import strip_control
from tui.service import Branch


def branch_line(branch: Branch) -> Text:
    """'▶ last prompt  · 6 messages', the prompt shown literally."""
    prompt = strip_control(branch.prompt).replace("\n", " ")[:80] or "(empty)"
    line = Text("▶ " if branch.current else "  ", style="bold")
    line.append(prompt, style="bold" if branch.current else "")
    line.append(f"  · {branch.length} messages · #{branch.leaf.id}", style="dim")
    return line


class BranchesScreen(ModalScreen[int | None]):
    """Lists branch ends (current one marked ▶); dismisses with the chosen leaf id."""

    DEFAULT_CSS = """
    BranchesScreen { align: center middle; }
    BranchesScreen > Vertical {
        width: 90%; max-width: 110; height: auto; max-height: 80%;
        border: thick $primary; background: $surface; padding: 0 1;
    }
    BranchesScreen OptionList { height: auto; max-height: 30; }
    """
    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, branches: list[Branch]) -> None:
        super().__init__()
        self.branches = branches

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label("Branches of this conversation: Enter returns to one, Esc cancels")
            yield OptionList(*(Option(branch_line(b), id=str(b.leaf.id)) for b in self.branches))

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.dismiss(int(event.option_id) if event.option_id else None)

    def action_cancel(self) -> None:
        self.dismiss(None)

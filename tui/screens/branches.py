"""The branches modal: every line this conversation took, to return to one."""

from __future__ import annotations

from rich.text import Text

from tui.application.listing import single_line
from tui.application.service import Branch
from tui.screens.picker import PickerScreen


def branch_line(branch: Branch) -> Text:
    """'▶ last prompt  · 6 messages', the prompt shown literally."""
    prompt = single_line(branch.prompt, 80, empty="(empty)")
    line = Text("▶ " if branch.current else "  ", style="bold")
    line.append(prompt, style="bold" if branch.current else "")
    line.append(f"  · {branch.length} messages · #{branch.leaf.id}", style="dim")
    return line


class BranchesScreen(PickerScreen):
    """Lists branch ends (current one marked ▶); dismisses with the chosen leaf id."""

    def __init__(self, branches: list[Branch]) -> None:
        super().__init__("Branches of this conversation: Enter returns to one, Esc cancels",
                         [(b.leaf.id, branch_line(b)) for b in branches])
        self.branches = branches

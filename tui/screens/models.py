"""Switching models in the TUI (/model [NAME], Alt+M, the palette): a picker of the models
coalign can use; the chosen one loads in a worker while the conversation goes on, and
takes over once no answer is streaming."""

from __future__ import annotations

import asyncio
from functools import partial
from typing import TYPE_CHECKING

from rich.text import Text

from tui.application.model_switch import ModelSwitcher, PendingSwitch
from tui.application.models import ModelRow, size_text
from tui.errors import ActionRefused
from tui.screens.picker import PickerScreen
from tui.widgets.conversation import StatusLine

if TYPE_CHECKING:
    from tui.screens.conversation import ConversationScreen

SWAP_CHECK_SECONDS = 0.25  # while an answer streams, how often the swap looks again


def model_line(row: ModelRow) -> Text:
    """'qwen2.5-1.5b  986 MB · registry …', the name shown literally."""
    line = Text(row.name, style="bold")
    size = size_text(row.size) if row.size is not None else "missing"
    line.append(f"  {size} · {row.source}", style="dim")
    if row.in_use:
        line.append("  · answering now", style="italic")
    return line


class ModelsScreen(PickerScreen):
    """Lists the models; dismisses with the chosen row's index, or None."""

    def __init__(self, rows: list[ModelRow]) -> None:
        super().__init__(
            "Switch model (Enter; it loads in the background), or Esc to cancel",
            [(index, model_line(row)) for index, row in enumerate(rows)],
            empty="No models yet: `coalign models pull qwen2.5-1.5b` gets one. Esc to go back.")
        self.models = rows


async def model_action(screen: ConversationScreen, name: str) -> None:
    """`/model NAME` loads that model; `/model` alone opens the picker."""
    switcher = screen.service.models
    if switcher is None:
        screen._problem(ActionRefused("switching models is not available here"))
        return
    if name.strip():
        start_switch(screen, switcher, name.strip())
        return
    rows = await asyncio.to_thread(switcher.choices)  # the machine's stores are searched

    def chosen(index: int | None) -> None:
        if index is not None:
            start_switch(screen, switcher, rows[index].name)

    screen.app.push_screen(ModelsScreen(rows), chosen)


def start_switch(screen: ConversationScreen, switcher: ModelSwitcher, name: str) -> None:
    screen.notify(f"Loading {name}; the current model answers until it is ready.",
                  markup=False)
    screen.run_worker(partial(_load, screen, switcher, name), thread=True,
                      group="model-switch", name=f"load {name}")


def _load(screen: ConversationScreen, switcher: ModelSwitcher, name: str) -> None:
    """In a worker thread: open and load the model; then swap it in on the UI thread."""
    app = screen.app
    try:
        pending = switcher.begin(name)
    except Exception as exc:  # one line, never a traceback
        app.call_from_thread(screen._problem, exc)
        return
    if pending.warning:
        app.call_from_thread(partial(screen.notify, pending.warning, severity="warning",
                                     timeout=10, markup=False))
    try:
        pending.engine.wait_loaded()
    except Exception as exc:
        pending.engine.close()
        app.call_from_thread(screen._problem, exc)
        return
    app.call_from_thread(_swap_when_idle, screen, switcher, pending)


def _swap_when_idle(screen: ConversationScreen, switcher: ModelSwitcher,
                    pending: PendingSwitch) -> None:
    """Answer with the new model from now on (after the answer streaming now, if any)."""
    if screen.busy:
        screen.set_timer(SWAP_CHECK_SECONDS, partial(_swap_when_idle, screen, switcher, pending))
        return
    try:
        info = switcher.finish(pending)  # loaded already: at once
    except Exception as exc:
        screen._problem(exc)
        return
    status = screen.query_one(StatusLine)
    status.engine, status.error = pending.engine, ""
    status.post_message(StatusLine.ModelReady(info))  # the status line and the welcome
    screen.notify(f"Now answering with {info.label}; the conversation goes on.", markup=False)
    for warning in info.warnings:
        screen.notify(warning, severity="warning", timeout=10, markup=False)

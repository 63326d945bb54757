"""The footer: every action's key, on as many rows as the width needs (none cut off)."""

from __future__ import annotations

from rich.cells import cell_len
from textual import events
from textual.app import ComposeResult
from textual.containers import HorizontalGroup
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Footer
from textual.widgets._footer import FooterKey

from tui.actions import ACTIONS

_ORDER = {action.method: index for index, action in enumerate(ACTIONS)}


def key_cells(key: FooterKey, compact: bool = True) -> int:
    """The columns a key takes in the footer, its margin included."""
    text = cell_len(key.key_display)
    if key.description:
        text += cell_len(key.description) + (1 if compact else 3)
    elif not compact:
        text += 2
    if key.has_class("-command-palette"):
        return text + 2  # its left border, and room so the row's last key never touches it
    return text + 1


def _filled(widths: list[int], width: int) -> list[list[int]]:
    rows: list[list[int]] = [[]]
    used = 0
    for index, cells in enumerate(widths):
        if rows[-1] and used + cells > width:
            rows.append([])
            used = 0
        rows[-1].append(index)
        used += cells
    return rows


def rows_of(widths: list[int], width: int) -> list[list[int]]:
    """Indices of the keys on each row, in order: as few rows as width allows, as evenly
    filled as they can be (no last row holding one key)."""
    fewest = _filled(widths, width)
    for narrower in range(-(-sum(widths) // len(fewest)), width):
        rows = _filled(widths, narrower)
        if len(rows) <= len(fewest):
            return rows
    return fewest


class KeysFooter(Footer):
    """Textual's Footer, wrapped onto more rows when the keys don't fit on one: every
    action shows its key (Textual's own scrolls them out of sight and, where the palette
    key covers the last one, leaves a stray letter of it)."""

    DEFAULT_CSS = """
    KeysFooter { layout: vertical; height: auto; }
    KeysFooter > HorizontalGroup.keys-row { height: 1; width: 1fr; }
    """

    def __init__(self, compact: bool = True) -> None:
        super().__init__(compact=compact)
        self._packed_width = 0
        self.rows = 0

    def compose(self) -> ComposeResult:
        keys: list[Widget] = sorted(super().compose(), key=self._place)
        width = self.size.width or self.app.size.width
        self._packed_width = width
        widths = [key_cells(key, self.compact) if isinstance(key, FooterKey) else 1
                  for key in keys]
        rows = rows_of(widths, max(width, 1)) if keys else []
        self.rows = len(rows)
        for row in rows:
            yield HorizontalGroup(*(keys[index] for index in row), classes="keys-row")

    @staticmethod
    def _place(widget: Widget) -> int:
        """Registry order (the focused widget's own keys would otherwise come first),
        the palette's key last."""
        if isinstance(widget, FooterKey) and not widget.has_class("-command-palette"):
            return _ORDER.get(widget.action, len(_ORDER))
        return len(_ORDER) + 1

    def bindings_changed(self, screen: Screen) -> None:
        """Recompose when the keys shown change. When only some keys are enabled or disabled
        (Stop, as an answer starts and ends), restyle those in place: a recompose mounts
        every key again: 130-170 ms of the UI thread here (in place: ~15), which two cores
        take from generation."""
        if not self._restyled(screen):
            super().bindings_changed(screen)

    def _restyled(self, screen: Screen) -> bool:
        """Set each key's enabled state in place if the same keys are shown (else False)."""
        if not (self._bindings_ready and self.is_attached and screen is self.screen):
            return False
        wanted: dict[str, tuple[str, bool]] = {}  # action: key, enabled (as compose picks)
        for _node, binding, enabled, _tooltip in screen.active_bindings.values():
            if binding.show:
                wanted.setdefault(binding.action, (binding.key, enabled))
        keys = [key for key in self.query(FooterKey) if not key.has_class("-command-palette")]
        if {key.action: key.key for key in keys} != {a: k for a, (k, _) in wanted.items()}:
            return False
        for key in keys:
            disabled = not wanted[key.action][1]
            key._disabled = disabled  # what FooterKey's click handler reads
            key.set_class(disabled, "-disabled")
        return True

    def on_resize(self, event: events.Resize) -> None:
        if self._bindings_ready and event.size.width != self._packed_width:
            self.call_after_refresh(self.recompose)

"""Slider: a focusable 0..1 value with its label (Left/Right or h/l step, Home/End, click)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from rich.text import Text
from textual import events
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.reactive import reactive
from textual.widget import Widget

NUMBER_WIDTH = 5  # " 0.55"


class Slider(Widget, can_focus=True):
    """A value from 0 to 1 drawn as a bar after its label; posts Slider.Changed."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("left,h", "step(-1)", "Less", show=False),
        Binding("right,l", "step(1)", "More", show=False),
        Binding("home", "set_to(0)", "Zero", show=False),
        Binding("end", "set_to(1)", "One", show=False),
    ]
    COMPONENT_CLASSES: ClassVar[set[str]] = {"slider--label", "slider--filled", "slider--empty"}
    DEFAULT_CSS = """
    Slider { height: 1; width: 1fr; pointer: pointer; }
    Slider > .slider--label { color: $text; }
    Slider > .slider--filled { color: $primary; }
    Slider > .slider--empty { color: $panel-lighten-2; }
    Slider:focus > .slider--label { text-style: bold reverse; }
    Slider:focus > .slider--filled { color: $accent; }
    """

    value: reactive[float] = reactive(0.0, init=False)

    @dataclass
    class Changed(Message):
        """The slider's value changed (by key, click, or code)."""

        slider: Slider
        value: float

        @property
        def control(self) -> Slider:
            return self.slider

    def __init__(self, value: float = 0.0, label: str = "", *, step: float = 0.05,
                 label_width: int = 24, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.label, self.step, self.label_width = label, step, label_width
        self.set_reactive(Slider.value, self.validate_value(value))

    def validate_value(self, value: float) -> float:
        return round(min(1.0, max(0.0, float(value))), 2)

    def watch_value(self, value: float) -> None:
        self.post_message(self.Changed(self, value))

    def _bar_span(self) -> tuple[int, int]:
        """(first column, width) of the bar inside the content area."""
        label = min(self.label_width, max(0, self.content_size.width * 2 // 5))
        return label, max(2, self.content_size.width - label - NUMBER_WIDTH)

    def render(self) -> Text:
        start, width = self._bar_span()
        filled = round(self.value * width)
        label = self.label if len(self.label) < start else self.label[: max(0, start - 2)] + "…"
        label = label.ljust(start)
        text = Text(label, style=self.get_component_rich_style("slider--label"), end="")
        text.append("━" * filled, style=self.get_component_rich_style("slider--filled"))
        text.append("─" * (width - filled), style=self.get_component_rich_style("slider--empty"))
        text.append(f" {self.value:.2f}")
        return text

    def action_step(self, direction: int) -> None:
        self.value = self.validate_value(self.value + direction * self.step)

    def action_set_to(self, value: float) -> None:
        self.value = value

    def on_click(self, event: events.Click) -> None:
        offset = event.get_content_offset(self)
        start, width = self._bar_span()
        if offset is None or not start <= offset.x < start + width:
            return
        event.stop()
        self.focus()
        self.value = self.validate_value((offset.x - start) / max(1, width - 1))

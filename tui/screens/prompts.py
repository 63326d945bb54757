"""The prompt picker: the shared library (P12), a prompt's placeholders filled in, Enter
sends it (the chat screen records the use)."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from tui.alignment.profiles.prompts import LibraryPrompt
from tui.application.prompts import PromptRequest, where


class PromptScreen(ModalScreen[PromptRequest | None]):
    """Choose a prompt (Enter), fill its placeholders (Enter on the last sends), Esc cancels."""

    DEFAULT_CSS = """
    PromptScreen { align: center middle; }
    PromptScreen > Vertical {
        width: 90%; max-width: 120; height: auto; max-height: 90%;
        border: thick $primary; background: $surface; padding: 0 1;
    }
    PromptScreen OptionList { height: auto; max-height: 16; }
    PromptScreen #slots { height: auto; }
    PromptScreen #preview-box { height: auto; max-height: 10; margin-top: 1; }
    PromptScreen #where, PromptScreen #keys { color: $text-muted; }
    PromptScreen .slot { height: 1; margin-top: 1; }
    PromptScreen .slot Label { width: 18; }
    PromptScreen .slot Input { width: 1fr; }
    """
    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, prompts: list[LibraryPrompt], request: PromptRequest | None = None) -> None:
        super().__init__()
        self.prompts = prompts
        self.request = request

    def compose(self) -> ComposeResult:
        with Vertical():
            if not self.prompts:
                yield Label(Text("No prompts yet: a profile's [[prompts]] make the library "
                                 "(profiles/README.md); Esc closes."))
                return
            yield Label(Text("Prompt library: the profile in force's first (Enter chooses)"))
            yield OptionList(*(Option(self._line(item), id=str(index))
                               for index, item in enumerate(self.prompts)), id="prompts")
            yield Static(Text(""), id="where")
            yield Vertical(id="slots")
            with VerticalScroll(id="preview-box"):
                yield Static(Text(""), id="preview")
            yield Static(Text("Enter choose · Tab next value · Enter on the last value sends "
                              "· Esc cancel"), id="keys")

    @staticmethod
    def _line(item: LibraryPrompt) -> Text:
        slots = " ".join(f"{{{slot}}}" for slot in item.placeholders)
        about = item.prompt.description or item.prompt.text.splitlines()[0][:60]
        return Text("  ".join(part for part in (item.name, slots, about, f"({item.entry.name})")
                              if part))

    async def on_mount(self) -> None:
        if self.request is not None:
            await self._fill(self.request)
        elif self.prompts:
            self.query_one("#prompts", OptionList).focus()

    async def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        chosen = self.prompts[int(event.option_id or 0)]
        request = PromptRequest(chosen)
        if not chosen.placeholders:
            self.dismiss(request)
            return
        await self._fill(request)

    async def _fill(self, request: PromptRequest) -> None:
        """Show the chosen prompt's placeholders as fields, the empty ones to fill."""
        self.request = request
        slots = self.query_one("#slots", Vertical)
        await slots.remove_children()
        await slots.mount_all([Horizontal(Label(Text(f"{{{name}}}")),
                                          Input(request.values.get(name, ""), id=f"slot-{name}",
                                                compact=True), classes="slot")
                               for name in request.chosen.placeholders])
        self.query_one("#where", Static).update(Text(f"{request.chosen.name} from "
                                                     f"{where(request.chosen)}"))
        self._preview()
        empty = [field for field in self.query(Input) if not field.value.strip()]
        (empty or list(self.query(Input)))[0].focus()

    def _preview(self) -> None:
        if self.request is not None:
            self.query_one("#preview", Static).update(Text(self.request.text()))

    def on_input_changed(self, event: Input.Changed) -> None:
        event.stop()
        if self.request is not None and event.input.id:
            self.request.values[event.input.id.removeprefix("slot-")] = event.value.strip()
            self._preview()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if self.request is None:
            return
        empty = [field for field in self.query(Input) if not field.value.strip()]
        if empty:
            empty[0].focus()
            return
        self.dismiss(self.request)

    def action_cancel(self) -> None:
        self.dismiss(None)
